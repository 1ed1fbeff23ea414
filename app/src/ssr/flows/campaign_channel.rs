//! A campaign's Slack channel (issue 12 §2): the Communications area's use cases and the hooks
//! other flows call inside their own transactions.
//!
//! * [`add`] (an existing channel or a new one), [`set_active`] (Deactivate / Activate) and
//!   [`remove`] take an [`Actor`] who manages the campaign, and write `campaign.channel_*` to the
//!   audit log. Adding talks to Slack before anything is stored (join or create, then the
//!   purpose), so a refusal comes back as a message on the form and nothing half-configured is
//!   kept; the Slack calls themselves are in [`crate::ssr::slack::campaign_channel`].
//! * Hooks, inside the caller's transaction: [`announce`] queues a post (kickoff, reminders) when
//!   the campaign has an active channel; [`campaign_started`] and [`reviewers_assigned`] queue
//!   invitations; [`progress_changed`] and [`campaign_ended`] mark the tracker for an edit.
//! * Nothing here waits on Slack for posting: the leased `campaign-channels` job
//!   ([`crate::ssr::slack::campaign_channel::run_round`]) invites people in batches, posts and
//!   pins the status tracker, edits it (paced), posts the queued announcements, and writes
//!   Completed once the campaign has ended, after which nothing more is sent.

use sqlx::Row;

use crate::domain::campaign::channel::{
    Announcement, ChannelAction, ChannelChange, ChannelStatus, CommunicationsActions,
    check_channel_description, normalize_channel_name,
};
use crate::domain::campaign::{Campaign, CampaignId};
use crate::domain::{Timestamp, UserId};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::audit::{self, Entry};
use crate::ssr::access::{AccessError, AccessResult, Actor, Conn, Tx, campaigns, new_id, now};
use crate::ssr::slack::campaign_channel::{self as slack_channel, Attached, ChannelRefusal};
use crate::ssr::slack::store::{self, Installation};

/// A campaign's channel as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignChannel {
    pub campaign_id: CampaignId,
    /// New on every add: work queued for a removed channel never reaches the next one.
    pub attachment_id: String,
    pub install_key: String,
    pub channel_id: String,
    pub channel_name: String,
    pub is_private: bool,
    /// Latch created it (rather than joining an existing one).
    pub created_by_latch: bool,
    pub status: ChannelStatus,
    pub tracker_ts: Option<String>,
    pub tracker_text: Option<String>,
    pub tracker_changed: bool,
    pub tracker_edited_at: Option<i64>,
    /// Slack's refusal of the last post or edit.
    pub failure: Option<String>,
    pub added_by: UserId,
    pub added_at: Timestamp,
}

pub(crate) const CHANNEL_COLUMNS: &str = "campaign_id, attachment_id, install_key, channel_id, channel_name, \
     is_private, created_by_latch, status, tracker_ts, tracker_text, tracker_changed, \
     tracker_edited_at, failure, added_by, added_at";

pub(crate) fn channel_from_row(row: &sqlx::any::AnyRow) -> AccessResult<CampaignChannel> {
    let status: String = row.try_get("status")?;
    Ok(CampaignChannel {
        campaign_id: CampaignId::new(row.try_get::<String, _>("campaign_id")?),
        attachment_id: row.try_get("attachment_id")?,
        install_key: row.try_get("install_key")?,
        channel_id: row.try_get("channel_id")?,
        channel_name: row.try_get("channel_name")?,
        is_private: row.try_get::<i64, _>("is_private")? != 0,
        created_by_latch: row.try_get::<i64, _>("created_by_latch")? != 0,
        status: ChannelStatus::parse(&status)?,
        tracker_ts: row.try_get("tracker_ts")?,
        tracker_text: row.try_get("tracker_text")?,
        tracker_changed: row.try_get::<i64, _>("tracker_changed")? != 0,
        tracker_edited_at: row.try_get("tracker_edited_at")?,
        failure: row.try_get("failure")?,
        added_by: crate::ssr::access::user_id(row.try_get("added_by")?),
        added_at: Timestamp::from_unix_millis(row.try_get("added_at")?),
    })
}

/// The channel attached to `campaign_id`, if any.
pub async fn load<'c>(
    conn: impl Into<Conn<'c>>,
    campaign_id: &str,
) -> AccessResult<Option<CampaignChannel>> {
    let mut conn = conn.into().get().await?;
    let row = sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM campaign_channels WHERE campaign_id = $1"
    ))
    .bind(campaign_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(channel_from_row).transpose()
}

