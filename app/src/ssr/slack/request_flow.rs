//! The "Submit a request" modal end to end: opening it (`/c1 request`, the App Home's **Request
//! Access**), the app search, rebuilding it as the person chooses (`views.update`), and its
//! submission through the one request service, [`access_loop::create`] with
//! [`RequestOrigin::Slack`]: the console's rules, not a copy of them.
//!
//! Opening: `views.open` is called first, with the bare modal, because the `trigger_id` lives 3
//! seconds; only then is the person identified (which may ask Slack). A person Latch will not act
//! for then sees the modal turn into the reason, and the same reason ephemerally. A failed
//! `views.open` (an expired trigger, Slack down) is told to the person through the command's
//! `response_url`, or by a DM from the App Home, never swallowed.
//!
//! Submitting: the request is created under [`front_door::ACK_BUDGET`]. In time, a refusal comes
//! back inline on the field it is about (`response_action: errors`) and success closes the modal.
//! Too slow, the modal turns into "Submitting…" at once and is updated with the outcome when the
//! service is done. Nothing is created on a refusal: `create` is one transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::domain::{DomainError, RequestOrigin, can_see};
use crate::shapes::CreateInput;
use crate::ssr::AppState;
use crate::ssr::access::{AccessError, Actor, catalog, directory, user_row};
use crate::ssr::flows::access_loop;
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackApiChatPostEphemeralRequest, SlackApiChatPostMessageRequest, SlackApiViewsOpenRequest,
    SlackApiViewsUpdateRequest, SlackBlock, SlackBlockId, SlackBlockPlainTextOnly,
    SlackBlockSuggestionResponse, SlackBlockText, SlackCallbackId, SlackInteractionResponse,
    SlackInteractionViewSubmissionEvent, SlackMessageContent, SlackModalView, SlackSectionBlock,
    SlackView, SlackViewState, SlackViewSubmissionErrorsResponse, SlackViewSubmissionResponse,
    SlackViewSubmissionUpdateResponse,
};
use crate::ssr::slack::blocks::request_modal::{
    self, AppChoice, EntitlementChoice, RequestFor, RequestModal,
};
use crate::ssr::slack::blocks::{SECTION_TEXT_MAX, clip, console_link, escape, mrkdwn_link};
use crate::ssr::slack::front_door::{self, NotServed, Origin, SlackCaller};
use crate::ssr::slack::identity::{self, SlackIdentity};
use crate::ssr::slack::interactions::BlockAction;

/// The callback id of the views this flow shows in place of the form (notices, "Submitting…").
/// They have no submit button, so nothing is ever submitted under it.
pub const NOTICE_CALLBACK_ID: &str = "latch_request_notice";

/// After a slow submission was answered with "Submitting…", how long the late outcome waits
/// before updating the modal, so that Slack has applied that answer first (an update that
/// arrived earlier would be overwritten by it).
const LATE_UPDATE_DELAY: Duration = Duration::from_millis(500);

/// The longest an inline error may be (Slack shows it under the field; keep it readable).
const INLINE_ERROR_MAX: usize = 300;

/// Where to tell the person something that is not in the modal.
#[derive(Debug, Clone)]
pub enum Teller {
    /// The slash command's `response_url` (ephemeral by default).
    ResponseUrl(String),
    /// A DM from the app (no channel: the App Home).
    Dm,
}

/// What the modal's `private_metadata` carries: the request modal's own
/// ([`request_modal::RequestModalMetadata`]) plus the channel `/c1 request` was typed in, where
/// the confirmation goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct FlowMetadata {
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    entitlement_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel_id: Option<String>,
    /// The command's `response_url`: where the confirmation goes when Latch cannot post in the
    /// channel (its bot is not a member there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_url: Option<String>,
}

fn metadata_of(view: &SlackView) -> FlowMetadata {
    let SlackView::Modal(modal) = view else {
        return FlowMetadata::default();
    };
    modal
        .private_metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default()
}

/// The modal for `modal`, with where to confirm (the channel, else the command's
/// `response_url`) kept in its metadata.
fn modal_view(
    modal: &RequestModal,
    channel_id: Option<&str>,
    response_url: Option<&str>,
) -> SlackView {
    let view = request_modal::request_modal(modal);
    let own = view
        .private_metadata
        .as_deref()
        .and_then(request_modal::RequestModalMetadata::parse)
        .unwrap_or_default();
    let metadata = FlowMetadata {
        app_id: own.app_id,
        entitlement_id: own.entitlement_id,
        channel_id: channel_id.map(str::to_owned),
        response_url: response_url.map(str::to_owned),
    };
    SlackView::Modal(
        view.with_private_metadata(serde_json::to_string(&metadata).unwrap_or_default()),
    )
}

