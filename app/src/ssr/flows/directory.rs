//! The directory's use cases that reach beyond the directory: a person's profile and status
//! (suspending or deleting someone cancels their open access reviews, in the same transaction),
//! and the roles a Super Admin grants on top of an account's tier.

use crate::domain::{Role, UserStatus};
use crate::shapes::UserUpdate;
use crate::ssr::access::{AccessResult, Actor, directory, now, user_id};
use crate::ssr::db::Db;

use super::campaigns;

/// Saves a user's directory fields. When the change leaves them suspended or deleted, their open
/// review tasks in staged and running campaigns are cancelled (audited as `review.cancelled`) in
/// the same transaction: nobody certifies access that is already gone. Returns the new status.
pub async fn update_user(
    db: &Db,
    actor: &Actor,
    id: i64,
    update: UserUpdate,
) -> AccessResult<UserStatus> {
    let mut tx = db.begin().await?;
    let at = now();
    let status = directory::save_user(&mut tx, actor, id, &update, at).await?;
    campaigns::cancel_reviews_in(&mut tx, &user_id(id), status, actor.audit(), at).await?;
    tx.commit().await?;
    Ok(status)
}

/// Grants (`granted`) or removes `role` (one of `users::GRANTABLE_ROLES`, today the Campaign
/// Administrator) for the user `id`, audited. Sessions read roles with the account on every
/// request, so the change applies to the person at once, without signing in again.
pub async fn set_role(
    db: &Db,
    actor: &Actor,
    id: i64,
    role: Role,
    granted: bool,
) -> AccessResult<()> {
    let mut tx = db.begin().await?;
    directory::set_granted_role(&mut tx, actor, id, role, granted, now()).await?;
    tx.commit().await?;
    Ok(())
}
