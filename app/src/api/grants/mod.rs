pub mod complete_task;
pub mod list_grants;
pub mod my_grants;
pub mod my_tasks;
pub mod overdue_removals;
pub mod release_grant;
pub mod revoke_grant;
