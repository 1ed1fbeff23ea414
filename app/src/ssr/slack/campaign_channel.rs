//! A campaign's Slack channel, Slack's side (issue 12 §2): attaching a channel for the
//! Communications area ([`attach`]), and the leased `campaign-channels` job ([`run_round`]) that
//! does everything else so no request handler waits on Slack for it.
//!
//! **Attaching** (called by `flows::campaign_channel::add` before anything is stored):
//! `conversations.create` first (a new channel; private when the workspace forbids public ones:
//! `restricted_action`), its description set with `conversations.setPurpose`. When the name is
//! taken the channel exists: `conversations.list` finds it, a public one is joined
//! (`conversations.join`), a private one the app is in is used as is, and a private one the app is
//! not in (invisible to it) is refused with what to do: invite the app first. Every refusal is a
//! [`ChannelRefusal`] in words for the form; a channel created whose description Slack then
//! refused is reported as such and not attached.
//!
//! **The job** (every second, under its lease), for each active channel:
//! 1. invites the people waiting (owners, reviewers): each one's Slack account through
//!    `identity::slack_user_for` (none: listed as unlinked on the tab), then one
//!    `conversations.invite` per 100 with `force` (`already_in_channel` counts as invited);
//! 2. once the campaign runs, posts the status tracker and pins it, then edits it when progress
//!    moved, at most once per `TRACKER_EDIT_GAP_MS` (a burst of submissions is one edit);
//! 3. posts queued announcements (kickoff, reminders), one per channel per round (Slack allows
//!    about one message a second per channel);
//! 4. once the campaign has ended, edits the tracker to read Completed, marks the channel
//!    completed and drops whatever was still queued: nothing more is sent.
//!
//! A 429 ends the round (the next one retries); Slack outages leave the work queued.

use std::collections::BTreeMap;
use std::time::Duration;

use slack_morphism::prelude::{
    SlackApiChatPostMessageRequest, SlackApiChatUpdateRequest, SlackApiConversationsCreateRequest,
    SlackApiConversationsJoinRequest, SlackApiConversationsListRequest,
    SlackApiConversationsSetPurposeRequest, SlackApiPinsAddRequest, SlackConversationType,
    SlackCursorId, SlackMessageContent,
};
use slack_morphism::{SlackChannelId, SlackTs};
use sqlx::Row;

use crate::components::time::utc_minute;
use crate::domain::campaign::channel::{
    Announcement, INVITE_BATCH, TrackerEdit, TrackerProgress, announcement_text, tracker_edit,
    tracker_text,
};
use crate::domain::campaign::{Campaign, CampaignStatus, ReviewOutcome};
use crate::ssr::AppState;
use crate::ssr::access::campaigns;
use crate::ssr::clock::now_ms;
use crate::ssr::flows::campaign_channel::{CampaignChannel, channel_from_row};
use crate::ssr::slack::api::{ConversationsInviteRequest, SlackApi, SlackError};
use crate::ssr::slack::identity::{IdentityError, Linker};
use crate::ssr::slack::store::{self, Installation};

/// The job's lease name.
pub const JOB: &str = "campaign-channels";
/// How often it runs.
pub const EVERY: Duration = Duration::from_secs(1);
/// Channels looked at per round.
const CHANNELS_PER_ROUND: i64 = 50;
/// Pages of `conversations.list` read while looking for an existing channel (1,000 each).
const MAX_LIST_PAGES: usize = 50;
/// Queued posts that failed for a passing reason are tried again after this, doubling.
const POST_RETRY_MS: i64 = 2_000;
/// Posts given up after this many attempts.
const POST_MAX_ATTEMPTS: i64 = 8;

/// A channel ready to be attached to a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub channel_id: String,
    pub name: String,
    pub is_private: bool,
    /// Latch created it now (rather than finding an existing one).
    pub created: bool,
    /// Something the owner should know although it worked.
    pub note: Option<String>,
}

/// Slack refused, in words for the form. Nothing was attached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ChannelRefusal(pub String);

