use leptos::prelude::*;

use crate::error::AppError;

/// Edits a user's directory fields.
#[server(endpoint = "directory/update_user")]
pub async fn update_directory_user(
    id: i64,
    name: String,
    manager_email: Option<String>,
    department: Option<String>,
    job_title: Option<String>,
    status: String,
) -> Result<(), AppError> {
    use crate::api::server::{respond, super_admin};
    respond(async move {
        let (db, actor) = super_admin()?;
        let update = crate::shapes::UserUpdate {
            name,
            manager_email: manager_email.unwrap_or_default(),
            department: department.unwrap_or_default(),
            job_title: job_title.unwrap_or_default(),
            status,
        };
        crate::ssr::flows::directory::update_user(&db, &actor, id, update).await?;
        Ok(())
    })
    .await
}
