//! The append-only, hash-chained audit log.
//!
//! Each event's hash is `SHA-256(prev_hash || "\n" || canonical(event))`, hex-encoded, with the first
//! event chained to [`GENESIS_HASH`]. Changing, removing, inserting or reordering any event breaks every
//! later hash, which [`verify_chain`] reports with the position and the reason. The canonical form
//! length-prefixes every field, so no choice of field contents can make two different events serialise
//! identically. (Truncating the newest events is only detectable against an externally kept head hash:
//! see [`verify_chain_to_head`].)

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use thiserror::Error;

use super::error::{DomainError, DomainResult};
use super::ids::{AuditEventId, UserId};
use super::time::Timestamp;

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Version tag inside the canonical form; bump it (never silently change the format) if fields change.
pub const CANONICAL_VERSION: &str = "latch-audit-v1";

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "user", rename_all = "snake_case")]
pub enum AuditActor {
    User(UserId),
    /// Latch itself: policy rules, schedulers, webhooks.
    System,
}

impl fmt::Display for AuditActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditActor::User(u) => write!(f, "user:{u}"),
            AuditActor::System => f.write_str("system"),
        }
    }
}

/// One audit event, before chaining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: AuditEventId,
    /// Position in the tenant's log, starting at 1, without gaps.
    pub seq: u64,
    pub at: Timestamp,
    pub actor: AuditActor,
    /// Stable action name, e.g. `request.step_approved` (lowercase letters, digits, `.` and `_`).
    pub action: String,
    /// What it happened to, e.g. `request:REQ-42` or `grant:01HX…`.
    pub target: String,
    /// JSON of the object before / after, when relevant.
    pub before: Option<String>,
    pub after: Option<String>,
    /// The policy rule that caused an automatic action (e.g. `self_approval_allowed`).
    pub rule: Option<String>,
}

impl AuditEvent {
    /// Checks the fields that must be well-formed before the event is appended.
    pub fn validate(&self) -> DomainResult<()> {
        let ok_action = !self.action.is_empty()
            && self.action.len() <= 100
            && self
                .action
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
        if !ok_action {
            return Err(DomainError::invalid(
                "audit action",
                &self.action,
                "use lowercase letters, digits, '.' and '_'",
            ));
        }
        if self.target.trim().is_empty() {
            return Err(DomainError::Required {
                field: "audit target".into(),
            });
        }
        if self.seq == 0 {
            return Err(DomainError::invalid(
                "audit sequence",
                "0",
                "sequences start at 1",
            ));
        }
        Ok(())
    }
}

/// The most characters kept of text a stranger typed (the email of a failed sign-in): the longest
/// valid email address is 254 characters, and anything longer is noise someone pays nothing to send.
pub const TYPED_TEXT_MAX_CHARS: usize = 254;

/// Text typed by someone not signed in, fit for the audit log: control characters (newlines,
/// escapes) removed and at most `max_chars` characters kept. The flag says whether anything was cut
/// or removed, so the event can say the stored text is not exactly what was typed.
pub fn bounded_typed_text(text: &str, max_chars: usize) -> (String, bool) {
    let mut kept = String::new();
    let mut altered = false;
    let mut count = 0usize;
    for c in text.chars() {
        if c.is_control() {
            altered = true;
            continue;
        }
        if count == max_chars {
            altered = true;
            break;
        }
        kept.push(c);
        count += 1;
    }
    (kept, altered)
}

fn field(out: &mut String, name: &str, value: Option<&str>) {
    match value {
        Some(v) => {
            out.push_str(name);
            out.push(':');
            out.push_str(&v.len().to_string());
            out.push(':');
            out.push_str(v);
        }
        None => {
            out.push_str(name);
            out.push_str(":-");
        }
    }
    out.push('\n');
}

/// The canonical serialisation that is hashed: one `name:len:value` line per field, in fixed order,
/// absent optional fields as `name:-`. Independent of serde, so a JSON library upgrade can never
/// change historical hashes.
pub fn canonical(event: &AuditEvent) -> String {
    let mut out = String::new();
    out.push_str(CANONICAL_VERSION);
    out.push('\n');
    field(&mut out, "id", Some(event.id.as_str()));
    field(&mut out, "seq", Some(&event.seq.to_string()));
    field(&mut out, "at", Some(&event.at.as_unix_millis().to_string()));
    field(&mut out, "actor", Some(&event.actor.to_string()));
    field(&mut out, "action", Some(&event.action));
    field(&mut out, "target", Some(&event.target));
    field(&mut out, "before", event.before.as_deref());
    field(&mut out, "after", event.after.as_deref());
    field(&mut out, "rule", event.rule.as_deref());
    out
}

