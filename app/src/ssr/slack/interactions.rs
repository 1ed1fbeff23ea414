//! Interactivity (`POST /slack/interactivity`) and options loads (`POST /slack/options`): the
//! payload parsed once into slack-morphism's [`SlackInteractionEvent`] plus the routing fields
//! the crate does not model, then dispatched.
//!
//! Gaps in slack-morphism 2.31.1 handled here (each listed in ARCHITECTURE.md):
//! - every interaction model requires `team` (`SlackBasicTeamInfo`), but payloads of org-wide
//!   installs carry `"team": null`: the workspace is then taken from `user.team_id` (else the
//!   org) and put in `team` before the crate parses the payload;
//! - no model carries `enterprise` or `is_enterprise_install`, which Grid routing needs: read by
//!   our [`Envelope`] from the same JSON;
//! - `block_actions` from a message carries the message, which the crate parses strictly
//!   (`SlackHistoryMessage`: one block or metadata it does not expect fails the whole payload):
//!   Latch needs only its `ts`, read by our [`Envelope`], and the message is taken out before
//!   the crate parses the rest.
//!
//! Who handles what:
//! - the request modal ([`request_flow`]): its `block_actions` (app, entitlement and length
//!   chosen), its `view_submission` (callback [`request_modal::CALLBACK_ID`]), the app search
//!   (`block_suggestion`), and the App Home's **Request Access** button, which opens it;
//! - the App Home (`crate::ssr::slack::home`): its **Extend** / **Release** buttons and every
//!   view whose callback id starts with [`home_blocks::CALLBACK_PREFIX`];
//! - the buttons on Latch's DMs and their reason modals ([`decisions`]: approve, deny, cancel,
//!   provisioned / won't do, retry, extend / release).
//!
//! A `block_actions` on a DM button is handled under [`front_door::ACK_BUDGET`] (the ack waits
//! for it at most that long; the person is told through the `response_url` either way); every
//! other `block_actions` is acknowledged at once and handled after the ack (its work calls Slack
//! back: `views.open`, `views.update`). Options and view submissions answer with content, so
//! they run under [`front_door::ACK_BUDGET`].

use serde::Deserialize;
use serde_json::Value;

use crate::ssr::AppState;
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackBlockSuggestionOptions, SlackBlockSuggestionResponse, SlackInteractionActionContainer,
    SlackInteractionActionInfo, SlackInteractionBlockActionsEvent,
    SlackInteractionBlockSuggestionEvent, SlackInteractionEvent, SlackInteractionResponse,
    SlackInteractionViewSubmissionEvent, SlackView, SlackViewState,
};
use crate::ssr::slack::blocks::home as home_blocks;
use crate::ssr::slack::blocks::request_modal;
use crate::ssr::slack::front_door::{self, Origin, SlackCaller};
use crate::ssr::slack::{decisions, home, request_flow};

/// A signed interactivity or options request, parsed.
#[derive(Debug, Clone)]
pub struct Interaction {
    /// Where it comes from (for [`front_door::route`]).
    pub origin: Origin,
    pub event: SlackInteractionEvent,
    /// The acted-on view's id, hash and state, which the crate's `block_actions` model drops.
    view: Option<EnvelopeView>,
    /// The acted-on message, which is not given to the crate.
    message: Option<EnvelopeMessage>,
}

/// Why a signed body is not an interaction we understand (answered 400; Slack does not retry
/// interactions).
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the body has no payload field")]
    NoPayload,
    #[error("the payload is not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("the payload is not an interaction slack-morphism knows: {0}")]
    Unknown(serde_json::Error),
}

/// The routing fields slack-morphism's interaction models leave out (or require where Slack
/// sends `null`).
#[derive(Debug, Default, Deserialize)]
struct Envelope {
    #[serde(default)]
    team: Option<IdOnly>,
    #[serde(default)]
    enterprise: Option<IdOnly>,
    #[serde(default)]
    user: Option<EnvelopeUser>,
    #[serde(default)]
    view: Option<EnvelopeView>,
    #[serde(default)]
    message: Option<EnvelopeMessage>,
}