/// What Slack's refusal `error` means to the owner adding `#name`.
pub fn refusal(name: &str, error: &SlackError) -> ChannelRefusal {
    let code = match error {
        SlackError::Api(code) => code.as_str(),
        SlackError::RateLimited(secs) => {
            return ChannelRefusal(format!(
                "Slack is busy (rate limited); nothing was changed. Try again in {secs} seconds."
            ));
        }
        _ => {
            return ChannelRefusal(
                "Slack did not answer in time; nothing was changed. Try again in a moment.".into(),
            );
        }
    };
    ChannelRefusal(match code {
        "invalid_name_specials" | "invalid_name" => format!(
            "Slack refused the name #{name}: only lowercase letters, digits, hyphens and underscores are allowed."
        ),
        "invalid_name_maxlength" => {
            format!("Slack refused the name #{name}: it is longer than 80 characters.")
        }
        "invalid_name_punctuation" | "invalid_name_required" | "no_channel" => {
            format!("Slack refused the name #{name}: it needs at least one letter or digit.")
        }
        "restricted_action" | "cannot_create_channel" => format!(
            "Your Slack workspace does not let Latch create channels. Create #{name} in Slack, \
             invite Latch to it, then add it here."
        ),
        "missing_scope" | "not_allowed_token_type" | "no_permission" => format!(
            "Latch's Slack app is missing a permission for #{name} (Slack said {code}). \
             Reinstall it from Settings > Slack, then try again."
        ),
        "method_not_supported_for_channel_type" | "not_in_channel" => format!(
            "#{name} is a private channel Latch is not in. Invite the Latch app to it in Slack \
             (/invite @Latch in the channel), then add it here again."
        ),
        "is_archived" => {
            format!("#{name} is archived in Slack. Unarchive it, or choose another name.")
        }
        "too_long" => format!(
            "Slack counts the description of #{name} as longer than 250 characters; shorten it."
        ),
        "channel_not_found" => format!("Slack could not find #{name}."),
        "too_many_members" => {
            format!("Slack does not let Latch join #{name}: it has too many members.")
        }
        "invalid_auth" | "account_inactive" | "token_revoked" | "not_authed" => {
            "Latch is no longer connected to Slack. Reconnect it from Settings > Slack.".into()
        }
        other => format!("Slack refused to set up #{name} ({other})."),
    })
}

/// Creates `#name` (private when the workspace allows only private channels) with
/// `description` as its purpose, or finds the existing channel of that name and joins it.
pub async fn attach(
    api: &SlackApi,
    token: &str,
    name: &str,
    description: &str,
) -> Result<Attached, ChannelRefusal> {
    let created = match create(api, token, name, false).await {
        Err(SlackError::Api(code)) if code == "restricted_action" => {
            create(api, token, name, true).await
        }
        other => other,
    };
    match created {
        Ok((channel_id, is_private)) => {
            if !description.trim().is_empty() {
                let purpose = SlackApiConversationsSetPurposeRequest {
                    channel: SlackChannelId(channel_id.clone()),
                    purpose: description.trim().to_string(),
                };
                if let Err(error) = api.conversations_set_purpose(token, &purpose).await {
                    let why = refusal(name, &error).0;
                    return Err(ChannelRefusal(format!(
                        "#{name} was created in Slack, but its description could not be set: {why} \
                         It was not added to this campaign; add #{name} again to use it as it is."
                    )));
                }
            }
            Ok(Attached {
                channel_id,
                name: name.to_string(),
                is_private,
                created: true,
                note: is_private.then(|| {
                    format!(
                        "Your workspace allows only private channels, so #{name} was created private."
                    )
                }),
            })
        }
        Err(SlackError::Api(code)) if code == "name_taken" => {
            existing(api, token, name, description).await
        }
        Err(error) => Err(refusal(name, &error)),
    }
}

