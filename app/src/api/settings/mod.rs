pub mod get_pending_expiry;
pub mod set_pending_expiry;
