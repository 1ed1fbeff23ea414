//! The tenant's webhook signing secret: the key receivers use to verify `Latch-Signature`
//! (docs/webhooks.md). Stored sealed (XChaCha20-Poly1305 under `LATCH_SECRET_KEY`, like Slack
//! tokens), created on first use, shown to a Super Admin once, and rotated with a grace period:
//! for [`ROTATION_GRACE_MS`] after a rotation, calls carry a signature with the new secret and one
//! with the previous, so receivers can switch without dropping calls.

use serde::{Deserialize, Serialize};

use super::audit::{self, Entry};
use super::{AccessError, AccessResult, Actor, new_id, now, settings};
use crate::domain::{DomainError, Timestamp, WebhookSecretStatus};
use crate::ssr::db::Db;
use crate::ssr::slack::crypto::Sealer;

/// The settings row holding the sealed secrets.
const KEY: &str = "webhook_signing_secret";
/// Before sealing existed the secret sat here in clear; it is sealed and removed on first use.
const LEGACY_PLAIN_KEY: &str = "webhook_secret";
/// Associated data: a sealed secret copied into another field or row does not open.
const SEAL_CONTEXT: &str = "settings/webhook_signing_secret";
/// How long the previous secret still signs calls after a rotation.
pub const ROTATION_GRACE_MS: i64 = 24 * 60 * 60 * 1000;

/// The stored row (JSON): secrets sealed, never in clear.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    current: String,
    created_at: i64,
    /// When a Super Admin was shown the current secret; it is shown once.
    revealed_at: Option<i64>,
    previous: Option<String>,
    previous_until: Option<i64>,
}

fn fresh_secret() -> String {
    // 256 random bits, prefixed so a leaked value is recognisable in scanners and logs.
    format!("lwhsec_{}{}", new_id(), new_id())
}

fn to_json(stored: &Stored) -> AccessResult<String> {
    Ok(serde_json::to_string(stored)?)
}

fn seal(sealer: &Sealer, secret: &str) -> AccessResult<String> {
    sealer
        .seal(secret, SEAL_CONTEXT)
        .map_err(|e| AccessError::Data(e.to_string()))
}

fn open(sealer: &Sealer, sealed: &str) -> AccessResult<String> {
    sealer
        .open(sealed, SEAL_CONTEXT)
        .map_err(|e| AccessError::Data(e.to_string()))
}

/// Loads the stored secrets, creating them on first use (and sealing a legacy clear-text secret,
/// which is then deleted), in one transaction so concurrent first uses agree on one secret.
async fn load(db: &Db, sealer: &Sealer) -> AccessResult<Stored> {
    if let Some(json) = settings::get(db, KEY).await? {
        return Ok(serde_json::from_str(&json)?);
    }
    let at = now();
    let mut tx = db.begin().await?;
    let legacy = sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
        .bind(LEGACY_PLAIN_KEY)
        .fetch_optional(&mut *tx)
        .await?;
    let secret = legacy.unwrap_or_else(fresh_secret);
    let stored = Stored {
        current: seal(sealer, &secret)?,
        created_at: at.as_unix_millis(),
        revealed_at: None,
        previous: None,
        previous_until: None,
    };
    // First writer wins; a concurrent first use reads the winner's row below.
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
    )
    .bind(KEY)
    .bind(to_json(&stored)?)
    .bind(at.as_unix_millis())
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(LEGACY_PLAIN_KEY)
        .execute(&mut *tx)
        .await?;
    let json = sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
        .bind(KEY)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(serde_json::from_str(&json)?)
}

/// The secrets that sign a call made at `at`: the current one, then the previous one while its
/// grace period lasts.
pub async fn signing_secrets(db: &Db, sealer: &Sealer, at: Timestamp) -> AccessResult<Vec<String>> {
    let stored = load(db, sealer).await?;
    let mut secrets = vec![open(sealer, &stored.current)?];
    if let (Some(previous), Some(until)) = (&stored.previous, stored.previous_until)
        && at.as_unix_millis() < until
    {
        secrets.push(open(sealer, previous)?);
    }
    Ok(secrets)
}

fn status_of(stored: &Stored, at: Timestamp) -> WebhookSecretStatus {
    WebhookSecretStatus {
        created_at: Timestamp::from_unix_millis(stored.created_at),
        revealed_at: stored.revealed_at.map(Timestamp::from_unix_millis),
        previous_valid_until: stored
            .previous_until
            .filter(|until| *until > at.as_unix_millis())
            .map(Timestamp::from_unix_millis),
    }
}

/// When the current secret was made and whether it was already shown (never the secret).
pub async fn status(db: &Db, sealer: &Sealer) -> AccessResult<WebhookSecretStatus> {
    Ok(status_of(&load(db, sealer).await?, now()))
}

/// Writes `next` over `seen` only if nobody changed the row since it was read, with its audit
/// event, in one transaction. Two Super Admins revealing at the same instant: one wins.
async fn replace(
    db: &Db,
    seen: &Stored,
    next: &Stored,
    actor: &Actor,
    action: &str,
) -> AccessResult<()> {
    let at = now();
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE settings SET value = $1, updated_at = $2 WHERE key = $3 AND value = $4",
    )
    .bind(to_json(next)?)
    .bind(at.as_unix_millis())
    .bind(KEY)
    .bind(to_json(seen)?)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(AccessError::Stale);
    }
    // The audit row says what happened and when the secret was made, never the secret.
    let summary = serde_json::json!({
        "created_at": next.created_at,
        "previous_valid_until": next.previous_until,
    });
    audit::append(
        &mut tx,
        at,
        Entry::new(actor.audit(), action, format!("settings:{KEY}"))
            .after(Some(summary.to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Shows the current secret, once. Afterwards only a rotation produces a secret to show.
pub async fn reveal(db: &Db, sealer: &Sealer, actor: &Actor) -> AccessResult<String> {
    let stored = load(db, sealer).await?;
    if stored.revealed_at.is_some() {
        return Err(DomainError::transition(
            "show the webhook signing secret",
            "it was already shown once; rotate it to get a new one",
        )
        .into());
    }
    let secret = open(sealer, &stored.current)?;
    let next = Stored {
        revealed_at: Some(now().as_unix_millis()),
        ..stored.clone()
    };
    replace(
        db,
        &stored,
        &next,
        actor,
        "settings.webhook_secret_revealed",
    )
    .await?;
    Ok(secret)
}

/// Replaces the secret and shows the new one (once). The previous one keeps signing alongside
/// for [`ROTATION_GRACE_MS`], so receivers can be updated without refusing calls.
pub async fn rotate(db: &Db, sealer: &Sealer, actor: &Actor) -> AccessResult<String> {
    let stored = load(db, sealer).await?;
    let at = now().as_unix_millis();
    let secret = fresh_secret();
    let next = Stored {
        current: seal(sealer, &secret)?,
        created_at: at,
        revealed_at: Some(at),
        previous: Some(stored.current.clone()),
        previous_until: Some(at + ROTATION_GRACE_MS),
    };
    replace(db, &stored, &next, actor, "settings.webhook_secret_rotated").await?;
    Ok(secret)
}