async fn create(
    api: &SlackApi,
    token: &str,
    name: &str,
    is_private: bool,
) -> Result<(String, bool), SlackError> {
    let request = SlackApiConversationsCreateRequest {
        name: name.to_string(),
        is_private: Some(is_private),
        user_ds: None,
    };
    let answer = api.conversations_create(token, &request).await?;
    let private = answer.channel.flags.is_private.unwrap_or(is_private);
    Ok((answer.channel.id.0, private))
}

/// The channel `#name` exists: join it when public; use it when private and the app is in it.
async fn existing(
    api: &SlackApi,
    token: &str,
    name: &str,
    description: &str,
) -> Result<Attached, ChannelRefusal> {
    let note = (!description.trim().is_empty()).then(|| {
        format!(
            "#{name} already existed: it was joined, and its own description was left as it is."
        )
    });
    let Some(found) = find_by_name(api, token, name).await? else {
        // Taken, yet not listed: a private channel the app cannot see.
        return Err(refusal(
            name,
            &SlackError::Api("method_not_supported_for_channel_type".into()),
        ));
    };
    if found.is_archived {
        return Err(refusal(name, &SlackError::Api("is_archived".into())));
    }
    if found.is_private {
        // Listed means the app is a member (a bot sees only the private channels it is in).
        return Ok(Attached {
            channel_id: found.id,
            name: name.to_string(),
            is_private: true,
            created: false,
            note,
        });
    }
    let join = SlackApiConversationsJoinRequest {
        channel: SlackChannelId(found.id.clone()),
    };
    api.conversations_join(token, &join)
        .await
        .map_err(|e| refusal(name, &e))?;
    Ok(Attached {
        channel_id: found.id,
        name: name.to_string(),
        is_private: false,
        created: false,
        note,
    })
}

struct Listed {
    id: String,
    is_private: bool,
    is_archived: bool,
}

async fn find_by_name(
    api: &SlackApi,
    token: &str,
    name: &str,
) -> Result<Option<Listed>, ChannelRefusal> {
    let mut cursor: Option<SlackCursorId> = None;
    for _ in 0..MAX_LIST_PAGES {
        let request = SlackApiConversationsListRequest {
            cursor: cursor.clone(),
            limit: Some(1000),
            exclude_archived: Some(false),
            types: Some(vec![
                SlackConversationType::Public,
                SlackConversationType::Private,
            ]),
        };
        let page = api
            .conversations_list(token, &request)
            .await
            .map_err(|e| refusal(name, &e))?;
        if let Some(c) = page
            .channels
            .iter()
            .find(|c| c.name.as_deref() == Some(name))
        {
            return Ok(Some(Listed {
                id: c.id.0.clone(),
                is_private: c.flags.is_private == Some(true),
                is_archived: c.flags.is_archived == Some(true),
            }));
        }
        cursor = page
            .response_metadata
            .and_then(|m| m.next_cursor)
            .filter(|c| !c.0.is_empty());
        if cursor.is_none() {
            return Ok(None);
        }
    }
    Err(ChannelRefusal(format!(
        "Latch could not find #{name} among your workspace's channels in time. Try again."
    )))
}

// ----- the job -----

/// Why a round stops early.
enum Stop {
    /// Slack asked Latch to slow down: the rest waits for the next round.
    RateLimited,
    Failed(String),
}

impl From<sqlx::Error> for Stop {
    fn from(e: sqlx::Error) -> Self {
        Stop::Failed(e.to_string())
    }
}

impl From<crate::ssr::access::AccessError> for Stop {
    fn from(e: crate::ssr::access::AccessError) -> Self {
        Stop::Failed(e.to_string())
    }
}

/// One round of the `campaign-channels` job.
pub async fn run_round(state: &AppState) -> Result<(), String> {
    match round(state).await {
        Ok(()) | Err(Stop::RateLimited) => Ok(()),
        Err(Stop::Failed(e)) => Err(e),
    }
}