/// Queues `what` for the campaign's channel, inside the caller's transaction, when the campaign
/// has an active channel (deactivated, completed or no channel: nothing is queued, and `false`
/// says so). The `campaign-channels` job posts it within a second or two; a channel deactivated
/// or removed before then drops it.
///
/// ```ignore
/// campaign_channel::announce(&mut tx, &campaign.id, Announcement::Kickoff).await?;
/// campaign_channel::announce(&mut tx, &campaign.id, Announcement::Reminder { due_in: "in 3 days".into() }).await?;
/// ```
pub async fn announce(
    tx: &mut Tx<'_>,
    campaign_id: &CampaignId,
    what: Announcement,
) -> AccessResult<bool> {
    let row =
        sqlx::query("SELECT attachment_id, status FROM campaign_channels WHERE campaign_id = $1")
            .bind(campaign_id.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    let Some(row) = row else { return Ok(false) };
    let status: String = row.try_get("status")?;
    if !ChannelStatus::parse(&status)?.may_post() {
        return Ok(false);
    }
    let attachment: String = row.try_get("attachment_id")?;
    let at = now().as_unix_millis();
    sqlx::query(
        "INSERT INTO campaign_channel_posts \
         (campaign_id, attachment_id, kind, body, state, attempts, next_at, queued_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
    )
    .bind(campaign_id.as_str())
    .bind(&attachment)
    .bind(what.kind())
    .bind(serde_json::to_string(&what)?)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Queues invitations for `people` (reviewers just assigned, e.g. by reassignment) when the
/// campaign has a channel; people already invited or listed are left as they are.
pub async fn reviewers_assigned(
    tx: &mut Tx<'_>,
    campaign_id: &CampaignId,
    people: &[UserId],
) -> AccessResult<()> {
    if !has_open_channel(tx, campaign_id.as_str()).await? {
        return Ok(());
    }
    queue_members(tx, campaign_id.as_str(), people, now().as_unix_millis()).await
}

/// The campaign started: everyone who should be in its channel (owners and every assigned
/// reviewer) is invited, people not found in Slack before are looked for again, and the tracker
/// is posted by the job.
pub async fn campaign_started(tx: &mut Tx<'_>, campaign: &Campaign) -> AccessResult<()> {
    if !has_open_channel(tx, campaign.id.as_str()).await? {
        return Ok(());
    }
    let at = now().as_unix_millis();
    sqlx::query(
        "UPDATE campaign_channel_members SET state = 'pending', failure = NULL, updated_at = $2 \
         WHERE campaign_id = $1 AND state = 'unlinked'",
    )
    .bind(campaign.id.as_str())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    queue_everyone(tx, campaign, at).await?;
    progress_changed(tx, &campaign.id).await
}

/// Reviews were closed (submitted, cancelled): the tracker shows it at its next paced edit.
pub async fn progress_changed(tx: &mut Tx<'_>, campaign_id: &CampaignId) -> AccessResult<()> {
    sqlx::query(
        "UPDATE campaign_channels SET tracker_changed = 1 WHERE campaign_id = $1 AND status = 'active'",
    )
    .bind(campaign_id.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The campaign ended (or was completed): an active channel's tracker is edited to read
/// Completed by the job, after which nothing more is sent; a deactivated channel is done with
/// at once, silently.
pub async fn campaign_ended(tx: &mut Tx<'_>, campaign_id: &CampaignId) -> AccessResult<()> {
    let at = now().as_unix_millis();
    sqlx::query(
        "UPDATE campaign_channels SET status = 'completed', updated_at = $2 \
         WHERE campaign_id = $1 AND status = 'inactive'",
    )
    .bind(campaign_id.as_str())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    progress_changed(tx, campaign_id).await
}

async fn has_open_channel(tx: &mut Tx<'_>, campaign_id: &str) -> AccessResult<bool> {
    let found = sqlx::query(
        "SELECT 1 FROM campaign_channels WHERE campaign_id = $1 AND status <> 'completed'",
    )
    .bind(campaign_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

/// Owners and every reviewer assigned so far.
async fn queue_everyone(tx: &mut Tx<'_>, campaign: &Campaign, at: i64) -> AccessResult<()> {
    let mut people = campaign.fields.owners.clone();
    let rows = sqlx::query(
        "SELECT DISTINCT r.user_id FROM review_task_reviewers r \
         JOIN review_tasks t ON t.id = r.task_id WHERE t.campaign_id = $1",
    )
    .bind(campaign.id.as_str())
    .fetch_all(&mut **tx)
    .await?;
    for row in rows {
        people.push(crate::ssr::access::user_id(row.try_get("user_id")?));
    }
    queue_members(tx, campaign.id.as_str(), &people, at).await
}

async fn queue_members(
    tx: &mut Tx<'_>,
    campaign_id: &str,
    people: &[UserId],
    at: i64,
) -> AccessResult<()> {
    let mut seen = std::collections::BTreeSet::new();
    for person in people {
        if !seen.insert(person) {
            continue;
        }
        let id = crate::ssr::access::user_row(person)?;
        sqlx::query(
            "INSERT INTO campaign_channel_members (campaign_id, user_id, state, updated_at) \
             VALUES ($1, $2, 'pending', $3) ON CONFLICT (campaign_id, user_id) DO NOTHING",
        )
        .bind(campaign_id)
        .bind(id)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

// ----- the Communications area's changes -----

/// Why adding a channel did not work: a rule, or Slack's refusal in words for the form.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Slack(#[from] ChannelRefusal),
}

impl From<crate::domain::DomainError> for ChannelError {
    fn from(e: crate::domain::DomainError) -> Self {
        ChannelError::Access(e.into())
    }
}

impl From<ChannelError> for AppError {
    fn from(e: ChannelError) -> Self {
        match e {
            ChannelError::Access(e) => e.into(),
            ChannelError::Slack(refusal) => AppError::Invalid(refusal.0),
        }
    }
}

/// What adding did.
#[derive(Debug, Clone)]
pub struct Added {
    pub channel: CampaignChannel,
    /// Something the owner should know although it worked (created private, description left).
    pub note: Option<String>,
}

/// Loads the campaign and its channel inside `tx` and checks that `actor` manages it and that
/// `change` is offered now.
async fn checked(
    tx: &mut Tx<'_>,
    actor: &Actor,
    campaign_id: &str,
    change: ChannelChange,
) -> AccessResult<(Campaign, Option<CampaignChannel>)> {
    let campaign = campaigns::load(&mut *tx, campaign_id).await?;
    campaign.check_can_manage(&actor.id, &actor.roles)?;
    let channel = load(&mut *tx, campaign_id).await?;
    CommunicationsActions::check(
        campaign.status(),
        channel.as_ref().map(|c| c.status),
        change,
    )?;
    Ok((campaign, channel))
}

/// The Slack installation campaign channels live in: the first connected workspace install.
async fn installation(state: &AppState) -> Result<(Installation, String), ChannelError> {
    let not_connected = || {
        ChannelRefusal(
            "Latch is not connected to Slack. Connect it in Settings > Slack first.".into(),
        )
    };
    let install = store::list(&state.db)
        .await
        .map_err(AccessError::from)?
        .into_iter()
        .find(|i| i.connected)
        .ok_or_else(not_connected)?;
    let token = install
        .bot_token(&state.slack.sealer)
        .map_err(|e| AccessError::Data(e.to_string()))?
        .ok_or_else(not_connected)?;
    Ok((install, token))
}

fn channel_entry(
    actor: &Actor,
    action: ChannelAction,
    campaign_id: &str,
    channel: &CampaignChannel,
    extra: serde_json::Value,
) -> Entry {
    let mut body = serde_json::json!({
        "channel_id": channel.channel_id,
        "channel_name": channel.channel_name,
        "is_private": channel.is_private,
        "created_by_latch": channel.created_by_latch,
        "status": channel.status.as_str(),
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    Entry::new(
        actor.audit(),
        action.as_str(),
        format!("campaign:{campaign_id}"),
    )
    .after(Some(body.to_string()))
}

/// **Add to channel**: `typed` is what the owner typed (normalised here as Slack requires);
/// `description` is for a new channel only. Slack is asked first (create, or find and join), and
/// the channel is stored only once that worked, with everyone who should be in it queued for an
/// invitation.
pub async fn add(
    state: &AppState,
    actor: &Actor,
    campaign_id: &str,
    typed: &str,
    description: &str,
) -> Result<Added, ChannelError> {
    let name = normalize_channel_name(typed)?;
    check_channel_description(description)?;
    // Checked before Slack is asked, and again when storing (someone may have added one meanwhile).
    {
        let mut tx = state.db.begin_read().await.map_err(AccessError::from)?;
        checked(&mut tx, actor, campaign_id, ChannelChange::Add).await?;
    }
    let (install, token) = installation(state).await?;
    let attached: Attached =
        slack_channel::attach(&state.slack.api, &token, &name, description).await?;
    let mut tx = state.db.begin().await.map_err(AccessError::from)?;
    let (campaign, _) =
        match checked(&mut tx, actor, campaign_id, ChannelChange::Add).await {
            Ok(found) => found,
            Err(AccessError::Domain(_)) => {
                return Err(ChannelRefusal(format!(
                "Another channel was attached to this campaign meanwhile. #{} was {} in Slack but \
                 not added here.",
                attached.name,
                if attached.created { "created" } else { "joined" }
            ))
            .into());
            }
            Err(e) => return Err(e.into()),
        };
    let at = now();
    let channel = CampaignChannel {
        campaign_id: campaign.id.clone(),
        attachment_id: new_id(),
        install_key: install.install_key.clone(),
        channel_id: attached.channel_id.clone(),
        channel_name: attached.name.clone(),
        is_private: attached.is_private,
        created_by_latch: attached.created,
        status: ChannelStatus::Active,
        tracker_ts: None,
        tracker_text: None,
        tracker_changed: false,
        tracker_edited_at: None,
        failure: None,
        added_by: actor.id.clone(),
        added_at: at,
    };
    sqlx::query(
        "INSERT INTO campaign_channels (campaign_id, attachment_id, install_key, channel_id, \
         channel_name, is_private, created_by_latch, status, tracker_changed, added_by, added_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $10)",
    )
    .bind(campaign.id.as_str())
    .bind(&channel.attachment_id)
    .bind(&channel.install_key)
    .bind(&channel.channel_id)
    .bind(&channel.channel_name)
    .bind(i64::from(channel.is_private))
    .bind(i64::from(channel.created_by_latch))
    .bind(channel.status.as_str())
    .bind(crate::ssr::access::user_row(&actor.id)?)
    .bind(at.as_unix_millis())
    .execute(&mut *tx)
    .await
    .map_err(AccessError::from)?;
    // A channel added before: its people are invited to this one afresh.
    sqlx::query("DELETE FROM campaign_channel_members WHERE campaign_id = $1")
        .bind(campaign.id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(AccessError::from)?;
    queue_everyone(&mut tx, &campaign, at.as_unix_millis()).await?;
    let entry = channel_entry(
        actor,
        ChannelAction::Added,
        campaign_id,
        &channel,
        serde_json::json!({ "typed": typed, "description": description.trim() }),
    );
    audit::append(&mut tx, at, entry).await?;
    tx.commit().await.map_err(AccessError::from)?;
    Ok(Added {
        channel,
        note: attached.note,
    })
}

/// **Deactivate** (`active` false: nothing is posted, and what was queued is dropped) or
/// **Activate** (the tracker catches up at its next edit).
pub async fn set_active(
    db: &crate::ssr::db::Db,
    actor: &Actor,
    campaign_id: &str,
    active: bool,
) -> AccessResult<CampaignChannel> {
    let mut tx = db.begin().await?;
    let change = if active {
        ChannelChange::Activate
    } else {
        ChannelChange::Deactivate
    };
    let (_, channel) = checked(&mut tx, actor, campaign_id, change).await?;
    let Some(mut channel) = channel else {
        return Err(AccessError::NotFound("The campaign's Slack channel".into()));
    };
    let at = now();
    channel.status = if active {
        ChannelStatus::Active
    } else {
        ChannelStatus::Inactive
    };
    sqlx::query(
        "UPDATE campaign_channels SET status = $2, tracker_changed = $3, updated_at = $4 \
         WHERE campaign_id = $1",
    )
    .bind(campaign_id)
    .bind(channel.status.as_str())
    .bind(i64::from(active))
    .bind(at.as_unix_millis())
    .execute(&mut *tx)
    .await?;
    if !active {
        drop_queued_posts(&mut tx, campaign_id).await?;
    }
    let action = if active {
        ChannelAction::Activated
    } else {
        ChannelAction::Deactivated
    };
    let entry = channel_entry(actor, action, campaign_id, &channel, serde_json::json!({}));
    audit::append(&mut tx, at, entry).await?;
    tx.commit().await?;
    Ok(channel)
}

/// **Remove**: detaches the channel entirely (Slack keeps it: Latch never archives a channel);
/// another may be added after.
pub async fn remove(
    db: &crate::ssr::db::Db,
    actor: &Actor,
    campaign_id: &str,
) -> AccessResult<CampaignChannel> {
    let mut tx = db.begin().await?;
    let (_, channel) = checked(&mut tx, actor, campaign_id, ChannelChange::Remove).await?;
    let Some(channel) = channel else {
        return Err(AccessError::NotFound("The campaign's Slack channel".into()));
    };
    let at = now();
    for sql in [
        "DELETE FROM campaign_channels WHERE campaign_id = $1",
        "DELETE FROM campaign_channel_members WHERE campaign_id = $1",
    ] {
        sqlx::query(sql).bind(campaign_id).execute(&mut *tx).await?;
    }
    drop_queued_posts(&mut tx, campaign_id).await?;
    let entry = channel_entry(
        actor,
        ChannelAction::Removed,
        campaign_id,
        &channel,
        serde_json::json!({}),
    );
    audit::append(&mut tx, at, entry).await?;
    tx.commit().await?;
    Ok(channel)
}

async fn drop_queued_posts(tx: &mut Tx<'_>, campaign_id: &str) -> AccessResult<()> {
    sqlx::query("DELETE FROM campaign_channel_posts WHERE campaign_id = $1 AND state = 'pending'")
        .bind(campaign_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