/// A modal that only says something: no inputs, no submit, a Close button.
pub fn notice_view(title: &str, text: &str) -> SlackView {
    let section = SlackSectionBlock::new().with_text(SlackBlockText::MarkDown(
        clip(text, SECTION_TEXT_MAX).into(),
    ));
    SlackView::Modal(
        SlackModalView::new(
            SlackBlockPlainTextOnly::from(clip(title, 24)),
            vec![SlackBlock::from(section)],
        )
        .with_close("Close".into())
        .with_callback_id(SlackCallbackId(NOTICE_CALLBACK_ID.into())),
    )
}

/// The modal turned into "Submitting…" while a slow submission finishes.
pub fn submitting_view() -> SlackView {
    notice_view(
        "Submitting…",
        "Latch is saving your request. This takes longer than usual; this window will show the \
         outcome in a moment.",
    )
}

/// The answer to a submission Latch cannot serve (not connected, disconnected): the modal says
/// why.
pub fn not_served_view(why: &NotServed) -> SlackInteractionResponse {
    update_response(notice_view("Latch", &why.sentence()))
}

pub fn update_response(view: SlackView) -> SlackInteractionResponse {
    SlackInteractionResponse::ViewSubmission(SlackViewSubmissionResponse::Update(
        SlackViewSubmissionUpdateResponse::new(view),
    ))
}

// ---------------------------------------------------------------------------------------------
// Telling the person.

/// Tells the person `text` outside the modal (ephemerally through a `response_url`, or by DM).
/// A failure is logged: there is nowhere left to tell them.
pub async fn tell(state: &AppState, caller: &SlackCaller, teller: &Teller, text: &str) {
    let result = match teller {
        Teller::ResponseUrl(url) => state.slack.api.respond_text(url, text).await,
        Teller::Dm => state
            .slack
            .api
            .chat_post_message(
                caller.bot_token.expose_secret(),
                &SlackApiChatPostMessageRequest::new(
                    caller.slack_user_id.clone().into(),
                    SlackMessageContent::new().with_text(text.to_owned()),
                ),
            )
            .await
            .map(|_| ()),
    };
    if let Err(error) = result {
        tracing::warn!(code = %error.code(), "could not tell a Slack user what happened");
    }
}

/// An ephemeral message to the person in `channel_id`; false when Slack would not take it.
async fn tell_in_channel(
    state: &AppState,
    caller: &SlackCaller,
    channel_id: &str,
    text: &str,
) -> bool {
    let request = SlackApiChatPostEphemeralRequest::new(
        channel_id.to_owned().into(),
        caller.slack_user_id.clone().into(),
        SlackMessageContent::new().with_text(text.to_owned()),
    );
    if let Err(error) = state
        .slack
        .api
        .chat_post_ephemeral(caller.bot_token.expose_secret(), &request)
        .await
    {
        tracing::info!(code = %error.code(), "could not confirm a request ephemerally");
        return false;
    }
    true
}

/// Who `caller` is, for [`front_door::FrontDoor::first_notice`].
fn person(caller: &SlackCaller) -> String {
    person_in(&caller.team_id, &caller.slack_user_id)
}

/// The Slack user `slack_user_id` of workspace `team_id`, for
/// [`front_door::FrontDoor::first_notice`].
fn person_in(team_id: &str, slack_user_id: &str) -> String {
    format!("{team_id}/{slack_user_id}")
}

/// Deferred work for `origin` was dropped (Latch too busy): tells the person once in
/// [`front_door::TOLD_WINDOW`], through `response_url` when there is one, else by DM.
pub fn tell_busy(state: &AppState, origin: &Origin, response_url: Option<String>) {
    let who = person_in(
        origin.team_id.as_deref().unwrap_or_default(),
        &origin.slack_user_id,
    );
    if !state.slack.front_door.first_notice(&who, "busy") {
        return;
    }
    let state = state.clone();
    let origin = origin.clone();
    tokio::spawn(async move {
        match response_url {
            Some(url) => {
                if let Err(error) = state
                    .slack
                    .api
                    .respond_text(&url, front_door::BUSY_SENTENCE)
                    .await
                {
                    tracing::info!(code = %error.code(), "could not tell a Slack user Latch is busy");
                }
            }
            None => match front_door::route(&state, &origin).await {
                Ok(caller) => tell(&state, &caller, &Teller::Dm, front_door::BUSY_SENTENCE).await,
                Err(why) => tracing::info!(?why, "could not tell a Slack user Latch is busy"),
            },
        }
    });
}

