pub mod delete_group;
pub mod import_directory_csv;
pub mod list_directory;
pub mod list_groups;
pub mod remove_group_member;
pub mod save_group;
pub mod update_directory_user;
