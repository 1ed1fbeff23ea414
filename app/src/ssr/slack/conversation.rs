//! Conversation in the threads of request messages (issue 11 §4): what a person writes in the
//! thread of their copy of a request's message (requester, subject, approver, provisioner)
//! becomes a comment on the request, recorded under their Latch name, and every comment, from
//! Slack or the console, is posted into the threads of the request's other copies.
//!
//! A reply arrives as a `message.im` event (`events::MessageEvent::thread_reply` keeps only a
//! person's reply in a DM thread). Its thread's parent is looked up among the messages Latch
//! remembers showing an object to someone (`slack_messages`: the installation, the DM and the
//! parent's `ts`): a request's message (requester/subject or approver copy) or a provisioning
//! task's message (the task's request). Anything else (a reply under a message Latch did not
//! post, or under an expiry notice) is not a comment and changes nothing.
//!
//! Where comments go: [`share`] posts each (from Slack or the console) with its author's Latch
//! name into the threads of every copy of the request's message but the thread it was written
//! in (`live::post_to_threads`, which posts at once, unpaced: comments are rare). It runs after
//! the comment committed, so a crash in between loses those thread lines, never the comment.
//!
//! Who may comment: the person whose copy it is, acting as their Latch `Actor`, with the
//! console's rule on top (`access_loop::comment`: the request must be visible to them, so a
//! former approver of the request still may, an unrelated account may not). A reply written by
//! someone other than the copy's owner (a DM is the owner's, so only a confused or forged
//! delivery does that) is ignored without a word: telling them anything would say something
//! about a request that is not theirs. The owner, though, is always told when their reply did
//! not become a comment (not linked to an active Latch user, or a rule refused it), with an
//! ephemeral message in the thread: a reviewer must never believe a message reached the others
//! when it did not.

use secrecy::ExposeSecret;
use sqlx::Row;

use crate::domain::Request;
use crate::ssr::AppState;
use crate::ssr::access::{AccessError, AccessResult, directory, grants, user_id};
use crate::ssr::flows::access_loop;
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackApiChatPostEphemeralRequest, SlackMessageContent,
};
use crate::ssr::slack::blocks::{clip, escape};
use crate::ssr::slack::events::{EventCallback, ThreadReply};
use crate::ssr::slack::front_door::{self, ACK_BUDGET, SlackCaller, within};
use crate::ssr::slack::identity::{self, SlackIdentity};
use crate::ssr::slack::live;

/// The remembered message a thread hangs under: whose copy, of what.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ThreadParent {
    /// The Latch user the message was sent to.
    owner: i64,
    object_kind: String,
    object_id: String,
}

/// A `message.im` reply in a thread: a comment on the thread's request when the thread is a
/// request's (or provisioning task's) message and the author is that copy's owner (see the
/// module docs). The work runs within the ack budget; what is left (posting into the others'
/// threads) goes on after the ack. Busy (the bound on deferred work refused it) is an error, so
/// Slack retries the delivery later.
pub async fn on_thread_reply(
    state: &AppState,
    callback: &EventCallback,
    reply: &ThreadReply<'_>,
) -> AccessResult<()> {
    let caller = match front_door::route(state, &callback.origin(reply.user)).await {
        Ok(caller) => caller,
        Err(not_served) => {
            tracing::info!(reason = ?not_served, "a Slack thread reply from a workspace Latch does not serve");
            return Ok(());
        }
    };
    let Some(parent) = thread_parent(
        state,
        &caller.install.install_key,
        reply.channel,
        reply.thread_ts,
    )
    .await?
    else {
        return Ok(());
    };
    if !in_their_dm(state, &caller.install.install_key, reply).await? {
        tracing::info!(
            slack_user = reply.user,
            "a Slack thread reply by someone other than the DM's person; ignored"
        );
        return Ok(());
    }
    let Some(request_id) = request_of(state, &parent).await? else {
        return Ok(());
    };
    let reply = OwnedReply {
        channel: reply.channel.to_owned(),
        thread_ts: reply.thread_ts.to_owned(),
        text: comment_text(reply.text),
    };
    let work_state = state.clone();
    let work =
        async move { comment_from_slack(&work_state, &caller, &parent, &request_id, &reply).await };
    let late = |done: AccessResult<()>| async move {
        if let Err(error) = done {
            tracing::warn!(%error, "a Slack thread reply could not be handled after the ack");
        }
    };
    match within(&state.slack.front_door.deferred, ACK_BUDGET, work, late).await {
        Ok(Some(done)) => done,
        Ok(None) => Ok(()),
        Err(_busy) => Err(AccessError::Data(
            "Latch is too busy to take a Slack thread reply now".into(),
        )),
    }
}

