pub mod catalog_overview;
pub mod grant_cap;
pub mod list_apps;
pub mod save_app;
pub mod save_entitlement;
pub mod set_grant_cap;
