pub mod get_pending_expiry;
pub mod reveal_webhook_secret;
pub mod rotate_webhook_secret;
pub mod set_pending_expiry;
pub mod webhook_secret_status;