/// What the deferred work needs of a reply.
struct OwnedReply {
    channel: String,
    thread_ts: String,
    /// The comment, already turned from Slack's markup into plain text.
    text: String,
}

/// Identifies the author and records the comment (or tells them why not).
async fn comment_from_slack(
    state: &AppState,
    caller: &SlackCaller,
    parent: &ThreadParent,
    request_id: &str,
    reply: &OwnedReply,
) -> AccessResult<()> {
    let actor = match caller.identify(state).await {
        Ok(SlackIdentity::Linked { actor, .. }) => actor,
        Ok(SlackIdentity::NotLinked(why)) => {
            let text = format!(
                "This wasn't added to the request's comments: {}",
                identity::explain(&why)
            );
            tell(state, caller, reply, &text).await;
            return Ok(());
        }
        Err(error) => {
            let text = front_door::identify_failed(&error);
            tell(state, caller, reply, &text).await;
            return Ok(());
        }
    };
    if actor.id != user_id(parent.owner) {
        tracing::info!(
            slack_user = %caller.slack_user_id,
            "a Slack thread reply by someone other than the message's recipient; ignored"
        );
        return Ok(());
    }
    match access_loop::comment(&state.db, &actor, request_id, &reply.text).await {
        Ok(request) => {
            let written_in = Some((reply.channel.as_str(), reply.thread_ts.as_str()));
            share(state, &request, written_in).await;
            Ok(())
        }
        Err(error @ (AccessError::Db(_) | AccessError::Data(_) | AccessError::Stale)) => {
            tell(
                state,
                caller,
                reply,
                "Latch couldn't add this to the request's comments just now. Please write it again in a moment.",
            )
            .await;
            Err(error)
        }
        Err(refusal) => {
            let text = format!(
                "This wasn't added to the request's comments: {}",
                crate::error::AppError::from(refusal)
            );
            tell(state, caller, reply, &text).await;
            Ok(())
        }
    }
}

/// Posts the comment a console user just added to `request` (its last) into the threads of
/// every copy of the request's message, in the background: the console's answer does not wait
/// for Slack.
pub fn share_console_comment(state: AppState, request: Request) {
    tokio::spawn(async move { share(&state, &request, None).await });
}

/// Posts `request`'s last comment, under its author's Latch name, into the threads of every
/// remembered copy of the request's message (requester, subject, approvers, provisioners)
/// except the thread it was written in (`written_in`: channel and thread `ts`), through
/// `live::post_to_threads`. Once per comment: the Slack reply's event is processed once, the
/// console's call is one call. Best effort: a failure is logged, the comment stays recorded.
async fn share(state: &AppState, request: &Request, written_in: Option<(&str, &str)>) {
    let Some(comment) = request.comments.last() else {
        return;
    };
    let (line, plain) = match directory::names(&state.db).await {
        Ok(names) => comment_line(
            names
                .get(comment.author.as_str())
                .map_or(comment.author.as_str(), String::as_str),
            &comment.body,
        ),
        Err(error) => {
            tracing::warn!(%error, "could not name a comment's author for Slack");
            return;
        }
    };
    let id = request.id.as_str();
    if let Err(error) = live::post_to_threads(state, id, &line, &plain, written_in).await {
        tracing::warn!(%error, request = id, "could not post a comment into Slack threads");
    }
}

/// Longest comment quoted in full in a thread (a section's text holds 3,000 characters).
const QUOTED_MAX: usize = 2_800;

/// A comment's thread line: mrkdwn (`💬 *Name*: text`, both escaped) and plain words.
pub fn comment_line(author: &str, body: &str) -> (String, String) {
    let body = clip(body, QUOTED_MAX);
    (
        format!("💬 *{}*: {}", escape(author), escape(&body)),
        format!("{author}: {body}"),
    )
}

