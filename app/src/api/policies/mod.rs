pub mod delete_policy;
pub mod list_policies;
pub mod policy_overview;
pub mod save_policy;
