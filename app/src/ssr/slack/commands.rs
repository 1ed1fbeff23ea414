//! The slash command (`/c1` by default, `LATCH_SLACK_COMMAND`): `request` opens the "Submit a
//! request" modal, `requests` lists the person's open requests with their state, `tasks` what
//! waits for them (approvals, provisioning tasks) with links; `help`, nothing and anything else
//! answer with the usage. Every answer is ephemeral.
//!
//! The payload is slack-morphism's [`SlackCommandEvent`]; it has no `enterprise_id`, which Grid
//! routing needs, so that is read from the same form by our [`GridFields`] (a gap listed in
//! ARCHITECTURE.md).
//!
//! Timing: the work runs under [`front_door::ACK_BUDGET`]; an answer that is not ready by then
//! goes to the command's `response_url` when it is, and Slack gets an empty ack in time.

use serde::Deserialize;

use crate::domain::{RequestStatus, TaskKind};
use crate::shapes::RequestSummary;
use crate::ssr::AppState;
use crate::ssr::access::Actor;
use crate::ssr::read;
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackCommandEvent, SlackCommandEventResponse, SlackMessageContent, SlackMessageResponseType,
};
use crate::ssr::slack::blocks::{console_link, escape, mrkdwn_link};
use crate::ssr::slack::front_door::{self, Origin};
use crate::ssr::slack::identity::{self, SlackIdentity};
use crate::ssr::slack::request_flow;

/// How many rows `/c1 requests` and `/c1 tasks` list before pointing to the console.
pub const LIST_MAX: usize = 15;

/// What follows the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subcommand {
    Request,
    Requests,
    Tasks,
    /// `help`, nothing, or anything Latch does not know.
    Help,
}

impl Subcommand {
    /// The first word of the command's text, case-insensitively.
    pub fn parse(text: &str) -> Subcommand {
        match text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase()
            .as_str()
        {
            "request" => Subcommand::Request,
            "requests" => Subcommand::Requests,
            "tasks" => Subcommand::Tasks,
            _ => Subcommand::Help,
        }
    }
}

/// The Grid fields of a slash command that [`SlackCommandEvent`] does not model.
#[derive(Debug, Default, Deserialize)]
pub struct GridFields {
    #[serde(default)]
    pub enterprise_id: Option<String>,
}

/// Why a signed body is not a slash command (answered 400).
#[derive(Debug, thiserror::Error)]
#[error("not a slash command: {0}")]
pub struct NotACommand(String);

/// The command's payload and its Grid fields, from the form Slack posts.
pub fn parse(body: &[u8]) -> Result<(SlackCommandEvent, GridFields), NotACommand> {
    // Every field of the form is a string: as a JSON object they feed both models.
    let fields: serde_json::Map<String, serde_json::Value> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
        .collect();
    let fields = serde_json::Value::Object(fields);
    let event: SlackCommandEvent =
        serde_json::from_value(fields.clone()).map_err(|e| NotACommand(e.to_string()))?;
    let grid: GridFields = serde_json::from_value(fields).unwrap_or_default();
    Ok((event, grid))
}

/// An ephemeral answer.
pub fn ephemeral(text: String) -> SlackCommandEventResponse {
    SlackCommandEventResponse::new(SlackMessageContent::new().with_text(text))
        .with_response_type(SlackMessageResponseType::Ephemeral)
}

/// Handles a command; `None` is an empty ack (the answer, if any, comes later or elsewhere).
pub async fn on_command(
    state: &AppState,
    event: SlackCommandEvent,
    grid: GridFields,
) -> Option<SlackCommandEventResponse> {
    let response_url = event.response_url.0.to_string();
    let work = {
        let state = state.clone();
        async move { answer(&state, &event, grid).await }
    };
    let late = {
        let state = state.clone();
        move |text: Option<String>| async move {
            let Some(text) = text else { return };
            if let Err(error) = state.slack.api.respond_text(&response_url, &text).await {
                tracing::warn!(code = %error.code(), "could not deliver a late command answer");
            }
        }
    };
    match front_door::within(
        &state.slack.front_door.deferred,
        front_door::ACK_BUDGET,
        work,
        late,
    )
    .await
    {
        Ok(answer) => answer.flatten().map(ephemeral),
        Err(front_door::Busy) => Some(ephemeral(front_door::BUSY_SENTENCE.into())),
    }
}