/// An ephemeral message to the author, in the thread they wrote in. Best effort: Slack
/// refusing it leaves nothing else to do.
async fn tell(state: &AppState, caller: &SlackCaller, reply: &OwnedReply, text: &str) {
    let request = SlackApiChatPostEphemeralRequest::new(
        reply.channel.clone().into(),
        caller.slack_user_id.clone().into(),
        SlackMessageContent::new().with_text(text.to_owned()),
    )
    .with_thread_ts(reply.thread_ts.clone().into());
    if let Err(error) = state
        .slack
        .api
        .chat_post_ephemeral(caller.bot_token.expose_secret(), &request)
        .await
    {
        tracing::info!(code = %error.code(), "could not tell a Slack user why their reply is not a comment");
    }
}

/// The remembered message `(channel, ts)` of installation `install_key`, if Latch posted it.
async fn thread_parent(
    state: &AppState,
    install_key: &str,
    channel: &str,
    ts: &str,
) -> AccessResult<Option<ThreadParent>> {
    let row = sqlx::query(
        "SELECT user_id, object_kind, object_id FROM slack_messages \
         WHERE install_key = $1 AND channel_id = $2 AND ts = $3",
    )
    .bind(install_key)
    .bind(channel)
    .bind(ts)
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(match row {
        Some(r) => Some(ThreadParent {
            owner: r.try_get("user_id")?,
            object_kind: r.try_get("object_kind")?,
            object_id: r.try_get("object_id")?,
        }),
        None => None,
    })
}

/// Whether the reply was written by the person Latch's DM `reply.channel` is with (as Latch
/// opened it: `slack_dm_channels`), checked before anything is said to the author.
async fn in_their_dm(
    state: &AppState,
    install_key: &str,
    reply: &ThreadReply<'_>,
) -> AccessResult<bool> {
    let person: Option<String> = sqlx::query_scalar(
        "SELECT slack_user_id FROM slack_dm_channels WHERE install_key = $1 AND channel_id = $2",
    )
    .bind(install_key)
    .bind(reply.channel)
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(person.as_deref() == Some(reply.user))
}

/// The request a remembered message is about: itself for a request's message, the task's
/// request for a provisioning assignment; `None` for anything else (expiry notices).
async fn request_of(state: &AppState, parent: &ThreadParent) -> AccessResult<Option<String>> {
    match parent.object_kind.as_str() {
        "request" => Ok(Some(parent.object_id.clone())),
        "task" => match grants::load_task(&state.db, &parent.object_id).await {
            Ok(task) => Ok(task.request.map(|r| r.to_string())),
            Err(AccessError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        },
        _ => Ok(None),
    }
}

/// Slack's message text as a comment's plain text: links and mentions (`<url|label>`,
/// `<@U123>`, `<#C123|name>`, `<!here>`) become their label or target, and the entities Slack
/// escapes (`&amp;`, `&lt;`, `&gt;`) the characters they stand for.
pub fn comment_text(slack_text: &str) -> String {
    let mut out = String::with_capacity(slack_text.len());
    let mut rest = slack_text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        out.push_str(&markup_label(&after[..end]));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

/// What one `<…>` of Slack's markup reads as.
fn markup_label(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        return format!("@{}", label.unwrap_or(id));
    }
    if let Some(id) = target.strip_prefix('#') {
        return format!("#{}", label.unwrap_or(id));
    }
    if let Some(special) = target.strip_prefix('!') {
        let word = special.split('^').next().unwrap_or(special);
        return format!("@{}", label.unwrap_or(word));
    }
    match label {
        Some(label) if label != target => format!("{label} ({target})"),
        _ => target.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn slack_markup_becomes_plain_text() {
        assert_eq!(
            comment_text("Need it for <https://ex.com/INC-1|INC-1> &amp; the &lt;db&gt;"),
            "Need it for INC-1 (https://ex.com/INC-1) & the <db>"
        );
        assert_eq!(
            comment_text("<@U123> see <#C9|ops>, <!here> <https://ex.com>"),
            "@U123 see #ops, @here https://ex.com"
        );
        assert_eq!(comment_text("  a < b  "), "a < b");
        assert_eq!(comment_text("&amp;lt;"), "&lt;", "unescaped once");
    }

    #[test]
    fn a_comments_thread_line_names_its_author_and_escapes_both() {
        assert_eq!(
            comment_line("Bob <B>", "a & b"),
            (
                "💬 *Bob &lt;B&gt;*: a &amp; b".to_owned(),
                "Bob <B>: a & b".to_owned()
            )
        );
        let long = "x".repeat(5_000);
        let (line, _) = comment_line("Ann", &long);
        assert!(line.chars().count() < 3_000 && line.ends_with('…'));
    }
}
