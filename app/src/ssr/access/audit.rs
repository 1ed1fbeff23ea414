//! The audit log: append-only and hash-chained (`domain::audit`).
//!
//! Appends first bump the one-row `audit_head` (`UPDATE … RETURNING`): on PostgreSQL that row lock
//! serialises concurrent appenders until their transaction ends, on SQLite the write lock does, so
//! `seq` has no gaps and every event chains onto the one before it.
//!
//! Each append also signs the new head (`domain::sign_head`, HMAC under a key derived from
//! `LATCH_SECRET_KEY`), so someone who can write the database but has not the key cannot rewind the
//! head over deleted events, nor re-hash the log after changing an event, without [`verify`]
//! noticing. Someone with both the key and write access can; checkpoints kept outside the database
//! ([`checkpoint`], [`verify_against`]) bound what they can rewrite to the events after the last one.

use std::sync::OnceLock;

use sqlx::Row;

use crate::shapes::{AuditFilter, AuditRow};

use super::{AccessError, AccessResult, Tx, new_id, version_i64};
use crate::domain::{self, AuditActor, AuditEvent, AuditEventId, ChainedEvent, Timestamp, UserId};
use crate::ssr::db::{Db, Engine};

/// This process's key for signing audit heads, derived from `LATCH_SECRET_KEY` at start.
///
/// Process-wide rather than passed along because events are appended deep inside every storage
/// write's own transaction; threading the key through each of them would touch every write path
/// for a value that never changes while the process runs (a process has exactly one secret key).
static HEAD_KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// Another secret key was installed in this process first.
#[derive(Debug, thiserror::Error)]
#[error("a different LATCH_SECRET_KEY already signs audit events in this process")]
pub struct HeadKeyConflict;

/// Makes this process sign every audit head it writes, and check the head's signature in
/// [`verify`]. Call once at start, after the key's fingerprint matched the database's.
pub fn install_head_key(secret_key: &str) -> Result<(), HeadKeyConflict> {
    let key =
        crate::ssr::secret_key::derive(secret_key, crate::ssr::secret_key::AUDIT_HEAD_PURPOSE);
    if *HEAD_KEY.get_or_init(|| key) == key {
        Ok(())
    } else {
        Err(HeadKeyConflict)
    }
}

fn head_key() -> Option<&'static [u8; 32]> {
    HEAD_KEY.get()
}

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
    let last_seq =
        u64::try_from(last).map_err(|_| AccessError::Data("negative audit seq".into()))?;
    // Without a key (only code that never went through startup, like benchmarks) the head is left
    // unsigned, which `verify` in a process with a key reports.
    let signature = head_key().map(|key| domain::audit::sign_head(key, last_seq, &prev_hash));
    sqlx::query("UPDATE audit_head SET hash = $1, signature = $2 WHERE id = 1")
        .bind(&prev_hash)
        .bind(signature)
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
    append(
        tx,
        at,
        Entry::new(actor, action, target)
            .before(before)
            .after(Some(after)),
    )
    .await
}

/// Records one event in its own transaction (sign-ins, settings).
pub async fn record(db: &Db, at: Timestamp, entry: Entry) -> AccessResult<()> {
    let mut tx = db.begin().await?;
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
    list_before(db, filter, None, limit).await
}

/// As [`list`], only events older than `before` (a `seq`), for paging from the newest back.
pub async fn list_before(
    db: &Db,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> AccessResult<Vec<AuditRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events \
         WHERE ($1 = '' OR action LIKE $2) AND ($3 = '' OR target LIKE $4) AND ($5 = '' OR actor = $5) \
         AND seq < $7 ORDER BY seq DESC LIMIT $6"
    );
    let rows = sqlx::query(&sql)
        .bind(filter.action.trim())
        .bind(format!("{}%", filter.action.trim()))
        .bind(filter.target.trim())
        .bind(format!("%{}%", filter.target.trim()))
        .bind(filter.actor.trim())
        .bind(limit)
        .bind(before.unwrap_or(i64::MAX))
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

/// Opens a read transaction that sees one consistent state of the database throughout, so the
/// head and the events are read as of the same moment while a live server keeps appending.
/// PostgreSQL: REPEATABLE READ pins the snapshot at the first query. SQLite (WAL): a read
/// transaction sees the database as of its first read until it ends.
async fn snapshot(db: &Db) -> AccessResult<Tx<'static>> {
    let mut tx = db.begin_read().await?;
    if db.engine == Engine::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx)
}

/// The head as stored: the newest event's position and hash, and the head signature.
struct Head {
    seq: u64,
    hash: String,
    signature: Option<String>,
}

