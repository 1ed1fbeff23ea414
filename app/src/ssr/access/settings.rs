//! Tenant settings: one row per key in `settings`, the value as text.

use super::{AccessResult, Conn, Tx};
use crate::domain::Timestamp;

/// The stored value of `key`, if it was ever set.
pub async fn get(conn: impl Into<Conn<'_>>, key: &str) -> AccessResult<Option<String>> {
    let mut conn = conn.into().get().await?;
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Sets `key` to `value` inside `tx` (the caller appends the audit event in the same transaction).
pub async fn put(tx: &mut Tx<'_>, key: &str, value: &str, at: Timestamp) -> AccessResult<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(at.as_unix_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether the console may edit objects managed in code (`latch apply`): off by default, so Git
/// stays the source of truth; a Super Admin turns it on in Admin > Settings for an emergency.
pub const CONSOLE_EDITS_OF_CODE: &str = "console_edits_of_code";

/// Whether console edits of objects managed in code are unlocked.
pub async fn console_edits_unlocked(conn: impl Into<Conn<'_>>) -> AccessResult<bool> {
    Ok(get(conn, CONSOLE_EDITS_OF_CODE).await?.as_deref() == Some("on"))
}

/// Locks or unlocks console edits of objects managed in code, audited with before and after.
pub async fn set_console_edits_unlocked(
    db: &crate::ssr::db::Db,
    actor: &super::Actor,
    unlocked: bool,
) -> AccessResult<()> {
    let before = console_edits_unlocked(db).await?;
    let at = super::now();
    let mut tx = db.begin().await?;
    let value = if unlocked { "on" } else { "off" };
    put(&mut tx, CONSOLE_EDITS_OF_CODE, value, at).await?;
    super::audit::append(
        &mut tx,
        at,
        super::audit::Entry::new(
            actor.audit(),
            "settings.console_edits_of_code_changed",
            format!("settings:{CONSOLE_EDITS_OF_CODE}"),
        )
        .before(Some(if before { "on" } else { "off" }.to_string()))
        .after(Some(value.to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The tables whose rows `latch apply` may manage (migration 0009's `managed_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Managed {
    App,
    Entitlement,
    Policy,
    Group,
}

impl Managed {
    fn table(self) -> &'static str {
        match self {
            Managed::App => "apps",
            Managed::Entitlement => "entitlements",
            Managed::Policy => "policies",
            Managed::Group => "groups",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Managed::App => "app",
            Managed::Entitlement => "entitlement",
            Managed::Policy => "policy",
            Managed::Group => "group",
        }
    }
}

/// The file that manages row `id` of `what`, if it is managed in code.
pub async fn managed_by(
    conn: impl Into<Conn<'_>>,
    what: Managed,
    id: &str,
) -> AccessResult<Option<String>> {
    let mut conn = conn.into().get().await?;
    let file: Option<Option<String>> = sqlx::query_scalar(&format!(
        "SELECT managed_by FROM {} WHERE id = $1",
        what.table()
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(file.flatten())
}

/// Refuses (409) a console edit or delete of an object managed in code, naming its file, unless
/// a Super Admin unlocked console edits in Settings.
pub async fn refuse_if_managed(
    db: &crate::ssr::db::Db,
    what: Managed,
    id: &str,
    name: &str,
) -> AccessResult<()> {
    let Some(file) = managed_by(db, what, id).await? else {
        return Ok(());
    };
    if console_edits_unlocked(db).await? {
        return Ok(());
    }
    Err(crate::domain::DomainError::transition(
        &format!("change {} \"{name}\" here", what.noun()),
        format!(
            "it is managed in code ({file}); change it in Git, or unlock console edits of objects managed in code in Settings"
        ),
    )
    .into())
}

/// The file managing each row of `what` that is managed in code, by id (for the console's mark).
pub async fn managed_files(
    conn: impl Into<Conn<'_>>,
    what: Managed,
) -> AccessResult<std::collections::BTreeMap<String, String>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<(String, String)> = sqlx::query_as(&format!(
        "SELECT id, managed_by FROM {} WHERE managed_by IS NOT NULL",
        what.table()
    ))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}