/// A `block_actions` from a workspace Latch does not serve: only a message's `response_url` can
/// still reach the person (there is no token to call Slack with).
pub async fn tell_not_served(state: &AppState, action: &BlockAction, why: &NotServed) {
    let Some(url) = action.response_url.as_deref() else {
        tracing::info!("Slack action from a workspace Latch does not serve; nothing to answer");
        return;
    };
    if let Err(error) = state.slack.api.respond_text(url, &why.sentence()).await {
        tracing::info!(code = %error.code(), "could not answer a Slack action");
    }
}

// ---------------------------------------------------------------------------------------------
// What the person may request.

/// An app the person may request from, with the entitlements they may see.
struct RequestableApp {
    id: String,
    name: String,
    entitlements: Vec<EntitlementChoice>,
}

/// The apps `actor` may request from (those with an entitlement visible to their groups), by
/// name: the console's visibility rule (`domain::can_see`).
async fn requestable(state: &AppState, actor: &Actor) -> Result<Vec<RequestableApp>, AccessError> {
    let groups = directory::groups_of(&state.db, &actor.id).await?;
    let tenant = catalog::tenant(&state.db).await?;
    let mut apps = Vec::new();
    for stored in catalog::list(&state.db).await? {
        let entitlements: Vec<EntitlementChoice> = stored
            .entitlements
            .iter()
            .filter(|(e, _)| can_see(e, &groups))
            .map(|(e, _)| EntitlementChoice {
                id: e.id.to_string(),
                app: stored.app.name.clone(),
                name: e.display_name.clone(),
                slug: e
                    .alias
                    .as_ref()
                    .map_or_else(|| e.slug.to_string(), ToString::to_string),
                description: if e.description.trim().is_empty() {
                    stored.description.clone()
                } else {
                    e.description.clone()
                },
                limits: e.duration_limits(&tenant),
                emergency: e.allows_emergency(),
            })
            .collect();
        if !entitlements.is_empty() {
            apps.push(RequestableApp {
                id: stored.app.id.to_string(),
                name: stored.app.name.clone(),
                entitlements,
            });
        }
    }
    Ok(apps)
}

/// Whom `actor` may request for besides themselves (the console's rule,
/// `domain::check_can_request_for`): anyone for helpdesk and admins, their reports for managers.
async fn request_for(state: &AppState, actor: &Actor) -> Result<RequestFor, AccessError> {
    if actor.roles.can_request_for_anyone() {
        return Ok(RequestFor::Anyone);
    }
    let reports: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE manager_id = $1 AND status = 'active'",
    )
    .bind(user_row(&actor.id)?)
    .fetch_one(&state.db.pool)
    .await?;
    Ok(if reports > 0 {
        RequestFor::Reports
    } else {
        RequestFor::Myself
    })
}

/// The person behind `caller` as an [`Actor`], or the sentence saying why Latch won't act for
/// them.
pub(crate) async fn actor_of(state: &AppState, caller: &SlackCaller) -> Result<Actor, String> {
    match caller.identify(state).await {
        Ok(SlackIdentity::Linked { actor, .. }) => Ok(actor),
        Ok(SlackIdentity::NotLinked(why)) => Err(identity::explain(&why)),
        Err(error) => Err(front_door::identify_failed(&error)),
    }
}

/// The app search (`block_suggestion`): `None` when the person cannot be served or identified.
pub async fn app_options(
    state: &AppState,
    origin: &Origin,
    query: &str,
) -> Option<SlackBlockSuggestionResponse> {
    let caller = front_door::route(state, origin).await.ok()?;
    let actor = actor_of(state, &caller).await.ok()?;
    let apps = requestable(state, &actor)
        .await
        .inspect_err(|error| tracing::error!(%error, "could not list requestable apps"))
        .ok()?;
    let choices: Vec<AppChoice> = apps
        .into_iter()
        .map(|a| AppChoice {
            id: a.id,
            name: a.name,
        })
        .collect();
    Some(request_modal::request_options(&choices, query))
}

// ---------------------------------------------------------------------------------------------
// Opening the modal.

