pub mod delete_policy;
pub mod list_policies;
pub mod save_policy;