/// The parts of the acted-on message Latch reads (see the module's gaps).
#[derive(Debug, Clone, Default, Deserialize)]
struct EnvelopeMessage {
    #[serde(default)]
    ts: Option<String>,
}

/// The parts of a view in a `block_actions` payload that slack-morphism's `SlackView` drops.
#[derive(Debug, Clone, Deserialize)]
struct EnvelopeView {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    hash: Option<String>,
    #[serde(default)]
    state: Option<SlackViewState>,
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Debug, Deserialize)]
struct EnvelopeUser {
    id: String,
    #[serde(default)]
    team_id: Option<String>,
}

/// Parses a form-encoded `payload=<json>` body (interactivity and options alike).
pub fn parse(body: &[u8]) -> Result<Interaction, PayloadError> {
    let payload = url::form_urlencoded::parse(body)
        .find(|(name, _)| name == "payload")
        .map(|(_, value)| value.into_owned())
        .ok_or(PayloadError::NoPayload)?;
    let mut json: Value = serde_json::from_str(&payload).map_err(PayloadError::NotJson)?;
    let envelope: Envelope = serde_json::from_value(json.clone()).unwrap_or_default();
    let view = envelope.view;
    let message = envelope.message;
    let user = envelope.user.as_ref();
    let enterprise_id = envelope.enterprise.map(|e| e.id);
    let team_id = envelope
        .team
        .map(|t| t.id)
        .or_else(|| user.and_then(|u| u.team_id.clone()));
    // Org-wide installs send `"team": null`; the crate requires a team.
    if let Some(object) = json.as_object_mut()
        && object.get("team").is_none_or(Value::is_null)
        && let Some(id) = team_id.as_ref().or(enterprise_id.as_ref())
    {
        object.insert("team".into(), serde_json::json!({ "id": id }));
    }
    if let Some(object) = json.as_object_mut() {
        object.remove("message");
    }
    let event: SlackInteractionEvent =
        serde_json::from_value(json).map_err(PayloadError::Unknown)?;
    Ok(Interaction {
        origin: Origin {
            team_id,
            enterprise_id,
            slack_user_id: user.map(|u| u.id.clone()).unwrap_or_default(),
        },
        event,
        view,
        message,
    })
}

/// One action of a `block_actions` payload, with what its handler needs from around it.
#[derive(Debug, Clone)]
pub struct BlockAction {
    /// The element acted on (slack-morphism's model: `action_id`, `block_id`, `value`,
    /// `selected_option`…).
    pub action: SlackInteractionActionInfo,
    /// Valid for 3 seconds, once: open a modal with it at once.
    pub trigger_id: String,
    /// The view the element is on (a modal or the App Home), with its `hash` for `views.update`.
    pub view: Option<ActedView>,
    /// For actions on messages.
    pub response_url: Option<String>,
    /// The message's channel, for actions on messages.
    pub channel_id: Option<String>,
    /// The message's `ts`, for actions on messages.
    pub message_ts: Option<String>,
    /// The message's `state.values` (its inputs, e.g. an approval reason), for actions on
    /// messages.
    pub message_state: Option<SlackViewState>,
}

/// The view an action happened on.
#[derive(Debug, Clone)]
pub struct ActedView {
    pub id: String,
    pub hash: Option<String>,
    /// The view as Slack sent it: its `state` values and `private_metadata` included.
    pub view: SlackView,
    /// `state.values` (block id → action id → value), as Slack sent them.
    pub state: Option<SlackViewState>,
}