async fn read_head(tx: &mut Tx<'_>) -> AccessResult<Head> {
    let head = sqlx::query("SELECT seq, hash, signature FROM audit_head WHERE id = 1")
        .fetch_one(&mut **tx)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    Ok(Head {
        seq: u64::try_from(seq).map_err(|_| AccessError::Data("negative audit seq".into()))?,
        hash: head.try_get("hash")?,
        signature: head.try_get("signature")?,
    })
}

/// Re-computes the whole chain in pages and checks it ends at the recorded head, and that the
/// head carries this process's signature (when it has a key, which every `latch` process does).
/// Head and events are read in one snapshot, so a server appending meanwhile is no false alarm.
pub async fn verify(db: &Db) -> AccessResult<Verification> {
    let mut tx = snapshot(db).await?;
    let result = verify_in(&mut tx).await;
    tx.rollback().await?;
    Ok(result?.0)
}

/// [`verify`], then checks the log still holds the event `checkpoint` recorded, with its hash.
pub async fn verify_against(
    db: &Db,
    checkpoint: &domain::audit::Checkpoint,
) -> AccessResult<Verification> {
    let key = head_key()
        .ok_or_else(|| AccessError::Data("no key to check the checkpoint with".into()))?;
    let mut tx = snapshot(db).await?;
    let result = async {
        let (verification, head) = verify_in(&mut tx).await?;
        if matches!(verification, Verification::Broken { .. }) {
            return Ok(verification);
        }
        let stored: Option<String> = sqlx::query("SELECT hash FROM audit_events WHERE seq = $1")
            .bind(version_i64(checkpoint.seq))
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get("hash"))
            .transpose()?;
        Ok(
            match domain::audit::check_checkpoint(key, checkpoint, head.seq, stored.as_deref()) {
                Ok(()) => verification,
                Err(mismatch) => Verification::Broken {
                    events: head.seq,
                    message: format!("against the checkpoint: {mismatch}"),
                },
            },
        )
    }
    .await;
    tx.rollback().await?;
    result
}

/// Verifies the log and, when it is intact, returns its head as a signed checkpoint to keep
/// outside the database; a broken log gets no checkpoint.
pub async fn checkpoint(
    db: &Db,
    taken_at: Timestamp,
) -> AccessResult<Result<domain::audit::Checkpoint, Verification>> {
    let key =
        head_key().ok_or_else(|| AccessError::Data("no key to sign the checkpoint with".into()))?;
    let mut tx = snapshot(db).await?;
    let result = verify_in(&mut tx).await;
    tx.rollback().await?;
    let (verification, head) = result?;
    Ok(match verification {
        Verification::Intact { .. } => Ok(domain::audit::Checkpoint::new(
            key, head.seq, &head.hash, taken_at,
        )),
        broken => Err(broken),
    })
}

async fn verify_in(tx: &mut Tx<'_>) -> AccessResult<(Verification, Head)> {
    let head = read_head(tx).await?;
    let head_seq = version_i64(head.seq);
    let page = 5_000_i64;
    let mut after = 0_i64;
    let mut anchor = domain::GENESIS_HASH.to_string();
    let mut count = 0_u64;
    loop {
        // Up to the head read in this snapshot: later events belong to a later head.
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(head_seq)
            .bind(page)
            .fetch_all(&mut **tx)
            .await?;
        if rows.is_empty() {
            break;
        }
        let mut segment = Vec::with_capacity(rows.len());
        for r in &rows {
            segment.push(chained(row_of(r)?)?);
        }
        if let Err(b) = domain::verify_segment(&anchor, count + 1, &segment) {
            let broken = Verification::Broken {
                events: count,
                message: format!(
                    "event #{} ({}): {}",
                    segment.get(b.index).map_or(0, |e| e.event.seq),
                    b.id,
                    b.reason
                ),
            };
            return Ok((broken, head));
        }
        count += segment.len() as u64;
        if let Some(last) = segment.last() {
            after = version_i64(last.event.seq);
            anchor = last.hash.clone();
        }
    }
    if after != head_seq || anchor != head.hash {
        let broken = Verification::Broken {
            events: count,
            message: format!(
                "the log ends at event #{after} but the recorded head is event #{head_seq}: events were removed or the head was altered"
            ),
        };
        return Ok((broken, head));
    }
    if let Some(key) = head_key() {
        let signed = head.signature.as_deref().is_some_and(|signature| {
            domain::audit::head_signature_matches(key, head.seq, &head.hash, signature)
        });
        if !signed {
            let broken = Verification::Broken {
                events: count,
                message: format!(
                    "the recorded head (event #{head_seq}) is not signed with this secret key: the head was rewound or the log re-hashed by someone without the key, or LATCH_SECRET_KEY is not the one the server uses"
                ),
            };
            return Ok((broken, head));
        }
    }
    Ok((Verification::Intact { events: count }, head))
}
