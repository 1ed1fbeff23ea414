//! The audit log: append-only and hash-chained (`domain::audit`).
//!
//! Appends first bump the one-row `audit_head` (`UPDATE … RETURNING`): on PostgreSQL that row lock
//! serialises concurrent appenders until their transaction ends, on SQLite the write lock does, so
//! `seq` has no gaps and every event chains onto the one before it.

use sqlx::Row;

pub use crate::api::views::{AuditFilter, AuditRow};

use super::{AccessError, AccessResult, Tx, new_id, version_i64};
use crate::domain::{self, AuditActor, AuditEvent, AuditEventId, ChainedEvent, Timestamp, UserId};
use crate::ssr::db::Db;

/// One thing to record.
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: AuditActor,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub rule: Option<String>,
}

impl Entry {
    pub fn new(actor: AuditActor, action: &str, target: impl Into<String>) -> Entry {
        Entry {
            actor,
            action: action.to_string(),
            target: target.into(),
            before: None,
            after: None,
            rule: None,
        }
    }

    pub fn before(mut self, json: Option<String>) -> Entry {
        self.before = json;
        self
    }

    pub fn after(mut self, json: Option<String>) -> Entry {
        self.after = json;
        self
    }

    pub fn rule(mut self, rule: Option<&str>) -> Entry {
        self.rule = rule.map(str::to_string);
        self
    }
}

/// Appends `entry` inside `tx`.
pub async fn append(tx: &mut Tx<'_>, at: Timestamp, entry: Entry) -> AccessResult<u64> {
    let seqs = append_all(tx, at, vec![entry]).await?;
    seqs.first()
        .copied()
        .ok_or_else(|| AccessError::Data("audit append returned no sequence number".into()))
}

