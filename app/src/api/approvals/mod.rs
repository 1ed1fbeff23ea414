pub mod assigned_to_me;
pub mod decide_request;
pub mod reassign_request;