/// The bare modal: nothing chosen, for the person themselves.
fn bare_modal() -> RequestModal {
    RequestModal {
        app: None,
        entitlements: Vec::new(),
        entitlement_id: None,
        length: None,
        request_for: RequestFor::Myself,
    }
}

/// `/c1 request`: opens the modal with the command's `trigger_id`; failures go to its
/// `response_url`.
pub async fn open_from_command(
    state: &AppState,
    caller: &SlackCaller,
    trigger_id: &str,
    response_url: &str,
    channel_id: &str,
) {
    open(
        state,
        caller,
        trigger_id,
        &Teller::ResponseUrl(response_url.to_owned()),
        Some(channel_id),
    )
    .await;
}

/// The App Home's **Request Access**: opens the modal; failures go to the person through the
/// action's `response_url` when it has one, else by DM.
pub async fn open_from_home(state: &AppState, caller: &SlackCaller, action: &BlockAction) {
    let teller = action
        .response_url
        .clone()
        .map_or(Teller::Dm, Teller::ResponseUrl);
    open(state, caller, &action.trigger_id, &teller, None).await;
}

async fn open(
    state: &AppState,
    caller: &SlackCaller,
    trigger_id: &str,
    teller: &Teller,
    channel_id: Option<&str>,
) {
    let token = caller.bot_token.expose_secret();
    let response_url = match teller {
        Teller::ResponseUrl(url) => Some(url.as_str()),
        Teller::Dm => None,
    };
    // First, while the trigger is valid: everything else may be slow.
    let request = SlackApiViewsOpenRequest::new(
        trigger_id.to_owned().into(),
        modal_view(&bare_modal(), channel_id, response_url),
    );
    let opened = match state.slack.api.views_open(token, &request).await {
        Ok(opened) => opened.view,
        // Told once per person while Slack refuses: a storm of clicks is not answered with a
        // storm of messages (which Slack would refuse too).
        Err(_)
            if !state
                .slack
                .front_door
                .first_notice(&person(caller), "views.open") =>
        {
            tracing::info!("views.open failed again; the person was told already");
            return;
        }
        Err(error) => {
            let text = format!(
                "Latch couldn't open the request form: Slack answered \"{}\". {}",
                error.code(),
                match error.code().as_str() {
                    "expired_trigger_id" | "exchanged_trigger_id" | "invalid_trigger_id" => {
                        "Slack took too long to hand it over; please try again."
                    }
                    _ => "Please try again in a minute.",
                }
            );
            tell(state, caller, teller, &text).await;
            return;
        }
    };
    let view_id = opened.state_params.id.to_string();
    let hash = opened.state_params.hash.clone();
    let actor = match actor_of(state, caller).await {
        Ok(actor) => actor,
        Err(sentence) => {
            update_view(
                state,
                caller,
                &view_id,
                Some(hash),
                notice_view("Latch", &sentence),
            )
            .await;
            tell(state, caller, teller, &sentence).await;
            return;
        }
    };
    match request_for(state, &actor).await {
        Ok(RequestFor::Myself) => {}
        Ok(request_for) => {
            let modal = RequestModal {
                request_for,
                ..bare_modal()
            };
            update_view(
                state,
                caller,
                &view_id,
                Some(hash),
                modal_view(&modal, channel_id, response_url),
            )
            .await;
        }
        Err(error) => tracing::error!(%error, "could not tell whom a person may request for"),
    }
}

/// `views.update` of `view_id`; a `hash_conflict` means a newer change got there first, which is
/// fine; anything else is logged.
pub(crate) async fn update_view(
    state: &AppState,
    caller: &SlackCaller,
    view_id: &str,
    hash: Option<String>,
    view: SlackView,
) {
    let request = SlackApiViewsUpdateRequest::new(view)
        .with_view_id(view_id.to_owned().into())
        .opt_hash(hash);
    match state
        .slack
        .api
        .views_update(caller.bot_token.expose_secret(), &request)
        .await
    {
        Ok(_) => {}
        Err(error) if error.code() == "hash_conflict" => {
            tracing::debug!("request modal changed meanwhile; this update is dropped");
        }
        Err(error) => tracing::warn!(code = %error.code(), "could not update the request modal"),
    }
}

// ---------------------------------------------------------------------------------------------
// The person choosing.

/// What the person has entered so far, from the view's state and metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Choices {
    app_id: Option<String>,
    entitlement_id: Option<String>,
    length: Option<String>,
    custom_length: Option<String>,
    justification: String,
    emergency: bool,
    /// The Slack user chosen under "Request for".
    subject: Option<String>,
    channel_id: Option<String>,
    response_url: Option<String>,
}