/// The text to answer `event` with, or `None` when the answer is the modal.
async fn answer(state: &AppState, event: &SlackCommandEvent, grid: GridFields) -> Option<String> {
    let origin = Origin {
        team_id: Some(event.team_id.to_string()),
        enterprise_id: grid.enterprise_id,
        slack_user_id: event.user_id.to_string(),
    };
    let caller = match front_door::route(state, &origin).await {
        Ok(caller) => caller,
        Err(why) => return Some(why.sentence()),
    };
    let command = &state.slack.config.command;
    let subcommand = Subcommand::parse(event.text.as_deref().unwrap_or_default());
    if subcommand == Subcommand::Request {
        request_flow::open_from_command(
            state,
            &caller,
            event.trigger_id.as_ref(),
            event.response_url.0.as_ref(),
            event.channel_id.as_ref(),
        )
        .await;
        return None;
    }
    if subcommand == Subcommand::Help {
        return Some(usage(command));
    }
    let actor = match caller.identify(state).await {
        Ok(SlackIdentity::Linked { actor, .. }) => actor,
        Ok(SlackIdentity::NotLinked(why)) => return Some(identity::explain(&why)),
        Err(error) => return Some(front_door::identify_failed(&error)),
    };
    let console = state.public_url.as_str();
    let text = match subcommand {
        Subcommand::Requests => my_requests(state, &actor, console, command).await,
        _ => my_tasks(state, &actor, console).await,
    };
    Some(text.unwrap_or_else(|error| {
        tracing::error!(%error, "could not answer a slash command");
        "Latch couldn't read that just now. Please try again in a minute.".into()
    }))
}

/// What `/c1 help` (and anything unknown) says.
pub fn usage(command: &str) -> String {
    format!(
        "*Latch* helps you request and manage access.\n\
         • `{command} request` — ask for access (opens a form)\n\
         • `{command} requests` — your open requests and where they stand\n\
         • `{command} tasks` — approvals and provisioning tasks waiting for you\n\
         • `{command} help` — this message"
    )
}

/// Where a request is, in words.
fn state_words(r: &RequestSummary) -> String {
    match r.status {
        RequestStatus::PendingApproval => match r.current_step {
            Some(step) => format!("waiting for approval (step {})", step + 1),
            None => "waiting for approval".into(),
        },
        RequestStatus::Provisioning => "approved, being provisioned".into(),
        RequestStatus::Closed => r
            .outcome
            .map_or_else(|| "closed".into(), |o| o.as_str().replace('_', " ")),
    }
}

fn request_line(console: &str, r: &RequestSummary) -> String {
    let url = console_link(console, &format!("/requests/{}", r.number));
    let emergency = if r.emergency { " ⚡ emergency" } else { "" };
    format!(
        "• {} {} — {}: {}{emergency}",
        mrkdwn_link(&url, &r.number),
        escape(&r.app),
        escape(&r.entitlement),
        state_words(r)
    )
}

/// The rows, at most [`LIST_MAX`], with a pointer to the console for the rest.
fn capped(lines: Vec<String>, more_url: &str) -> String {
    let total = lines.len();
    let mut out: Vec<String> = lines.into_iter().take(LIST_MAX).collect();
    if total > LIST_MAX {
        out.push(format!(
            "…and {} more: {}",
            total - LIST_MAX,
            mrkdwn_link(more_url, "see them all in Latch")
        ));
    }
    out.join("\n")
}