/// `SHA-256(prev_hash || "\n" || canonical(event))` as lowercase hex.
pub fn chain_hash(prev_hash: &str, event: &AuditEvent) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical(event).as_bytes());
    hex::encode(h.finalize())
}

/// An event as stored: with the previous event's hash and its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainedEvent {
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// Chains `event` after `prev` (or after genesis for the first event). The sequence must continue
/// without gaps; the storage layer appends under a lock or a unique `(tenant, seq)` constraint.
pub fn append(prev: Option<&ChainedEvent>, event: AuditEvent) -> DomainResult<ChainedEvent> {
    event.validate()?;
    let expected = prev.map_or(1, |p| p.event.seq.saturating_add(1));
    if event.seq != expected {
        return Err(DomainError::invalid(
            "audit sequence",
            &event.seq.to_string(),
            &format!("the next event must be number {expected}"),
        ));
    }
    let prev_hash = prev.map_or_else(|| GENESIS_HASH.to_string(), |p| p.hash.clone());
    let hash = chain_hash(&prev_hash, &event);
    Ok(ChainedEvent {
        event,
        prev_hash,
        hash,
    })
}

/// What is wrong at a break in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreakReason {
    /// The stored hash does not match the event's contents: the event was altered.
    HashMismatch { expected: String, stored: String },
    /// The event does not point at its predecessor: events were removed, inserted or reordered.
    PrevHashMismatch { expected: String, stored: String },
    /// Sequence numbers skip or repeat.
    SequenceGap { expected: u64, found: u64 },
    /// The newest event is not the expected head: events were truncated.
    HeadMismatch { expected: String, found: String },
}

impl fmt::Display for BreakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakReason::HashMismatch { .. } => {
                f.write_str("the event's contents do not match its hash (it was altered)")
            }
            BreakReason::PrevHashMismatch { .. } => f.write_str(
                "the event does not link to the previous one (events were removed, inserted or reordered)",
            ),
            BreakReason::SequenceGap { expected, found } => {
                write!(f, "expected event number {expected} but found {found}")
            }
            BreakReason::HeadMismatch { .. } => {
                f.write_str("the log ends before the recorded head (recent events are missing)")
            }
        }
    }
}

/// Where and why verification failed.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("audit chain broken at position {index} (event {id}): {reason}")]
pub struct ChainBreak {
    /// Zero-based position in the slice that was verified.
    pub index: usize,
    pub id: AuditEventId,
    pub reason: BreakReason,
}

/// Verifies a segment of the log that starts after `anchor_hash` with sequence `first_seq`. Use
/// [`verify_chain`] for a whole log; use this to verify page by page, anchoring each page on the last
/// hash of the previous one.
pub fn verify_segment(
    anchor_hash: &str,
    first_seq: u64,
    events: &[ChainedEvent],
) -> Result<(), ChainBreak> {
    let mut prev = anchor_hash.to_string();
    let mut seq = first_seq;
    for (index, ce) in events.iter().enumerate() {
        let brk = |reason| ChainBreak {
            index,
            id: ce.event.id.clone(),
            reason,
        };
        if ce.event.seq != seq {
            return Err(brk(BreakReason::SequenceGap {
                expected: seq,
                found: ce.event.seq,
            }));
        }
        if ce.prev_hash != prev {
            return Err(brk(BreakReason::PrevHashMismatch {
                expected: prev,
                stored: ce.prev_hash.clone(),
            }));
        }
        let computed = chain_hash(&ce.prev_hash, &ce.event);
        if computed != ce.hash {
            return Err(brk(BreakReason::HashMismatch {
                expected: computed,
                stored: ce.hash.clone(),
            }));
        }
        prev = ce.hash.clone();
        seq = seq.saturating_add(1);
    }
    Ok(())
}

/// Verifies a whole log, from the genesis event.
pub fn verify_chain(events: &[ChainedEvent]) -> Result<(), ChainBreak> {
    verify_segment(GENESIS_HASH, 1, events)
}