fn choices(state: Option<&SlackViewState>, metadata: FlowMetadata) -> Choices {
    let empty = HashMap::new();
    let values = state.map_or(&empty, |s| &s.values);
    let value = |block: &str, action: &str| {
        values
            .get(&SlackBlockId(block.into()))
            .and_then(|actions| actions.get(&action.to_owned().into()))
    };
    let selected = |block: &str, action: &str| {
        value(block, action)
            .and_then(|v| v.selected_option.as_ref())
            .map(|o| o.value.clone())
    };
    let text = |block: &str, action: &str| {
        value(block, action)
            .and_then(|v| v.value.clone())
            .filter(|t| !t.trim().is_empty())
    };
    Choices {
        app_id: selected(request_modal::APP_BLOCK, request_modal::APP_ACTION).or(metadata.app_id),
        entitlement_id: selected(
            request_modal::ENTITLEMENT_BLOCK,
            request_modal::ENTITLEMENT_ACTION,
        )
        .or(metadata.entitlement_id),
        length: selected(request_modal::LENGTH_BLOCK, request_modal::LENGTH_ACTION),
        custom_length: text(
            request_modal::CUSTOM_LENGTH_BLOCK,
            request_modal::CUSTOM_LENGTH_ACTION,
        ),
        justification: text(
            request_modal::JUSTIFICATION_BLOCK,
            request_modal::JUSTIFICATION_ACTION,
        )
        .unwrap_or_default(),
        emergency: value(
            request_modal::EMERGENCY_BLOCK,
            request_modal::EMERGENCY_ACTION,
        )
        .and_then(|v| v.selected_options.as_ref())
        .is_some_and(|options| {
            options
                .iter()
                .any(|o| o.value == request_modal::EMERGENCY_VALUE)
        }),
        subject: value(request_modal::SUBJECT_BLOCK, request_modal::SUBJECT_ACTION)
            .and_then(|v| v.selected_user.as_ref())
            .map(ToString::to_string),
        channel_id: metadata.channel_id,
        response_url: metadata.response_url,
    }
}

/// The modal for what the person has chosen so far, among what they may request. An app or an
/// entitlement they may not (or no longer) request is dropped, not shown.
async fn modal_for(
    state: &AppState,
    actor: &Actor,
    choices: &Choices,
) -> Result<RequestModal, AccessError> {
    let apps = requestable(state, actor).await?;
    let request_for = request_for(state, actor).await?;
    let app = apps
        .into_iter()
        .find(|a| Some(&a.id) == choices.app_id.as_ref());
    let Some(app) = app else {
        return Ok(RequestModal {
            request_for,
            ..bare_modal()
        });
    };
    let entitlement_id = choices
        .entitlement_id
        .clone()
        .filter(|id| app.entitlements.iter().any(|e| e.id == *id));
    Ok(RequestModal {
        app: Some(AppChoice {
            id: app.id,
            name: app.name,
        }),
        length: entitlement_id.as_ref().and(choices.length.clone()),
        entitlement_id,
        entitlements: app.entitlements,
        request_for,
    })
}

/// A choice in the modal (app, entitlement, length): the modal is rebuilt for it.
pub async fn on_modal_action(state: &AppState, caller: &SlackCaller, action: &BlockAction) {
    let Some(view) = action.view.as_ref() else {
        return;
    };
    let action_id = action.action.action_id.to_string();
    if ![
        request_modal::APP_ACTION,
        request_modal::ENTITLEMENT_ACTION,
        request_modal::LENGTH_ACTION,
    ]
    .contains(&action_id.as_str())
    {
        return;
    }
    let mut chosen = choices(view.state.as_ref(), metadata_of(&view.view));
    // The element just acted on wins over the state (they agree in Slack; the action is what
    // the person did).
    if let Some(option) = action.action.selected_option.as_ref() {
        let value = Some(option.value.clone());
        match action_id.as_str() {
            request_modal::APP_ACTION => {
                if chosen.app_id != value {
                    chosen.entitlement_id = None;
                    chosen.length = None;
                }
                chosen.app_id = value;
            }
            request_modal::ENTITLEMENT_ACTION => {
                if chosen.entitlement_id != value {
                    chosen.length = None;
                }
                chosen.entitlement_id = value;
            }
            _ => chosen.length = value,
        }
    }
    let view_out = match actor_of(state, caller).await {
        Ok(actor) => match modal_for(state, &actor, &chosen).await {
            Ok(modal) => modal_view(
                &modal,
                chosen.channel_id.as_deref(),
                chosen.response_url.as_deref(),
            ),
            Err(error) => {
                tracing::error!(%error, "could not rebuild the request modal");
                notice_view(
                    "Latch",
                    "Latch couldn't load this app's entitlements just now. Please close this \
                     window and try again in a minute.",
                )
            }
        },
        Err(sentence) => notice_view("Latch", &sentence),
    };
    update_view(state, caller, &view.id, view.hash.clone(), view_out).await;
}

