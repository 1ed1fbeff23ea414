//! The Communications area of a campaign's Configuration tab (`shapes::Communications`), for
//! the people who manage the campaign: its Slack channel, the channel's state, who is invited,
//! who is waiting, and who could not be (no linked Slack account, or refused by Slack).

use sqlx::Row;

use crate::domain::campaign::channel::CommunicationsActions;
use crate::shapes::{ChannelPerson, ChannelView, Communications};
use crate::ssr::AppState;
use crate::ssr::access::{AccessResult, Actor};
use crate::ssr::flows::campaign_channel;
use crate::ssr::slack::store;

/// The Communications area of campaign `id` (`NotFound` for someone who does not manage it).
pub async fn communications(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> AccessResult<Communications> {
    let db = &state.db;
    let campaign = super::campaigns::managed(db, actor, id).await?;
    let installs = store::list(db).await?;
    let slack_connected = installs.iter().any(|i| i.connected);
    let stored = campaign_channel::load(db, id).await?;
    let actions =
        CommunicationsActions::for_state(campaign.status(), stored.as_ref().map(|c| c.status));
    let channel = match stored {
        None => None,
        Some(c) => {
            let team = installs
                .iter()
                .find(|i| i.install_key == c.install_key)
                .and_then(|i| i.team_id.clone())
                .unwrap_or_default();
            let counts = sqlx::query(
                "SELECT state, COUNT(*) AS n FROM campaign_channel_members \
                 WHERE campaign_id = $1 GROUP BY state",
            )
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
            let mut invited = 0;
            let mut waiting = 0;
            for row in counts {
                let state: String = row.try_get("state")?;
                let n = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or_default();
                match state.as_str() {
                    "invited" => invited = n,
                    "pending" => waiting = n,
                    _ => {}
                }
            }
            let people = sqlx::query(
                "SELECT m.state, m.failure, u.display_name, u.email \
                 FROM campaign_channel_members m JOIN users u ON u.id = m.user_id \
                 WHERE m.campaign_id = $1 AND m.state IN ('unlinked', 'refused') \
                 ORDER BY u.display_name, u.email",
            )
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
            let mut unlinked = Vec::new();
            let mut refused = Vec::new();
            for row in people {
                let state: String = row.try_get("state")?;
                let person = ChannelPerson {
                    name: row.try_get("display_name")?,
                    email: row.try_get("email")?,
                    reason: row.try_get("failure")?,
                };
                if state == "unlinked" {
                    unlinked.push(person);
                } else {
                    refused.push(person);
                }
            }
            Some(ChannelView {
                link: format!(
                    "https://slack.com/app_redirect?channel={}&team={team}",
                    c.channel_id
                ),
                name: c.channel_name,
                channel_id: c.channel_id,
                is_private: c.is_private,
                created_by_latch: c.created_by_latch,
                status: c.status,
                tracker_posted: c.tracker_ts.is_some(),
                failure: c
                    .failure
                    .map(|code| format!("Slack refused the last update ({code}).")),
                invited,
                waiting,
                unlinked,
                refused,
            })
        }
    };
    Ok(Communications {
        campaign_id: id.to_string(),
        slack_connected,
        channel,
        actions,
    })
}
