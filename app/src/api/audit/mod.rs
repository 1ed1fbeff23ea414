pub mod list_audit;