async fn round(state: &AppState) -> Result<(), Stop> {
    // Only channels with something to do: people to invite, a tracker to post, edit or
    // complete, an announcement due. An idle round is this one query.
    let columns = crate::ssr::flows::campaign_channel::CHANNEL_COLUMNS
        .split(", ")
        .map(|c| format!("cc.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {columns} FROM campaign_channels cc JOIN campaigns c ON c.id = cc.campaign_id \
         WHERE cc.status = 'active' AND ( \
           EXISTS (SELECT 1 FROM campaign_channel_members m \
                   WHERE m.campaign_id = cc.campaign_id AND m.state = 'pending') \
           OR (c.status IN ('running', 'ended', 'completed') \
               AND (cc.tracker_ts IS NULL OR cc.tracker_changed = 1 OR c.status <> 'running')) \
           OR EXISTS (SELECT 1 FROM campaign_channel_posts p \
                      WHERE p.campaign_id = cc.campaign_id AND p.attachment_id = cc.attachment_id \
                      AND p.state = 'pending' AND p.next_at <= $2)) \
         ORDER BY cc.campaign_id LIMIT $1"
    ))
    .bind(CHANNELS_PER_ROUND)
    .bind(now_ms())
    .fetch_all(&state.db.pool)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let installs: BTreeMap<String, Installation> = store::list(&state.db)
        .await?
        .into_iter()
        .filter(|i| i.connected)
        .map(|i| (i.install_key.clone(), i))
        .collect();
    for row in &rows {
        let channel = channel_from_row(row)?;
        let Some(install) = installs.get(&channel.install_key) else {
            continue;
        };
        let Ok(Some(token)) = install.bot_token(&state.slack.sealer) else {
            continue;
        };
        let campaign = campaigns::load(&state.db, channel.campaign_id.as_str()).await?;
        let work = ChannelWork {
            state,
            install,
            token: &token,
            channel: &channel,
            campaign: &campaign,
        };
        work.run().await?;
    }
    Ok(())
}

struct ChannelWork<'a> {
    state: &'a AppState,
    install: &'a Installation,
    token: &'a str,
    channel: &'a CampaignChannel,
    campaign: &'a Campaign,
}

/// A Slack error that should end the round rather than be recorded.
fn passing(error: &SlackError) -> Option<Stop> {
    match error {
        SlackError::RateLimited(_) => Some(Stop::RateLimited),
        _ => None,
    }
}

/// Slack's refusals that concern the channel itself, not one person or message.
fn channel_level(code: &str) -> bool {
    matches!(
        code,
        "channel_not_found"
            | "not_in_channel"
            | "is_archived"
            | "missing_scope"
            | "invalid_auth"
            | "token_revoked"
            | "account_inactive"
            | "restricted_action"
            | "method_not_supported_for_channel_type"
    )
}

