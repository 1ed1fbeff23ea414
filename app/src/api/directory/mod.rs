pub mod import_directory_csv;
pub mod list_directory;
pub mod save_group;
pub mod update_directory_user;