fn block_actions(
    event: &SlackInteractionBlockActionsEvent,
    parts: Option<EnvelopeView>,
    message: Option<EnvelopeMessage>,
) -> Vec<BlockAction> {
    let container_view_id = match &event.container {
        SlackInteractionActionContainer::View(container) => Some(container.view_id.to_string()),
        _ => None,
    };
    let view = event.view.as_ref().map(|view| {
        let (id, hash, state) = match parts {
            Some(p) => (p.id, p.hash, p.state),
            None => (None, None, None),
        };
        ActedView {
            id: container_view_id.or(id).unwrap_or_default(),
            hash,
            view: view.clone(),
            state,
        }
    });
    let channel_id = match &event.container {
        SlackInteractionActionContainer::Message(m) => m.channel_id.as_ref().map(|c| c.to_string()),
        SlackInteractionActionContainer::MessageAttachment(m) => {
            m.channel_id.as_ref().map(|c| c.to_string())
        }
        SlackInteractionActionContainer::View(_) => None,
    }
    .or_else(|| event.channel.as_ref().map(|c| c.id.to_string()));
    let message_ts = match &event.container {
        SlackInteractionActionContainer::Message(m) => Some(m.message_ts.to_string()),
        SlackInteractionActionContainer::MessageAttachment(m) => Some(m.message_ts.to_string()),
        SlackInteractionActionContainer::View(_) => None,
    }
    .or_else(|| message.and_then(|m| m.ts));
    // For a message, `state` is the message's inputs; for a view it is in the view.
    let message_state = channel_id.as_ref().and(event.state.clone());
    event
        .actions
        .iter()
        .flatten()
        .map(|action| BlockAction {
            action: action.clone(),
            trigger_id: event.trigger_id.to_string(),
            view: view.clone(),
            response_url: event.response_url.as_ref().map(|u| u.0.to_string()),
            channel_id: channel_id.clone(),
            message_ts: message_ts.clone(),
            message_state: message_state.clone(),
        })
        .collect()
}

/// The `callback_id` of a view, if it has one.
pub fn callback_id(view: &SlackView) -> Option<String> {
    match view {
        SlackView::Modal(modal) => modal.callback_id.as_ref().map(|c| c.to_string()),
        SlackView::Home(home) => home.callback_id.as_ref().map(|c| c.to_string()),
    }
}

/// What the interactivity endpoint answers: an empty 200 ([`SlackInteractionResponse::Empty`]),
/// options, or a `response_action`.
pub async fn on_interaction(
    state: &AppState,
    interaction: Interaction,
) -> SlackInteractionResponse {
    let Interaction {
        origin,
        event,
        view,
        message,
    } = interaction;
    match event {
        SlackInteractionEvent::BlockActions(event) => {
            let (on_dms, actions): (Vec<BlockAction>, Vec<BlockAction>) =
                block_actions(&event, view, message)
                    .into_iter()
                    .partition(|a| decisions::handles(a.action.action_id.as_ref()));
            // A DM button: handled under the ack budget (one action per click in practice).
            for action in on_dms {
                decisions::on_click(state, &origin, action).await;
            }
            if actions.is_empty() {
                return SlackInteractionResponse::Empty;
            }
            let response_url = actions.iter().find_map(|a| a.response_url.clone());
            let handles_something = actions.iter().any(is_handled);
            let task_state = state.clone();
            let task_origin = origin.clone();
            // Everything after the ack: the handlers call Slack back. Bounded, and dropped
            // (the person told once) when it cannot start while the trigger lives.
            let dropped = {
                let state = state.clone();
                move || {
                    if handles_something {
                        request_flow::tell_busy(&state, &origin, response_url);
                    }
                }
            };
            state.slack.front_door.deferred.spawn(
                front_door::START_BY,
                async move {
                    for action in actions {
                        on_block_action(&task_state, &task_origin, &event, action).await;
                    }
                },
                dropped,
            );
            SlackInteractionResponse::Empty
        }
        SlackInteractionEvent::BlockSuggestion(event) => {
            SlackInteractionResponse::BlockSuggestion(on_options(state, &origin, &event).await)
        }
        SlackInteractionEvent::ViewSubmission(event) => {
            on_view_submission(state, &origin, event).await
        }
        // `view_closed` (Latch asks for none), shortcuts, legacy dialogs: nothing to do.
        _ => SlackInteractionResponse::Empty,
    }
}