impl ChannelWork<'_> {
    async fn run(&self) -> Result<(), Stop> {
        self.invite_waiting().await?;
        let status = self.campaign.status();
        if matches!(
            status,
            CampaignStatus::Running | CampaignStatus::Ended | CampaignStatus::Completed
        ) {
            let ended = status != CampaignStatus::Running;
            let shown = self.tracker(ended).await?;
            if ended {
                if shown {
                    self.complete().await?;
                }
                return Ok(());
            }
            self.post_next().await?;
        }
        Ok(())
    }

    fn campaign_id(&self) -> &str {
        self.channel.campaign_id.as_str()
    }

    async fn record_failure(&self, failure: Option<&str>) -> Result<(), Stop> {
        sqlx::query(
            "UPDATE campaign_channels SET failure = $3, updated_at = $4 \
             WHERE campaign_id = $1 AND attachment_id = $2",
        )
        .bind(self.campaign_id())
        .bind(&self.channel.attachment_id)
        .bind(failure)
        .bind(now_ms())
        .execute(&self.state.db.pool)
        .await?;
        Ok(())
    }

    async fn set_member(
        &self,
        user_id: i64,
        member_state: &str,
        slack_user: Option<&str>,
        failure: Option<&str>,
    ) -> Result<(), Stop> {
        sqlx::query(
            "UPDATE campaign_channel_members SET state = $3, slack_user_id = $4, failure = $5, \
             updated_at = $6 WHERE campaign_id = $1 AND user_id = $2 AND state = 'pending' \
             AND EXISTS (SELECT 1 FROM campaign_channels WHERE campaign_id = $1 AND attachment_id = $7)",
        )
        .bind(self.campaign_id())
        .bind(user_id)
        .bind(member_state)
        .bind(slack_user)
        .bind(failure)
        .bind(now_ms())
        .bind(&self.channel.attachment_id)
        .execute(&self.state.db.pool)
        .await?;
        Ok(())
    }

    /// Invites up to one batch of the people waiting.
    async fn invite_waiting(&self) -> Result<(), Stop> {
        let rows = sqlx::query(
            "SELECT user_id FROM campaign_channel_members WHERE campaign_id = $1 \
             AND state = 'pending' ORDER BY user_id LIMIT $2",
        )
        .bind(self.campaign_id())
        .bind(i64::try_from(INVITE_BATCH).unwrap_or(100))
        .fetch_all(&self.state.db.pool)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let linker = match Linker::new(&self.state.db, &self.state.slack, self.install) {
            Ok(linker) => linker,
            Err(_) => return Ok(()),
        };
        let mut batch: Vec<(i64, String)> = Vec::new();
        for row in rows {
            let user_id: i64 = row.try_get("user_id")?;
            match linker.slack_user_for(user_id).await {
                Ok(Some(slack_user)) => batch.push((user_id, slack_user)),
                Ok(None) => self.set_member(user_id, "unlinked", None, None).await?,
                Err(IdentityError::Slack(SlackError::RateLimited(_))) => {
                    return Err(Stop::RateLimited);
                }
                // Slack could not be asked: they wait for the next round.
                Err(_) => {}
            }
        }
        self.invite(&batch).await
    }

    async fn invite(&self, batch: &[(i64, String)]) -> Result<(), Stop> {
        if batch.is_empty() {
            return Ok(());
        }
        let request = ConversationsInviteRequest {
            channel: self.channel.channel_id.clone(),
            users: batch
                .iter()
                .map(|(_, s)| s.as_str())
                .collect::<Vec<_>>()
                .join(","),
            force: true,
        };
        match self
            .state
            .slack
            .api
            .conversations_invite(self.token, &request)
            .await
        {
            Ok(answer) => {
                let skipped: BTreeMap<&str, &str> = answer
                    .errors
                    .iter()
                    .map(|f| (f.user.as_str(), f.error.as_str()))
                    .collect();
                for (user_id, slack_user) in batch {
                    match skipped.get(slack_user.as_str()) {
                        None | Some(&"already_in_channel") => {
                            self.set_member(*user_id, "invited", Some(slack_user), None)
                                .await?
                        }
                        Some(code) => {
                            self.set_member(*user_id, "refused", Some(slack_user), Some(code))
                                .await?
                        }
                    }
                }
                self.record_failure(None).await
            }
            Err(error) => {
                if let Some(stop) = passing(&error) {
                    return Err(stop);
                }
                let SlackError::Api(code) = &error else {
                    return Ok(());
                };
                if code == "already_in_channel" {
                    for (user_id, slack_user) in batch {
                        self.set_member(*user_id, "invited", Some(slack_user), None)
                            .await?;
                    }
                    return Ok(());
                }
                if channel_level(code) {
                    return self.record_failure(Some(code)).await;
                }
                // Everyone in the batch failed: with one person that is their answer; with
                // several, each is asked alone so each gets their own.
                if let [(user_id, slack_user)] = batch {
                    return self
                        .set_member(*user_id, "refused", Some(slack_user), Some(code))
                        .await;
                }
                for one in batch {
                    Box::pin(self.invite(std::slice::from_ref(one))).await?;
                }
                Ok(())
            }
        }
    }

    async fn progress(&self, ended: bool) -> Result<TrackerProgress, Stop> {
        let counts = campaigns::counts(&self.state.db, self.campaign_id()).await?;
        let total: u64 = counts.values().sum();
        let open = counts.get(&ReviewOutcome::Open).copied().unwrap_or(0);
        Ok(TrackerProgress {
            campaign_name: self.campaign.fields.name.clone(),
            done: total - open.min(total),
            total,
            due: self.campaign.fields.due_at.map(utc_minute),
            ended,
            link: self
                .state
                .public_url
                .join(&format!("/access-reviews/{}", self.campaign_id())),
        })
    }

    /// Posts (and pins) the tracker, or edits it when progress moved and pacing allows.
    /// `true` when it now shows the campaign's current state.
    async fn tracker(&self, ended: bool) -> Result<bool, Stop> {
        let now = now_ms();
        if self.channel.tracker_ts.is_some() {
            if !self.channel.tracker_changed && !ended {
                return Ok(true);
            }
            // Paced: progress is not even counted until the next edit may go.
            if let TrackerEdit::At(_) = tracker_edit(true, self.channel.tracker_edited_at, now) {
                return Ok(false);
            }
        }
        let text = tracker_text(&self.progress(ended).await?);
        let api = &self.state.slack.api;
        let Some(ts) = &self.channel.tracker_ts else {
            let request = SlackApiChatPostMessageRequest::new(
                SlackChannelId(self.channel.channel_id.clone()),
                SlackMessageContent::new().with_text(text.clone()),
            );
            let posted = match api.chat_post_message(self.token, &request).await {
                Ok(posted) => posted,
                Err(error) => return self.tracker_failed(&error).await.map(|()| false),
            };
            let pin = SlackApiPinsAddRequest {
                channel: SlackChannelId(self.channel.channel_id.clone()),
                timestamp: posted.ts.clone(),
            };
            let pinned = match api.pins_add(self.token, &pin).await {
                Ok(()) => None,
                Err(SlackError::Api(code)) if code == "already_pinned" => None,
                Err(error) => Some(error.code()),
            };
            sqlx::query(
                "UPDATE campaign_channels SET tracker_ts = $3, tracker_text = $4, \
                 tracker_changed = 0, tracker_edited_at = $5, failure = $6, updated_at = $5 \
                 WHERE campaign_id = $1 AND attachment_id = $2",
            )
            .bind(self.campaign_id())
            .bind(&self.channel.attachment_id)
            .bind(&posted.ts.0)
            .bind(&text)
            .bind(now)
            .bind(pinned.map(|code| format!("the tracker could not be pinned ({code})")))
            .execute(&self.state.db.pool)
            .await?;
            return Ok(true);
        };
        let shown = self.channel.tracker_text.as_deref() == Some(text.as_str());
        if shown {
            if self.channel.tracker_changed {
                self.mark_tracker(&text, self.channel.tracker_edited_at)
                    .await?;
            }
            return Ok(true);
        }
        match tracker_edit(true, self.channel.tracker_edited_at, now) {
            TrackerEdit::Now => {}
            TrackerEdit::Nothing | TrackerEdit::At(_) => return Ok(false),
        }
        let request = SlackApiChatUpdateRequest::new(
            SlackChannelId(self.channel.channel_id.clone()),
            SlackMessageContent::new().with_text(text.clone()),
            SlackTs(ts.clone()),
        );
        match api.chat_update(self.token, &request).await {
            Ok(_) => {
                self.mark_tracker(&text, Some(now)).await?;
                self.record_failure(None).await?;
                Ok(true)
            }
            // The tracker was deleted in Slack: post a new one next round.
            Err(SlackError::Api(code))
                if code == "message_not_found" || code == "cant_update_message" =>
            {
                sqlx::query(
                    "UPDATE campaign_channels SET tracker_ts = NULL, tracker_text = NULL \
                     WHERE campaign_id = $1 AND attachment_id = $2",
                )
                .bind(self.campaign_id())
                .bind(&self.channel.attachment_id)
                .execute(&self.state.db.pool)
                .await?;
                Ok(false)
            }
            Err(error) => self.tracker_failed(&error).await.map(|()| false),
        }
    }

    async fn tracker_failed(&self, error: &SlackError) -> Result<(), Stop> {
        if let Some(stop) = passing(error) {
            return Err(stop);
        }
        match error {
            SlackError::Api(code) => self.record_failure(Some(code)).await,
            _ => Ok(()),
        }
    }

    async fn mark_tracker(&self, text: &str, edited_at: Option<i64>) -> Result<(), Stop> {
        sqlx::query(
            "UPDATE campaign_channels SET tracker_text = $3, tracker_changed = 0, \
             tracker_edited_at = $4, updated_at = $5 WHERE campaign_id = $1 AND attachment_id = $2",
        )
        .bind(self.campaign_id())
        .bind(&self.channel.attachment_id)
        .bind(text)
        .bind(edited_at)
        .bind(now_ms())
        .execute(&self.state.db.pool)
        .await?;
        Ok(())
    }

    /// The tracker reads Completed: the channel is done with, and whatever was queued is dropped.
    async fn complete(&self) -> Result<(), Stop> {
        let mut tx = self.state.db.begin().await?;
        sqlx::query(
            "UPDATE campaign_channels SET status = 'completed', updated_at = $3 \
             WHERE campaign_id = $1 AND attachment_id = $2 AND status = 'active'",
        )
        .bind(self.campaign_id())
        .bind(&self.channel.attachment_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM campaign_channel_posts WHERE campaign_id = $1 AND state = 'pending'",
        )
        .bind(self.campaign_id())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Posts the oldest due announcement.
    async fn post_next(&self) -> Result<(), Stop> {
        let now = now_ms();
        let row = sqlx::query(
            "SELECT id, body, attempts FROM campaign_channel_posts WHERE campaign_id = $1 \
             AND attachment_id = $2 AND state = 'pending' AND next_at <= $3 ORDER BY id LIMIT 1",
        )
        .bind(self.campaign_id())
        .bind(&self.channel.attachment_id)
        .bind(now)
        .fetch_optional(&self.state.db.pool)
        .await?;
        let Some(row) = row else { return Ok(()) };
        let id: i64 = row.try_get("id")?;
        let attempts: i64 = row.try_get("attempts")?;
        let body: String = row.try_get("body")?;
        let what: Announcement =
            serde_json::from_str(&body).map_err(|e| Stop::Failed(e.to_string()))?;
        let counts = campaigns::counts(&self.state.db, self.campaign_id()).await?;
        let total: u64 = counts.values().sum();
        let open = counts.get(&ReviewOutcome::Open).copied().unwrap_or(0);
        let text = announcement_text(
            &what,
            &self.campaign.fields.name,
            open,
            total,
            &self.state.public_url.join("/access-reviews/mine"),
        );
        let request = SlackApiChatPostMessageRequest::new(
            SlackChannelId(self.channel.channel_id.clone()),
            SlackMessageContent::new().with_text(text),
        );
        let outcome = self
            .state
            .slack
            .api
            .chat_post_message(self.token, &request)
            .await;
        let (state, ts, failure, next_at) = match outcome {
            Ok(posted) => ("sent", Some(posted.ts.0), None, now),
            Err(error) => {
                if let Some(stop) = passing(&error) {
                    return Err(stop);
                }
                match error {
                    SlackError::Api(code) => ("failed", None, Some(code), now),
                    _ if attempts + 1 >= POST_MAX_ATTEMPTS => {
                        ("failed", None, Some(error.code()), now)
                    }
                    _ => (
                        "pending",
                        None,
                        Some(error.code()),
                        now + (POST_RETRY_MS << attempts.clamp(0, 10)),
                    ),
                }
            }
        };
        sqlx::query(
            "UPDATE campaign_channel_posts SET state = $2, ts = $3, failure = $4, \
             attempts = attempts + 1, next_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(state)
        .bind(ts)
        .bind(failure)
        .bind(next_at)
        .execute(&self.state.db.pool)
        .await?;
        Ok(())
    }
}