/// Verifies a whole log and that it ends at `head_hash` (kept outside the database, e.g. in exports),
/// which also detects deletion of the newest events.
pub fn verify_chain_to_head(events: &[ChainedEvent], head_hash: &str) -> Result<(), ChainBreak> {
    verify_chain(events)?;
    let found = events.last().map_or(GENESIS_HASH, |e| e.hash.as_str());
    if found != head_hash {
        let index = events.len().saturating_sub(1);
        return Err(ChainBreak {
            index,
            id: events
                .last()
                .map_or_else(|| AuditEventId::from("-"), |e| e.event.id.clone()),
            reason: BreakReason::HeadMismatch {
                expected: head_hash.to_string(),
                found: found.to_string(),
            },
        });
    }
    Ok(())
}

/// Version tag of what a head signature covers; bump it if the signed text ever changes.
pub const HEAD_SIGNATURE_VERSION: &str = "latch-audit-head-v1";
/// The `format` of an exported [`Checkpoint`].
pub const CHECKPOINT_FORMAT: &str = "latch-audit-checkpoint-v1";

/// HMAC-SHA256 (hex) of the head: the newest event's position and hash. Only a holder of the key
/// can produce it, so a head rewound to an earlier event, or a log re-hashed from a changed event
/// onwards, no longer carries a valid signature. `key` is derived from `LATCH_SECRET_KEY` for this
/// purpose alone.
pub fn sign_head(key: &[u8], seq: u64, hash: &str) -> String {
    let seq = seq.to_string();
    let parts: [&[u8]; 5] = [
        HEAD_SIGNATURE_VERSION.as_bytes(),
        b"\n",
        seq.as_bytes(),
        b"\n",
        hash.as_bytes(),
    ];
    hex::encode(super::webhook::hmac_sha256(key, &parts))
}

/// Whether `signature` is the head signature of `(seq, hash)` under `key`, compared in constant time.
pub fn head_signature_matches(key: &[u8], seq: u64, hash: &str, signature: &str) -> bool {
    let expected = sign_head(key, seq, hash);
    expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A signed head exported by `latch audit checkpoint` for an auditor to keep outside the database.
/// Later, `latch audit verify --against` checks that the log still holds event `seq` with `hash`:
/// truncating the log below it, or rewriting anything up to it, is then detected even by someone
/// who could also rewrite the head (and, for events up to the checkpoint, even with the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: String,
    pub seq: u64,
    pub hash: String,
    /// When it was taken (Unix milliseconds); informational.
    pub taken_at: i64,
    /// The head signature of `(seq, hash)`.
    pub signature: String,
}

impl Checkpoint {
    pub fn new(key: &[u8], seq: u64, hash: &str, taken_at: Timestamp) -> Checkpoint {
        Checkpoint {
            format: CHECKPOINT_FORMAT.to_string(),
            seq,
            hash: hash.to_string(),
            taken_at: taken_at.as_unix_millis(),
            signature: sign_head(key, seq, hash),
        }
    }
}

/// Why the log no longer matches a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckpointMismatch {
    #[error("the checkpoint file is not a Latch audit checkpoint (format {0:?})")]
    UnknownFormat(String),
    #[error(
        "the checkpoint's signature does not match this secret key (the file was altered, or it belongs to another installation)"
    )]
    BadSignature,
    #[error(
        "the log ends at event #{head_seq}, before the checkpoint's event #{checkpoint_seq}: events were removed"
    )]
    Truncated { head_seq: u64, checkpoint_seq: u64 },
    #[error(
        "event #{seq} no longer has the hash the checkpoint recorded: the log up to it was rewritten"
    )]
    Rewritten { seq: u64 },
}