/// The app search of the request modal (`block_suggestion`): apps the person may request,
/// filtered by what they typed. Anything that keeps Latch from answering in time or from knowing
/// the person shows no options (Slack has no way to show a message in a select).
pub async fn on_options(
    state: &AppState,
    origin: &Origin,
    event: &SlackInteractionBlockSuggestionEvent,
) -> SlackBlockSuggestionResponse {
    let none = || SlackBlockSuggestionResponse::Options(SlackBlockSuggestionOptions::new(vec![]));
    if event.action_id.to_string() != request_modal::APP_ACTION {
        return none();
    }
    let work = {
        let state = state.clone();
        let origin = origin.clone();
        let query = event.value.clone();
        async move { request_flow::app_options(&state, &origin, &query).await }
    };
    front_door::within(
        &state.slack.front_door.deferred,
        front_door::ACK_BUDGET,
        work,
        |_| async {},
    )
    .await
    .ok()
    .flatten()
    .flatten()
    .unwrap_or_else(none)
}

/// Whether Latch does something with `action` (others are only acknowledged).
fn is_handled(action: &BlockAction) -> bool {
    let action_id = action.action.action_id.to_string();
    let on_request_modal = action
        .view
        .as_ref()
        .and_then(|v| callback_id(&v.view))
        .is_some_and(|c| c == request_modal::CALLBACK_ID);
    action_id == home_blocks::REQUEST_ACCESS_ACTION
        || on_request_modal
        || action_id == home_blocks::EXTEND_ACTION
        || action_id == home_blocks::RELEASE_ACTION
}

async fn on_block_action(
    state: &AppState,
    origin: &Origin,
    event: &SlackInteractionBlockActionsEvent,
    action: BlockAction,
) {
    let action_id = action.action.action_id.to_string();
    let on_request_modal = action
        .view
        .as_ref()
        .and_then(|v| callback_id(&v.view))
        .is_some_and(|c| c == request_modal::CALLBACK_ID);
    if !is_handled(&action) {
        tracing::debug!(action_id, "Slack action with no handler; acknowledged");
        return;
    }
    let caller = match front_door::route(state, origin).await {
        Ok(caller) => caller,
        Err(why) => {
            request_flow::tell_not_served(state, &action, &why).await;
            return;
        }
    };
    if action_id == home_blocks::REQUEST_ACCESS_ACTION {
        request_flow::open_from_home(state, &caller, &action).await;
    } else if on_request_modal {
        request_flow::on_modal_action(state, &caller, &action).await;
    } else if let Err(error) = home::on_block_action(state, &caller, event, &action.action).await {
        tracing::error!(%error, action_id, "App Home action failed");
    }
}

async fn on_view_submission(
    state: &AppState,
    origin: &Origin,
    event: SlackInteractionViewSubmissionEvent,
) -> SlackInteractionResponse {
    let callback = callback_id(&event.view.view).unwrap_or_default();
    let is_request = callback == request_modal::CALLBACK_ID;
    let is_home = callback.starts_with(home_blocks::CALLBACK_PREFIX);
    let is_reason = decisions::handles_callback(&callback);
    if !is_request && !is_home && !is_reason {
        tracing::debug!(callback, "view submission with no handler; closed");
        return SlackInteractionResponse::Empty;
    }
    let caller: SlackCaller = match front_door::route(state, origin).await {
        Ok(caller) => caller,
        Err(why) => return request_flow::not_served_view(&why),
    };
    if is_request {
        request_flow::on_submit(state, caller, event).await
    } else if is_reason {
        decisions::on_view_submission(state, caller, event).await
    } else {
        on_home_submission(state, caller, event).await
    }
}

