//! `slack_installations`: one row per workspace install, or per Enterprise Grid org for an
//! org-wide install (`install_key` is `team:T…` or `enterprise:E…`). Secrets are stored sealed.

use sqlx::Row;

use crate::domain::{AuditActor, Timestamp};
use crate::ssr::access::AccessResult;
use crate::ssr::access::audit::{self, Entry};
use crate::ssr::clock::now_ms;
use crate::ssr::db::Db;
use crate::ssr::slack::crypto::{SealError, Sealer};

/// An installation as stored, secrets still sealed.
#[derive(Debug, Clone)]
pub struct Installation {
    pub id: i64,
    pub install_key: String,
    pub team_id: Option<String>,
    pub team_name: Option<String>,
    pub enterprise_id: Option<String>,
    pub enterprise_name: Option<String>,
    pub is_enterprise_install: bool,
    pub app_id: String,
    pub bot_user_id: String,
    pub scopes: String,
    pub bot_token_sealed: Option<String>,
    pub channel_id: Option<String>,
    pub channel_name: Option<String>,
    pub installed_by_name: Option<String>,
    pub installed_by_email: Option<String>,
    pub installed_at: i64,
    pub connected: bool,
    pub disconnected_at: Option<i64>,
    pub disconnect_reason: Option<String>,
}

impl Installation {
    /// The bot token, unsealed; `Ok(None)` when the installation is disconnected (its token is
    /// gone, or kept only until the disconnect finishes).
    pub fn bot_token(&self, sealer: &Sealer) -> Result<Option<String>, SealError> {
        let Some(sealed) = self.bot_token_sealed.as_deref().filter(|_| self.connected) else {
            return Ok(None);
        };
        sealer
            .open(sealed, &seal_context(&self.install_key, "bot_token"))
            .map(Some)
    }
}

/// What a successful `oauth.v2.access` gives us, secrets already sealed.
pub struct NewInstallation<'a> {
    pub install_key: &'a str,
    pub team_id: Option<&'a str>,
    pub team_name: Option<&'a str>,
    pub enterprise_id: Option<&'a str>,
    pub enterprise_name: Option<&'a str>,
    pub is_enterprise_install: bool,
    pub app_id: &'a str,
    pub bot_user_id: &'a str,
    pub scopes: &'a str,
    pub bot_token_sealed: &'a str,
    pub webhook_url_sealed: Option<&'a str>,
    pub channel_id: Option<&'a str>,
    pub channel_name: Option<&'a str>,
    pub installed_by: i64,
    pub installed_by_slack_user: Option<&'a str>,
}

/// The key an install is stored under: the workspace, or the org for org-wide installs.
pub fn install_key(
    team_id: Option<&str>,
    enterprise_id: Option<&str>,
    org_wide: bool,
) -> Option<String> {
    match (org_wide, team_id, enterprise_id) {
        (true, _, Some(enterprise)) => Some(format!("enterprise:{enterprise}")),
        (false, Some(team), _) => Some(format!("team:{team}")),
        _ => None,
    }
}

/// The associated data a secret of this install is sealed with.
pub fn seal_context(install_key: &str, field: &str) -> String {
    format!("slack_installations/{install_key}/{field}")
}

const SELECT: &str = "SELECT i.id, i.install_key, i.team_id, i.team_name, i.enterprise_id, i.enterprise_name, \
    i.is_enterprise_install, i.app_id, i.bot_user_id, i.scopes, i.bot_token_sealed, i.channel_id, i.channel_name, \
    u.display_name AS installed_by_name, u.email AS installed_by_email, i.installed_at, i.status, \
    i.disconnected_at, i.disconnect_reason \
    FROM slack_installations i LEFT JOIN users u ON u.id = i.installed_by";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Installation, sqlx::Error> {
    Ok(Installation {
        id: row.try_get("id")?,
        install_key: row.try_get("install_key")?,
        team_id: row.try_get("team_id")?,
        team_name: row.try_get("team_name")?,
        enterprise_id: row.try_get("enterprise_id")?,
        enterprise_name: row.try_get("enterprise_name")?,
        is_enterprise_install: row.try_get::<i64, _>("is_enterprise_install")? != 0,
        app_id: row.try_get("app_id")?,
        bot_user_id: row.try_get("bot_user_id")?,
        scopes: row.try_get("scopes")?,
        bot_token_sealed: row.try_get("bot_token_sealed")?,
        channel_id: row.try_get("channel_id")?,
        channel_name: row.try_get("channel_name")?,
        installed_by_name: row.try_get("installed_by_name")?,
        installed_by_email: row.try_get("installed_by_email")?,
        installed_at: row.try_get("installed_at")?,
        connected: row.try_get::<String, _>("status")? == "connected",
        disconnected_at: row.try_get("disconnected_at")?,
        disconnect_reason: row.try_get("disconnect_reason")?,
    })
}