/// Compares a checkpoint with the log as it is: `head_seq` is the verified head and `stored_hash`
/// the hash of event `checkpoint.seq` in the log (None when there is no such event). The log itself
/// must already have verified as a chain.
pub fn check_checkpoint(
    key: &[u8],
    checkpoint: &Checkpoint,
    head_seq: u64,
    stored_hash: Option<&str>,
) -> Result<(), CheckpointMismatch> {
    if checkpoint.format != CHECKPOINT_FORMAT {
        return Err(CheckpointMismatch::UnknownFormat(checkpoint.format.clone()));
    }
    if !head_signature_matches(key, checkpoint.seq, &checkpoint.hash, &checkpoint.signature) {
        return Err(CheckpointMismatch::BadSignature);
    }
    if checkpoint.seq > head_seq {
        return Err(CheckpointMismatch::Truncated {
            head_seq,
            checkpoint_seq: checkpoint.seq,
        });
    }
    let expected = if checkpoint.seq == 0 {
        Some(GENESIS_HASH)
    } else {
        stored_hash
    };
    if expected != Some(checkpoint.hash.as_str()) {
        return Err(CheckpointMismatch::Rewritten {
            seq: checkpoint.seq,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ev(seq: u64) -> AuditEvent {
        AuditEvent {
            id: AuditEventId::new(format!("e{seq}")),
            seq,
            at: Timestamp::from_unix_millis(1_700_000_000_000 + seq as i64),
            actor: if seq.is_multiple_of(2) {
                AuditActor::System
            } else {
                AuditActor::User(UserId::from("alice"))
            },
            action: "request.step_approved".into(),
            target: format!("request:REQ-{seq}"),
            before: Some("{\"state\":\"pending\"}".into()),
            after: Some("{\"state\":\"approved\"}".into()),
            rule: if seq == 2 {
                Some("self_approval_allowed".into())
            } else {
                None
            },
        }
    }

    fn log(n: u64) -> Vec<ChainedEvent> {
        let mut out: Vec<ChainedEvent> = Vec::new();
        for s in 1..=n {
            let c = append(out.last(), ev(s)).unwrap();
            out.push(c);
        }
        out
    }

    #[test]
    fn a_head_signature_covers_the_position_and_the_hash_under_the_key() {
        let key = b"derived key for audit heads, 32b";
        let signature = sign_head(key, 7, "abc");
        assert_eq!(signature.len(), 64);
        assert!(head_signature_matches(key, 7, "abc", &signature));
        assert!(
            !head_signature_matches(key, 6, "abc", &signature),
            "rewound head"
        );
        assert!(
            !head_signature_matches(key, 7, "abd", &signature),
            "re-hashed head"
        );
        assert!(
            !head_signature_matches(b"another key", 7, "abc", &signature),
            "forged without the key"
        );
        assert!(!head_signature_matches(key, 7, "abc", ""));
    }

    #[test]
    fn a_checkpoint_detects_truncation_and_rewriting_below_it() {
        let key = b"k";
        let l = log(5);
        let cp = Checkpoint::new(key, 3, &l[2].hash, Timestamp::from_unix_millis(1));
        assert_eq!(check_checkpoint(key, &cp, 5, Some(&l[2].hash)), Ok(()));
        assert_eq!(
            check_checkpoint(key, &cp, 2, None),
            Err(CheckpointMismatch::Truncated {
                head_seq: 2,
                checkpoint_seq: 3
            })
        );
        assert_eq!(
            check_checkpoint(key, &cp, 5, Some("other")),
            Err(CheckpointMismatch::Rewritten { seq: 3 })
        );
        assert_eq!(
            check_checkpoint(b"other key", &cp, 5, Some(&l[2].hash)),
            Err(CheckpointMismatch::BadSignature)
        );
        let mut edited = cp.clone();
        edited.seq = 2;
        assert_eq!(
            check_checkpoint(key, &edited, 5, Some(&l[1].hash)),
            Err(CheckpointMismatch::BadSignature)
        );
        let empty = Checkpoint::new(key, 0, GENESIS_HASH, Timestamp::from_unix_millis(1));
        assert_eq!(check_checkpoint(key, &empty, 0, None), Ok(()));
        let json = serde_json::to_string(&cp).unwrap();
        assert!(json.contains("latch-audit-checkpoint-v1"), "{json}");
        assert_eq!(serde_json::from_str::<Checkpoint>(&json).unwrap(), cp);
    }

    #[test]
    fn typed_text_is_capped_and_stripped_of_control_characters() {
        assert_eq!(
            bounded_typed_text("ada@example.com", 254),
            ("ada@example.com".to_string(), false)
        );
        let (kept, altered) = bounded_typed_text(&"a".repeat(10_000), TYPED_TEXT_MAX_CHARS);
        assert_eq!(kept.chars().count(), TYPED_TEXT_MAX_CHARS);
        assert!(altered);
        assert_eq!(
            bounded_typed_text("ada\n\u{1b}[31m@x", 254),
            ("ada[31m@x".to_string(), true)
        );
        assert_eq!(bounded_typed_text("ééé", 2), ("éé".to_string(), true));
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let l = log(5);
        assert_eq!(l[0].prev_hash, GENESIS_HASH);
        assert_eq!(l[1].prev_hash, l[0].hash);
        assert_eq!(l[0].hash.len(), 64);
        assert!(verify_chain(&l).is_ok());
        assert!(verify_chain(&[]).is_ok());
        assert!(verify_chain_to_head(&l, &l[4].hash).is_ok());
    }

    #[test]
    fn the_hash_is_sha256_of_prev_hash_and_the_canonical_form() {
        let e = ev(1);
        let c = canonical(&e);
        assert!(c.starts_with("latch-audit-v1\nid:2:e1\nseq:1:1\n"));
        assert!(c.contains("actor:10:user:alice\n"));
        assert!(c.ends_with("rule:-\n"));
        let mut h = Sha256::new();
        h.update(format!("{GENESIS_HASH}\n{c}").as_bytes());
        assert_eq!(chain_hash(GENESIS_HASH, &e), hex::encode(h.finalize()));
    }

    #[test]
    fn the_canonical_form_cannot_be_confused_by_field_contents() {
        let mut a = ev(1);
        let mut b = ev(1);
        a.before = Some("x\nafter:1:y".into());
        a.after = None;
        b.before = Some("x".into());
        b.after = Some("y".into());
        assert_ne!(canonical(&a), canonical(&b));
        let mut c = ev(1);
        c.rule = Some(String::new());
        assert_ne!(
            canonical(&c),
            canonical(&ev(1)),
            "empty rule differs from no rule"
        );
    }

    #[test]
    fn an_altered_event_breaks_the_chain_at_that_event() {
        let mut l = log(4);
        l[2].event.after = Some("{\"state\":\"denied\"}".into());
        let b = verify_chain(&l).unwrap_err();
        assert_eq!(b.index, 2);
        assert_eq!(b.id, AuditEventId::from("e3"));
        assert!(matches!(b.reason, BreakReason::HashMismatch { .. }));
        assert!(b.to_string().contains("altered"));
    }

    #[test]
    fn a_rehashed_altered_event_still_breaks_the_next_link() {
        let mut l = log(4);
        l[1].event.actor = AuditActor::User(UserId::from("mallory"));
        l[1].hash = chain_hash(&l[1].prev_hash, &l[1].event);
        let b = verify_chain(&l).unwrap_err();
        assert_eq!(b.index, 2);
        assert!(matches!(b.reason, BreakReason::PrevHashMismatch { .. }));
    }

    #[test]
    fn a_removed_event_is_detected() {
        let mut l = log(4);
        l.remove(1);
        let b = verify_chain(&l).unwrap_err();
        assert_eq!(b.index, 1);
        assert_eq!(
            b.reason,
            BreakReason::SequenceGap {
                expected: 2,
                found: 3
            }
        );
    }

    #[test]
    fn reordered_events_are_detected() {
        let mut l = log(4);
        l.swap(1, 2);
        assert!(verify_chain(&l).is_err());
    }

    #[test]
    fn truncation_is_detected_against_the_recorded_head() {
        let l = log(4);
        let head = l[3].hash.clone();
        let b = verify_chain_to_head(&l[..3], &head).unwrap_err();
        assert!(matches!(b.reason, BreakReason::HeadMismatch { .. }));
    }

    #[test]
    fn segments_verify_from_an_anchor() {
        let l = log(6);
        assert!(verify_segment(&l[2].hash, 4, &l[3..]).is_ok());
        assert!(verify_segment(GENESIS_HASH, 4, &l[3..]).is_err());
    }

    #[test]
    fn appending_out_of_sequence_or_malformed_events_is_refused() {
        let l = log(2);
        assert!(append(l.last(), ev(4)).is_err());
        assert!(append(None, ev(2)).is_err());
        let mut bad = ev(3);
        bad.action = "Request Approved".into();
        assert!(append(l.last(), bad).is_err());
    }
}