/// `/c1 requests`: my requests that are not closed, with their state.
async fn my_requests(
    state: &AppState,
    actor: &Actor,
    console: &str,
    command: &str,
) -> Result<String, crate::ssr::access::AccessError> {
    let open: Vec<RequestSummary> = read::requests::mine(&state.db, &actor.id)
        .await?
        .into_iter()
        .filter(|r| r.status != RequestStatus::Closed)
        .collect();
    if open.is_empty() {
        return Ok(format!(
            "You have no open requests. `{command} request` asks for access."
        ));
    }
    let lines = open.iter().map(|r| request_line(console, r)).collect();
    Ok(format!(
        "*Your open requests*\n{}",
        capped(lines, &console_link(console, "/requests"))
    ))
}

/// `/c1 tasks`: approvals waiting for my decision and provisioning tasks assigned to me.
async fn my_tasks(
    state: &AppState,
    actor: &Actor,
    console: &str,
) -> Result<String, crate::ssr::access::AccessError> {
    let approvals = read::requests::assigned(&state.db, &actor.id).await?;
    let tasks = read::grants::open_tasks(&state.db, actor).await?;
    if approvals.is_empty() && tasks.is_empty() {
        return Ok("Nothing is waiting for you. 🎉".into());
    }
    let mut sections = Vec::new();
    if !approvals.is_empty() {
        let lines = approvals
            .iter()
            .map(|r| {
                let url = console_link(console, &format!("/requests/{}", r.number));
                format!(
                    "• {} {} — {} for {}",
                    mrkdwn_link(&url, &r.number),
                    escape(&r.app),
                    escape(&r.entitlement),
                    escape(&r.subject)
                )
            })
            .collect();
        sections.push(format!(
            "*Waiting for your approval*\n{}",
            capped(lines, &console_link(console, "/requests"))
        ));
    }
    if !tasks.is_empty() {
        let tasks_url = console_link(console, "/");
        let lines = tasks
            .iter()
            .map(|t| {
                let what = match t.kind {
                    TaskKind::Provision => "Provision",
                    TaskKind::Deprovision => "Remove",
                };
                format!(
                    "• {what} {} — {} for {}: {}",
                    escape(&t.app),
                    escape(&t.entitlement),
                    escape(&t.subject),
                    mrkdwn_link(&tasks_url, "open in Latch")
                )
            })
            .collect();
        sections.push(format!(
            "*Provisioning tasks for you*\n{}",
            capped(lines, &tasks_url)
        ));
    }
    Ok(sections.join("\n\n"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_first_word_picks_the_subcommand_and_anything_else_is_help() {
        assert_eq!(Subcommand::parse("request"), Subcommand::Request);
        assert_eq!(Subcommand::parse("  Request  figma"), Subcommand::Request);
        assert_eq!(Subcommand::parse("requests"), Subcommand::Requests);
        assert_eq!(Subcommand::parse("TASKS"), Subcommand::Tasks);
        for other in ["", "help", "   ", "approve R-1", "requestz"] {
            assert_eq!(Subcommand::parse(other), Subcommand::Help, "{other:?}");
        }
    }

    #[test]
    fn a_command_form_parses_with_its_enterprise() {
        let body = "token=t&team_id=T1&team_domain=acme&enterprise_id=E1&enterprise_name=Org\
            &channel_id=C1&channel_name=general&user_id=U1&user_name=ada&command=%2Fc1\
            &text=requests&api_app_id=A1&is_enterprise_install=false\
            &response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F1%2Fx&trigger_id=1.2.abc";
        let (event, grid) = parse(body.as_bytes()).unwrap();
        assert_eq!(event.team_id.to_string(), "T1");
        assert_eq!(event.user_id.to_string(), "U1");
        assert_eq!(event.text.as_deref(), Some("requests"));
        assert_eq!(grid.enterprise_id.as_deref(), Some("E1"));
    }

    #[test]
    fn the_usage_names_the_configured_command() {
        let text = usage("/access");
        assert!(text.contains("`/access request`"));
        assert!(text.contains("`/access tasks`"));
    }
}