/// Stores an install; a reinstall of the same workspace or org replaces the earlier row's data
/// and reconnects it, with a `slack.connected` audit event (names, channel and scopes; never a
/// secret) in the same transaction. Returns the row id.
pub async fn upsert(db: &Db, new: &NewInstallation<'_>, actor: AuditActor) -> AccessResult<i64> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO slack_installations (install_key, team_id, team_name, enterprise_id, enterprise_name, \
            is_enterprise_install, app_id, bot_user_id, scopes, bot_token_sealed, webhook_url_sealed, channel_id, \
            channel_name, installed_by, installed_by_slack_user, installed_at, status, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'connected', $16) \
         ON CONFLICT (install_key) DO UPDATE SET team_id = excluded.team_id, team_name = excluded.team_name, \
            enterprise_id = excluded.enterprise_id, enterprise_name = excluded.enterprise_name, \
            is_enterprise_install = excluded.is_enterprise_install, app_id = excluded.app_id, \
            bot_user_id = excluded.bot_user_id, scopes = excluded.scopes, bot_token_sealed = excluded.bot_token_sealed, \
            webhook_url_sealed = excluded.webhook_url_sealed, channel_id = excluded.channel_id, \
            channel_name = excluded.channel_name, installed_by = excluded.installed_by, \
            installed_by_slack_user = excluded.installed_by_slack_user, installed_at = excluded.installed_at, \
            status = 'connected', disconnected_at = NULL, disconnect_reason = NULL, updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(new.install_key)
    .bind(new.team_id.map(str::to_string))
    .bind(new.team_name.map(str::to_string))
    .bind(new.enterprise_id.map(str::to_string))
    .bind(new.enterprise_name.map(str::to_string))
    .bind(i64::from(new.is_enterprise_install))
    .bind(new.app_id)
    .bind(new.bot_user_id)
    .bind(new.scopes)
    .bind(new.bot_token_sealed)
    .bind(new.webhook_url_sealed.map(str::to_string))
    .bind(new.channel_id.map(str::to_string))
    .bind(new.channel_name.map(str::to_string))
    .bind(new.installed_by)
    .bind(new.installed_by_slack_user.map(str::to_string))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    let summary = serde_json::json!({
        "team_id": new.team_id,
        "team_name": new.team_name,
        "enterprise_id": new.enterprise_id,
        "enterprise_name": new.enterprise_name,
        "org_wide": new.is_enterprise_install,
        "channel_id": new.channel_id,
        "channel_name": new.channel_name,
        "scopes": new.scopes,
    });
    audit::append(
        &mut tx,
        Timestamp::from_unix_millis(now),
        Entry::new(
            actor,
            "slack.connected",
            format!("slack:{}", new.install_key),
        )
        .after(Some(summary.to_string())),
    )
    .await?;
    tx.commit().await?;
    installations_changed();
    Ok(id)
}

/// Every installation, connected ones first, newest first.
pub async fn list(db: &Db) -> Result<Vec<Installation>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{SELECT} ORDER BY CASE WHEN i.status = 'connected' THEN 0 ELSE 1 END, i.installed_at DESC, i.id DESC"
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find(db: &Db, id: i64) -> Result<Option<Installation>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The connected installation serving a workspace: its own install, or else the org-wide install
/// of its Enterprise Grid org. This is what makes "add the app to a workspace" of an org-installed
/// app work with no further OAuth.
pub async fn find_for_workspace(
    db: &Db,
    team_id: &str,
    enterprise_id: Option<&str>,
) -> Result<Option<Installation>, sqlx::Error> {
    let own = sqlx::query(&format!(
        "{SELECT} WHERE i.install_key = $1 AND i.status = 'connected'"
    ))
    .bind(format!("team:{team_id}"))
    .fetch_optional(&db.pool)
    .await?;
    if let Some(row) = own {
        return from_row(&row).map(Some);
    }
    let Some(enterprise_id) = enterprise_id else {
        return Ok(None);
    };
    let org = sqlx::query(&format!(
        "{SELECT} WHERE i.install_key = $1 AND i.status = 'connected'"
    ))
    .bind(format!("enterprise:{enterprise_id}"))
    .fetch_optional(&db.pool)
    .await?;
    org.as_ref().map(from_row).transpose()
}

/// Marks an installation disconnected and forgets its secrets, with a `slack.disconnected` audit
/// event naming the reason. Returns false (and records nothing) when it was not connected
/// (already disconnected, or unknown), so callers can be idempotent.
pub async fn disconnect(
    db: &Db,
    install_key: &str,
    reason: &str,
    actor: AuditActor,
) -> AccessResult<bool> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE slack_installations SET status = 'disconnected', disconnected_at = $2, disconnect_reason = $3, \
            bot_token_sealed = NULL, webhook_url_sealed = NULL, updated_at = $2 \
         WHERE install_key = $1 AND status = 'connected'",
    )
    .bind(install_key)
    .bind(now)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    audit::append(
        &mut tx,
        Timestamp::from_unix_millis(now),
        Entry::new(actor, "slack.disconnected", format!("slack:{install_key}"))
            .after(Some(serde_json::json!({ "reason": reason }).to_string())),
    )
    .await?;
    tx.commit().await?;
    installations_changed();
    Ok(true)
}

/// Bumped whenever this process connects or disconnects an installation, so routing caches
/// built on the installations (`front_door`) drop what they hold at once rather than at expiry.
static INSTALLATIONS_GENERATION: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

fn installations_changed() {
    INSTALLATIONS_GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// How many times this process has changed the installations (see `installations_changed`).
pub fn installations_generation() -> u64 {
    INSTALLATIONS_GENERATION.load(std::sync::atomic::Ordering::SeqCst)
}
