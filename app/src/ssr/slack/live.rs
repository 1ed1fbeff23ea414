//! Slack messages that follow their object (issue 11): every remembered DM showing a request, a
//! provisioning task or a grant (`slack_messages`: the requester's, each approver's, each
//! provisioner's and the holder's copy) is re-rendered for its viewer and edited in place when
//! that object changes, and the request's history events are posted in its thread.
//!
//! *Marks.* The repositories' saves of requests (`access::requests::persist`), grants
//! (`access::grants::save_grant`) and provisioning tasks (`save_task`, `insert_tasks`) call
//! [`mark_changed`] in their own transaction, so a committed change always has its mark
//! (`slack_live_marks`, append-only like `slack_home_marks`).
//!
//! *The job* (`slack-live`, leased, every [`EVERY`]): [`refresh_round`] reads the oldest marks,
//! finds every message showing each marked object (a request's mark also reaches its tasks'
//! provisioner copies, a task's and a grant's mark the request's copies), renders each one for
//! its viewer ([`render`]) and edits it with `chat.update` when what it shows changed
//! (`rendered_hash`), then posts in its thread the request's history events that matter to that
//! role and were not told there yet (`thread_event_id`). Paced with delivery's [`Pacer`]
//! (Tier 3 for `chat.update`, one message a second per DM for thread posts); a call the pacer
//! holds back leaves the object's marks for a later round; a 429 pauses the method for its
//! `Retry-After`; an outage ends the round with the marks kept; a message Slack will not edit any
//! more (`message_not_found`, `cant_update_message`, …) is forgotten. Thread posts are committed
//! as claimed before the post (`thread_claim_event`): a crash between the post and its record
//! skips that line rather than posting it twice.
//!
//! *For other modules:*
//! - [`refresh_message`]: re-render one remembered message now (after a stale click).
//! - [`post_to_threads`]: post a line (a console comment, say) in the threads of every message
//!   showing a request, optionally except one message (the thread it was written in).
//!
//! [`Pacer`]: super::delivery::pacer::Pacer

use crate::domain::Timestamp;
use crate::ssr::access::{AccessResult, Tx};

/// Marks `object_kind` (`request`, `task` or `grant`) `object_id` as changed, inside the change's
/// own transaction: the `slack-live` job refreshes every Slack message showing it.
pub async fn mark_changed(
    tx: &mut Tx<'_>,
    object_kind: &str,
    object_id: &str,
    at: Timestamp,
) -> AccessResult<()> {
    sqlx::query(
        "INSERT INTO slack_live_marks (object_kind, object_id, marked_at) VALUES ($1, $2, $3)",
    )
    .bind(object_kind)
    .bind(object_id)
    .bind(at.as_unix_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
