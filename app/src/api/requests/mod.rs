pub mod cancel_request;
pub mod comment_request;
pub mod create_request;
pub mod escalate_request;
pub mod my_requests;
pub mod request_detail;
pub mod requestable_entitlements;
pub mod retry_provisioning;