/// Appends `entries` in order inside `tx`, chaining each onto the one before. The head moves once
/// for the whole batch (one row-lock round trip, however many events), which is what lets the
/// expiry sweep revoke a burst of grants in a few statements.
pub async fn append_all(
    tx: &mut Tx<'_>,
    at: Timestamp,
    entries: Vec<Entry>,
) -> AccessResult<Vec<u64>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(entries.len())
        .map_err(|_| AccessError::Data("too many audit events in one batch".into()))?;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(count)
        .fetch_one(&mut **tx)
        .await?;
    let last: i64 = head.try_get("seq")?;
    let mut prev_hash: String = head.try_get("hash")?;
    let first = u64::try_from(last - count + 1)
        .map_err(|_| AccessError::Data("negative audit seq".into()))?;
    let mut rows = Vec::with_capacity(entries.len());
    for (offset, entry) in (0u64..).zip(entries) {
        let event = AuditEvent {
            id: AuditEventId::new(new_id()),
            seq: first + offset,
            at,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            before: entry.before,
            after: entry.after,
            rule: entry.rule,
        };
        event.validate()?;
        let hash = domain::chain_hash(&prev_hash, &event);
        rows.push((event, std::mem::replace(&mut prev_hash, hash.clone()), hash));
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev_hash)
        .execute(&mut **tx)
        .await?;
    for chunk in rows.chunks(super::INSERT_CHUNK) {
        let sql = format!(
            "INSERT INTO audit_events (seq, id, at, actor, action, target, before_json, after_json, rule, prev_hash, hash) VALUES {}",
            super::values_placeholders(chunk.len(), 11)
        );
        let mut q = sqlx::query(&sql);
        for (event, prev, hash) in chunk {
            q = q
                .bind(version_i64(event.seq))
                .bind(event.id.as_str())
                .bind(event.at.as_unix_millis())
                .bind(event.actor.to_string())
                .bind(event.action.as_str())
                .bind(event.target.as_str())
                .bind(event.before.as_deref())
                .bind(event.after.as_deref())
                .bind(event.rule.as_deref())
                .bind(prev.as_str())
                .bind(hash.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(rows.iter().map(|(e, _, _)| e.seq).collect())
}

/// Appends the event for a saved object: `updated` with its `before` state when it existed,
/// `created` otherwise; `after` is the stored JSON.
pub async fn append_saved<T: serde::Serialize>(
    tx: &mut Tx<'_>,
    at: Timestamp,
    actor: AuditActor,
    (created, updated): (&str, &str),
    target: String,
    before: Option<&T>,
    after: String,
) -> AccessResult<u64> {
    let action = if before.is_some() { updated } else { created };
    let before = before.map(super::to_json).transpose()?;
    append(tx, at, Entry::new(actor, action, target).before(before).after(Some(after))).await
}

/// Records one event in its own transaction (sign-ins, settings).
pub async fn record(db: &Db, at: Timestamp, entry: Entry) -> AccessResult<()> {
    let mut tx = db.pool.begin().await?;
    append(&mut tx, at, entry).await?;
    tx.commit().await?;
    Ok(())
}

fn row_of(r: &sqlx::any::AnyRow) -> AccessResult<AuditRow> {
    Ok(AuditRow {
        seq: r.try_get("seq")?,
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        before: r.try_get("before_json")?,
        after: r.try_get("after_json")?,
        rule: r.try_get("rule")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

const COLUMNS: &str =
    "seq, id, at, actor, action, target, before_json, after_json, rule, prev_hash, hash";

/// Newest first, at most `limit`.
pub async fn list(db: &Db, filter: &AuditFilter, limit: i64) -> AccessResult<Vec<AuditRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events \
         WHERE ($1 = '' OR action LIKE $2) AND ($3 = '' OR target LIKE $4) AND ($5 = '' OR actor = $5) \
         ORDER BY seq DESC LIMIT $6"
    );
    let rows = sqlx::query(&sql)
        .bind(filter.action.trim())
        .bind(format!("{}%", filter.action.trim()))
        .bind(filter.target.trim())
        .bind(format!("%{}%", filter.target.trim()))
        .bind(filter.actor.trim())
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(row_of).collect()
}

fn chained(r: AuditRow) -> AccessResult<ChainedEvent> {
    let actor = match r.actor.strip_prefix("user:") {
        Some(id) => AuditActor::User(UserId::new(id)),
        None if r.actor == "system" => AuditActor::System,
        None => {
            return Err(AccessError::Data(format!(
                "unknown audit actor {}",
                r.actor
            )));
        }
    };
    Ok(ChainedEvent {
        event: AuditEvent {
            id: AuditEventId::new(r.id),
            seq: u64::try_from(r.seq)
                .map_err(|_| AccessError::Data("negative audit seq".into()))?,
            at: Timestamp::from_unix_millis(r.at),
            actor,
            action: r.action,
            target: r.target,
            before: r.before,
            after: r.after,
            rule: r.rule,
        },
        prev_hash: r.prev_hash,
        hash: r.hash,
    })
}

/// The outcome of `latch audit verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Intact { events: u64 },
    Broken { events: u64, message: String },
}

/// Re-computes the whole chain in pages and checks it ends at the recorded head.
pub async fn verify(db: &Db) -> AccessResult<Verification> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    let page = 5_000_i64;
    let mut after = 0_i64;
    let mut anchor = domain::GENESIS_HASH.to_string();
    let mut count = 0_u64;
    loop {
        let sql =
            format!("SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(page)
            .fetch_all(&db.pool)
            .await?;
        if rows.is_empty() {
            break;
        }
        let mut segment = Vec::with_capacity(rows.len());
        for r in &rows {
            segment.push(chained(row_of(r)?)?);
        }
        if let Err(b) = domain::verify_segment(&anchor, count + 1, &segment) {
            return Ok(Verification::Broken {
                events: count,
                message: format!(
                    "event #{} ({}): {}",
                    segment.get(b.index).map_or(0, |e| e.event.seq),
                    b.id,
                    b.reason
                ),
            });
        }
        count += segment.len() as u64;
        if let Some(last) = segment.last() {
            after = version_i64(last.event.seq);
            anchor = last.hash.clone();
        }
    }
    if after != head_seq || anchor != head_hash {
        return Ok(Verification::Broken {
            events: count,
            message: format!(
                "the log ends at event #{after} but the recorded head is event #{head_seq}: events were removed or the head was altered"
            ),
        });
    }
    Ok(Verification::Intact { events: count })
}