/// A view submitted from the App Home (its Extend modal): `home::on_view_submission` under the
/// ack budget. Too slow, the modal says the outcome will show on the Home (which the refresh job
/// republishes once the change is made).
async fn on_home_submission(
    state: &AppState,
    caller: SlackCaller,
    event: SlackInteractionViewSubmissionEvent,
) -> SlackInteractionResponse {
    let work = {
        let state = state.clone();
        async move { home::on_view_submission(&state, &caller, &event).await }
    };
    let late = |outcome: Result<_, home::HomeError>| async move {
        if let Err(error) = outcome {
            tracing::error!(%error, "App Home submission failed after its ack");
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
        Err(front_door::Busy) => request_flow::update_response(request_flow::notice_view(
            "Latch",
            front_door::BUSY_SENTENCE,
        )),
        Ok(Some(Ok(Some(response)))) => SlackInteractionResponse::ViewSubmission(response),
        Ok(Some(Ok(None))) => SlackInteractionResponse::Empty,
        Ok(Some(Err(error))) => {
            tracing::error!(%error, "App Home submission failed");
            request_flow::update_response(request_flow::notice_view(
                "Latch",
                "Latch couldn't do that just now. Please try again in a minute.",
            ))
        }
        Ok(None) => request_flow::update_response(request_flow::notice_view(
            "Latch",
            "Latch is still working on it. Your App Home will show the outcome in a moment.",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn form(payload: &serde_json::Value) -> Vec<u8> {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish()
            .into_bytes()
    }

    /// A `block_actions` on the request modal as Slack sends it for an org-wide install: `team`
    /// is null, the workspace is the user's.
    fn org_wide_block_actions() -> serde_json::Value {
        serde_json::json!({
            "type": "block_actions",
            "user": {"id": "U1", "username": "ada", "name": "ada", "team_id": "T9"},
            "api_app_id": "A1",
            "token": "legacy",
            "team": null,
            "enterprise": {"id": "E1", "name": "Org"},
            "is_enterprise_install": true,
            "trigger_id": "1.2.abc",
            "container": {"type": "view", "view_id": "V1"},
            "view": {
                "id": "V1", "team_id": "T9", "type": "modal", "hash": "1700000000.abc",
                "title": {"type": "plain_text", "text": "Submit a request"},
                "blocks": [], "callback_id": "latch_request", "private_metadata": "{}",
                "state": {"values": {"request_app": {"request_app_select": {
                    "type": "external_select",
                    "selected_option": {"text": {"type": "plain_text", "text": "Prod DB"},
                                        "value": "app-1"}}}}}
            },
            "actions": [{
                "type": "external_select", "action_id": "request_app_select",
                "block_id": "request_app", "action_ts": "1700000000.000001",
                "selected_option": {"text": {"type": "plain_text", "text": "Prod DB"},
                                    "value": "app-1"}
            }]
        })
    }

    #[test]
    fn an_org_wide_block_action_is_routed_by_the_users_workspace_and_the_org() {
        let interaction = parse(&form(&org_wide_block_actions())).unwrap();
        assert_eq!(
            interaction.origin,
            Origin {
                team_id: Some("T9".into()),
                enterprise_id: Some("E1".into()),
                slack_user_id: "U1".into(),
            }
        );
        let SlackInteractionEvent::BlockActions(event) = &interaction.event else {
            panic!("not block_actions");
        };
        let actions = block_actions(event, interaction.view.clone(), None);
        assert_eq!(actions.len(), 1);
        let action = &actions[0];
        assert_eq!(action.action.action_id.to_string(), "request_app_select");
        assert_eq!(
            action
                .action
                .selected_option
                .as_ref()
                .map(|o| o.value.as_str()),
            Some("app-1")
        );
        let view = action.view.as_ref().unwrap();
        assert_eq!(view.id, "V1");
        assert_eq!(view.hash.as_deref(), Some("1700000000.abc"));
        assert_eq!(callback_id(&view.view).as_deref(), Some("latch_request"));
        let state = view.state.as_ref().unwrap();
        assert_eq!(
            state.values.len(),
            1,
            "the view's state survives the crate's model"
        );
    }

    #[test]
    fn a_view_submission_carries_its_view_state_and_callback() {
        let payload = serde_json::json!({
            "type": "view_submission",
            "user": {"id": "U1", "team_id": "T1"},
            "api_app_id": "A1",
            "team": {"id": "T1", "domain": "acme"},
            "enterprise": null,
            "is_enterprise_install": false,
            "trigger_id": "1.2.abc",
            "view": {
                "id": "V2", "team_id": "T1", "type": "modal", "hash": "h",
                "title": {"type": "plain_text", "text": "Submit a request"},
                "blocks": [], "callback_id": "latch_request",
                "state": {"values": {"request_justification": {"request_justification_input": {
                    "type": "plain_text_input", "value": "INC-1"}}}}
            },
            "response_urls": []
        });
        let interaction = parse(&form(&payload)).unwrap();
        assert_eq!(interaction.origin.team_id.as_deref(), Some("T1"));
        assert_eq!(interaction.origin.enterprise_id, None);
        let SlackInteractionEvent::ViewSubmission(event) = &interaction.event else {
            panic!("not view_submission");
        };
        assert_eq!(event.view.state_params.id.to_string(), "V2");
        assert_eq!(
            callback_id(&event.view.view).as_deref(),
            Some("latch_request")
        );
    }

    #[test]
    fn a_click_on_a_message_keeps_its_channel_ts_and_typed_reason_whatever_the_message_holds() {
        let payload = serde_json::json!({
            "type": "block_actions",
            "user": {"id": "U1", "username": "bob", "name": "bob", "team_id": "T1"},
            "api_app_id": "A1",
            "team": {"id": "T1", "domain": "acme"},
            "trigger_id": "1.2.abc",
            "container": {"type": "message", "message_ts": "1700000000.000100",
                          "channel_id": "D1", "is_ephemeral": false},
            "channel": {"id": "D1", "name": "directmessage"},
            // An edit by a user Slack does not name: slack-morphism's strict message model
            // would refuse the whole payload over it.
            "message": {"type": "message", "ts": "1700000000.000100", "text": "x",
                        "edited": {"user": null, "ts": "1700000001.000000"},
                        "metadata": {"event_type": "latch", "event_payload": {"n": 1}}},
            "state": {"values": {"approval_reason": {"approval_reason": {
                "type": "plain_text_input", "value": "On call"}}}},
            "response_url": "https://hooks.slack.com/actions/T1/1/abc",
            "actions": [{"type": "button", "action_id": "request.approve", "block_id": "decide",
                         "value": "r1:0", "action_ts": "1700000002.000001",
                         "text": {"type": "plain_text", "text": "Approve"}}]
        });
        let interaction = parse(&form(&payload)).unwrap();
        let SlackInteractionEvent::BlockActions(event) = &interaction.event else {
            panic!("not block_actions");
        };
        let actions = block_actions(event, interaction.view.clone(), interaction.message);
        let action = &actions[0];
        assert_eq!(action.channel_id.as_deref(), Some("D1"));
        assert_eq!(action.message_ts.as_deref(), Some("1700000000.000100"));
        assert_eq!(action.action.value.as_deref(), Some("r1:0"));
        let typed = action.message_state.as_ref().unwrap().values.len();
        assert_eq!(typed, 1, "the message's reason input reaches the handler");
    }

    #[test]
    fn a_body_without_a_payload_or_with_an_unknown_type_is_refused() {
        assert!(matches!(parse(b"text=hello"), Err(PayloadError::NoPayload)));
        assert!(matches!(
            parse(b"payload=not-json"),
            Err(PayloadError::NotJson(_))
        ));
        let unknown = form(&serde_json::json!({"type": "something_new", "team": {"id": "T1"}}));
        assert!(matches!(parse(&unknown), Err(PayloadError::Unknown(_))));
    }
}