// ---------------------------------------------------------------------------------------------
// Submitting.

/// How a submission ended.
#[derive(Debug)]
enum Outcome {
    /// Created: its number and what to say.
    Created { number: String, text: String },
    /// Refused by a rule: the message per block id. Nothing was created.
    Refused(BTreeMap<String, String>),
    /// Latch won't act for this person, or failed: the modal says so.
    Notice(String),
}

/// The request modal's `view_submission`.
pub async fn on_submit(
    state: &AppState,
    caller: SlackCaller,
    event: SlackInteractionViewSubmissionEvent,
) -> SlackInteractionResponse {
    let view_id = event.view.state_params.id.to_string();
    let shown_blocks = block_ids(&event.view.view);
    let chosen = choices(
        event.view.state_params.state.as_ref(),
        metadata_of(&event.view.view),
    );
    let work = {
        let state = state.clone();
        let shown = shown_blocks.clone();
        async move {
            let outcome = submit(&state, &caller, &chosen, &shown).await;
            (caller, chosen, outcome)
        }
    };
    let late = {
        let state = state.clone();
        move |(caller, chosen, outcome): (SlackCaller, Choices, Outcome)| async move {
            tokio::time::sleep(LATE_UPDATE_DELAY).await;
            let view = match &outcome {
                Outcome::Created { text, .. } => notice_view("Request submitted", text),
                Outcome::Refused(errors) => notice_view(
                    "Not submitted",
                    &format!(
                        "Your request was not submitted, and nothing was created:\n{}\n\nRun \
                         the request again to fix it.",
                        errors
                            .values()
                            .map(|e| format!("• {}", escape(e)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                ),
                Outcome::Notice(text) => notice_view("Latch", text),
            };
            update_view(&state, &caller, &view_id, None, view).await;
            if let Outcome::Created { text, .. } = &outcome {
                confirm(&state, &caller, &chosen, text).await;
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
        Err(front_door::Busy) => update_response(notice_view(
            "Not submitted",
            &format!("{} Nothing was created.", front_door::BUSY_SENTENCE),
        )),
        Ok(None) => update_response(submitting_view()),
        Ok(Some((caller, chosen, outcome))) => match outcome {
            Outcome::Created { text, number } => {
                tracing::info!(number, "request created from Slack");
                let state = state.clone();
                tokio::spawn(async move { confirm(&state, &caller, &chosen, &text).await });
                SlackInteractionResponse::Empty
            }
            Outcome::Refused(errors) => {
                SlackInteractionResponse::ViewSubmission(SlackViewSubmissionResponse::Errors(
                    SlackViewSubmissionErrorsResponse::new(errors.into_iter().collect()),
                ))
            }
            Outcome::Notice(text) => update_response(notice_view("Latch", &text)),
        },
    }
}

/// Tells the person their request was made: ephemerally where they typed `/c1 request`; where
/// Latch cannot post (its bot is not in that channel: `not_in_channel`, a private channel or a
/// DM it cannot see), through the command's `response_url`, else by DM. From the App Home there
/// is no channel; the Home shows the new request, and the delivery worker's `request_created` DM
/// follows either way.
async fn confirm(state: &AppState, caller: &SlackCaller, chosen: &Choices, text: &str) {
    let Some(channel) = chosen.channel_id.as_deref() else {
        return;
    };
    if tell_in_channel(state, caller, channel, text).await {
        return;
    }
    let teller = chosen
        .response_url
        .clone()
        .map_or(Teller::Dm, Teller::ResponseUrl);
    tell(state, caller, &teller, text).await;
}

/// The block ids of the input blocks a view shows (an inline error must name one of them).
fn block_ids(view: &SlackView) -> BTreeSet<String> {
    let SlackView::Modal(modal) = view else {
        return BTreeSet::new();
    };
    modal
        .blocks
        .iter()
        .filter_map(|block| match block {
            SlackBlock::Input(input) => input.block_id.as_ref().map(ToString::to_string),
            _ => None,
        })
        .collect()
}

async fn submit(
    state: &AppState,
    caller: &SlackCaller,
    chosen: &Choices,
    shown: &BTreeSet<String>,
) -> Outcome {
    let actor = match actor_of(state, caller).await {
        Ok(actor) => actor,
        Err(sentence) => return Outcome::Notice(sentence),
    };
    let refuse = |block: &str, text: &str| {
        Outcome::Refused(BTreeMap::from([(
            error_block(block, shown),
            clip(text, INLINE_ERROR_MAX),
        )]))
    };
    let Some(entitlement_id) = chosen.entitlement_id.clone() else {
        return refuse(request_modal::ENTITLEMENT_BLOCK, "Choose an entitlement.");
    };
    // A selection left over from another app (a select keeps its value across an update) is
    // not what the form shows: the entitlement must be one of the chosen app's.
    if let Some(app_id) = chosen.app_id.as_deref() {
        match catalog::list(&state.db).await {
            Ok(apps) => {
                let of_app = apps.iter().any(|a| {
                    a.app.id.as_str() == app_id
                        && a.entitlements
                            .iter()
                            .any(|(e, _)| e.id.as_str() == entitlement_id)
                });
                if !of_app {
                    return refuse(
                        request_modal::ENTITLEMENT_BLOCK,
                        "Choose an entitlement of this app.",
                    );
                }
            }
            Err(error) => {
                tracing::error!(%error, "could not read the catalog for a Slack request");
                return Outcome::Notice(
                    "Latch couldn't save your request just now, and nothing was created. Please                      try again in a minute."
                        .into(),
                );
            }
        }
    }
    let subject_email = match chosen.subject.as_deref() {
        None => String::new(),
        Some(slack_user) if slack_user == caller.slack_user_id => String::new(),
        Some(slack_user) => match identity::resolve(state, &caller.install, slack_user).await {
            Ok(SlackIdentity::Linked { user, .. }) => user.email,
            Ok(SlackIdentity::NotLinked(_)) => {
                return refuse(
                    request_modal::SUBJECT_BLOCK,
                    "This person isn't in the Latch directory (or can't be linked to it), so \
                         Latch can't request access for them.",
                );
            }
            Err(error) => return Outcome::Notice(front_door::identify_failed(&error)),
        },
    };
    let duration = match chosen.length.as_deref() {
        Some(request_modal::CUSTOM_LENGTH_VALUE) => {
            let Some(custom) = chosen.custom_length.clone() else {
                return refuse(
                    request_modal::CUSTOM_LENGTH_BLOCK,
                    "Enter a length, e.g. 8h, 3d or 2w.",
                );
            };
            custom
        }
        Some(preset) => preset.to_owned(),
        None => String::new(),
    };
    let custom = chosen.length.as_deref() == Some(request_modal::CUSTOM_LENGTH_VALUE);
    let input = CreateInput {
        entitlement_id,
        subject_email,
        duration,
        justification: chosen.justification.clone(),
        emergency: chosen.emergency,
        extension: false,
    };
    match access_loop::create(&state.db, &actor, input, RequestOrigin::Slack).await {
        Ok(request) => {
            let number = request.number.to_string();
            let url = console_link(state.public_url.as_str(), &format!("/requests/{number}"));
            Outcome::Created {
                text: format!(
                    "Your request {} was submitted. Latch will tell you here when it is decided.",
                    mrkdwn_link(&url, &number)
                ),
                number,
            }
        }
        Err(AccessError::Domain(error)) => {
            let (block, text) = refusal(state, &error, custom);
            refuse(block, &text)
        }
        Err(AccessError::NotFound(_)) => refuse(
            request_modal::ENTITLEMENT_BLOCK,
            "This entitlement no longer exists. Choose another one.",
        ),
        Err(error) => {
            tracing::error!(%error, "could not create a request from Slack");
            Outcome::Notice(
                "Latch couldn't save your request just now, and nothing was created. Please try \
                 again in a minute."
                    .into(),
            )
        }
    }
}

/// `block` if the view shows it, else the first field that is always there (the app).
fn error_block(block: &str, shown: &BTreeSet<String>) -> String {
    if shown.contains(block) {
        block.to_owned()
    } else if shown.contains(request_modal::ENTITLEMENT_BLOCK) {
        request_modal::ENTITLEMENT_BLOCK.to_owned()
    } else {
        request_modal::APP_BLOCK.to_owned()
    }
}

/// The field a refusal is about, and what it says there. The words are the console's (the
/// domain's message), except where Slack can offer more: a duplicate request links to the open
/// one and offers to escalate it.
fn refusal(state: &AppState, error: &DomainError, custom_length: bool) -> (&'static str, String) {
    let length_block = if custom_length {
        request_modal::CUSTOM_LENGTH_BLOCK
    } else {
        request_modal::LENGTH_BLOCK
    };
    let link =
        |number: &str| console_link(state.public_url.as_str(), &format!("/requests/{number}"));
    match error {
        DomainError::DuplicateOpenRequest { number } => (
            request_modal::ENTITLEMENT_BLOCK,
            format!(
                "You already have an open request for this access: {number} ({}). If it has \
                 become urgent, escalate {number} to emergency access there instead of asking \
                 again.",
                link(number)
            ),
        ),
        DomainError::DuplicateOpenRequestEscalate { number } => (
            request_modal::EMERGENCY_BLOCK,
            format!(
                "You already have an open request for this access: {number} ({}). Escalate \
                 {number} to emergency access there instead of opening a new request.",
                link(number)
            ),
        ),
        DomainError::Required { field } | DomainError::TooLong { field, .. }
            if field.contains("justification") =>
        {
            (request_modal::JUSTIFICATION_BLOCK, sentence(error))
        }
        DomainError::InvalidDuration { .. }
        | DomainError::DurationExceedsMaximum { .. }
        | DomainError::DurationExceedsTenantCap { .. }
        | DomainError::IndefiniteNotAllowed { .. } => (length_block, sentence(error)),
        DomainError::EmergencyNotEnabled => (request_modal::EMERGENCY_BLOCK, sentence(error)),
        DomainError::CannotRequestForOthers { .. } | DomainError::UnknownValue { .. } => {
            (request_modal::SUBJECT_BLOCK, sentence(error))
        }
        DomainError::UserNotActive { action, .. } if action.contains("receive") => {
            (request_modal::SUBJECT_BLOCK, sentence(error))
        }
        _ => (request_modal::ENTITLEMENT_BLOCK, sentence(error)),
    }
}

/// The domain's message as a sentence.
fn sentence(error: &DomainError) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => text,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::ssr::slack::blocks::check::assert_view_accepted;

    #[test]
    fn the_notice_and_submitting_views_are_views_slack_accepts() {
        assert_view_accepted(&submitting_view());
        assert_view_accepted(&notice_view("Request submitted", &"x".repeat(5000)));
        assert_view_accepted(&notice_view(
            "A title much longer than Slack's twenty-four characters",
            "text",
        ));
        assert_view_accepted(&modal_view(
            &bare_modal(),
            Some("C123"),
            Some("https://hooks.slack.com/commands/T1/1/x"),
        ));
    }

    #[test]
    fn the_modal_keeps_the_channel_to_confirm_in_beside_its_own_metadata() {
        let url = "https://hooks.slack.com/commands/T1/1/x";
        let view = modal_view(&bare_modal(), Some("C123"), Some(url));
        let metadata = metadata_of(&view);
        assert_eq!(metadata.channel_id.as_deref(), Some("C123"));
        assert_eq!(metadata.response_url.as_deref(), Some(url));
        let SlackView::Modal(modal) = &view else {
            panic!("not a modal");
        };
        let own =
            request_modal::RequestModalMetadata::parse(modal.private_metadata.as_deref().unwrap());
        assert_eq!(own, Some(request_modal::RequestModalMetadata::default()));
    }

    #[test]
    fn a_refusal_lands_on_a_field_the_view_shows() {
        let shown: BTreeSet<String> = [request_modal::APP_BLOCK, request_modal::ENTITLEMENT_BLOCK]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(
            error_block(request_modal::EMERGENCY_BLOCK, &shown),
            request_modal::ENTITLEMENT_BLOCK
        );
        assert_eq!(
            error_block(request_modal::APP_BLOCK, &shown),
            request_modal::APP_BLOCK
        );
        assert_eq!(
            error_block(request_modal::SUBJECT_BLOCK, &BTreeSet::new()),
            request_modal::APP_BLOCK
        );
    }

    #[test]
    fn domain_messages_read_as_sentences() {
        assert_eq!(
            sentence(&DomainError::EmergencyNotEnabled),
            "Emergency access is not enabled for this entitlement."
        );
    }
}
