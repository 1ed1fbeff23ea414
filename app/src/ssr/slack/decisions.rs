//! Clicks on Latch's DMs (issue 11 §2, §3, §5): the reviewer's **Approve** / **Deny**, the
//! requester's **Cancel request**, the provisioner's **Provisioned** / **Won't do** and **Retry**,
//! the holder's **Extend** / **Release**, and the two reason modals (a required denial reason,
//! the "won't do" note).
//!
//! Every button calls the console's flow (`flows::access_loop`) as the clicking person's
//! [`Actor`] (the Slack user resolved by the front door; someone Latch won't act for is told why,
//! as for `/c1`), so the rules are the console's, not a copy: the reason flags of the step,
//! self-approval, who may cancel, provision or retry. A button's `value` names the object it was
//! rendered for (`request id:step` on an approver's copy), so a click on an old copy is judged
//! against the object as it is now.
//!
//! *Stale clicks.* Already decided, reassigned, cancelled, no longer an approver: the flow
//! refuses (its writes are version-guarded, so nothing is ever decided twice however many
//! people click at once) and the person gets an ephemeral sentence saying what happened ("Already
//! approved by @Bob"), and the message they clicked on is re-rendered to the current state
//! ([`live::refresh_message`]).
//!
//! *Time.* Slack waits 3 seconds: a click's work runs under [`front_door::within`], so the ack
//! waits at most [`front_door::ACK_BUDGET`] for it and a slower one finishes after the ack. The
//! person is told through the message's `response_url` (ephemeral) either way. A modal is opened
//! before anything slow is awaited after the dry run that decides whether one is needed (a
//! `trigger_id` lives 3 seconds). A reason modal's submission is answered inline when an empty
//! reason is refused, and closes on success.

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::domain::{
    DomainError, Outcome, ProvisioningTask, Request, RequestState, TaskKind, TaskOutcome, UserId,
    Verdict,
};
use crate::ssr::AppState;
use crate::ssr::access::{AccessError, Actor, directory, grants, now, requests, user_row};
use crate::ssr::flows::access_loop;
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackActionId, SlackApiChatPostEphemeralRequest, SlackApiViewsOpenRequest, SlackBlock,
    SlackBlockId, SlackBlockMarkDownText, SlackBlockPlainTextInputElement, SlackBlockPlainTextOnly,
    SlackBlockText, SlackCallbackId, SlackInputBlock, SlackInteractionResponse,
    SlackInteractionViewSubmissionEvent, SlackMessageContent, SlackModalView, SlackSectionBlock,
    SlackView, SlackViewState, SlackViewSubmissionErrorsResponse, SlackViewSubmissionResponse,
};
use crate::ssr::slack::blocks::{SECTION_TEXT_MAX, clip, escape};
use crate::ssr::slack::front_door::{self, Origin, SlackCaller};
use crate::ssr::slack::home::{self, ExtendOpened};
use crate::ssr::slack::interactions::BlockAction;
use crate::ssr::slack::{identity, live, request_flow};

// The buttons' action ids, as the live messages render them (the value each carries is said
// there: `request id:step` for Approve / Deny, the step zero-based; the task id for a task's
// buttons; the request id for Retry and Cancel; the grant id for Extend / Release).
pub use crate::ssr::slack::blocks::notifications::{
    APPROVE_ACTION, CANCEL_ACTION, DENY_ACTION, GRANT_EXTEND_ACTION, GRANT_RELEASE_ACTION,
    TASK_DONE_ACTION, TASK_RETRY_ACTION, TASK_WONT_DO_ACTION,
};
/// The approver's copy's reason input (block and element ids alike).
pub const APPROVAL_REASON_BLOCK: &str = crate::ssr::slack::blocks::notifications::APPROVAL_REASON;
pub const APPROVAL_REASON_ACTION: &str = crate::ssr::slack::blocks::notifications::APPROVAL_REASON;
/// The modal asking for a required denial reason.
pub const DENY_REASON_CALLBACK: &str = "request.deny_reason";
/// The modal asking why a task won't be done.
pub const WONT_DO_REASON_CALLBACK: &str = "task.wont_do_reason";
/// The reason input of both modals.
pub const REASON_BLOCK: &str = "reason";
pub const REASON_ACTION: &str = "reason";

/// The longest reason the modals take (the domain's limit).
const REASON_MAX: u64 = crate::domain::MAX_REASON_LEN as u64;

/// What a person is told when Latch itself failed (the database, Slack): logged, and nothing
/// was changed.
const FAILED: &str = "Latch couldn't do that just now, and nothing was changed. Please try again \
                      in a minute.";

/// Whether `action_id` is one of the DM buttons handled here.
pub fn handles(action_id: &str) -> bool {
    [
        CANCEL_ACTION,
        APPROVE_ACTION,
        DENY_ACTION,
        TASK_DONE_ACTION,
        TASK_WONT_DO_ACTION,
        TASK_RETRY_ACTION,
        GRANT_EXTEND_ACTION,
        GRANT_RELEASE_ACTION,
    ]
    .contains(&action_id)
}

/// Whether a view with `callback_id` is one of the reason modals handled here.
pub fn handles_callback(callback_id: &str) -> bool {
    callback_id == DENY_REASON_CALLBACK || callback_id == WONT_DO_REASON_CALLBACK
}

/// `{request id}:{step}` from an approver's button; `None` when it is not one.
pub fn parse_step_value(value: &str) -> Option<(&str, usize)> {
    let (id, step) = value.rsplit_once(':')?;
    let id = id.trim();
    (!id.is_empty()).then_some(())?;
    Some((id, step.trim().parse().ok()?))
}

/// What the reason modals carry in `private_metadata`: the object, and the message to refresh and
/// answer through once the reason is in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonMetadata {
    /// The request (deny) or the task (won't do).
    pub id: String,
    /// The step being denied (zero-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<String>,
    /// The clicked message's `response_url`: where the outcome is told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_url: Option<String>,
}

impl ReasonMetadata {
    fn parse(text: Option<&str>) -> Option<ReasonMetadata> {
        serde_json::from_str(text?).ok()
    }
}

/// A reason modal: what it is about, the reason input (required, multiline), submit and cancel.
pub fn reason_modal(
    callback_id: &str,
    title: &str,
    intro: &str,
    label: &str,
    submit: &str,
    metadata: &ReasonMetadata,
) -> SlackView {
    let blocks: Vec<SlackBlock> = vec![
        SlackSectionBlock::new()
            .with_text(SlackBlockText::MarkDown(SlackBlockMarkDownText::from(
                clip(intro, SECTION_TEXT_MAX),
            )))
            .into(),
        SlackInputBlock::new(
            SlackBlockPlainTextOnly::from(clip(label, 2000)),
            SlackBlockPlainTextInputElement::new()
                .with_action_id(SlackActionId(REASON_ACTION.into()))
                .with_multiline(true)
                .with_max_length(REASON_MAX)
                .into(),
        )
        .with_block_id(SlackBlockId(REASON_BLOCK.into()))
        .into(),
    ];
    SlackView::Modal(
        SlackModalView::new(SlackBlockPlainTextOnly::from(clip(title, 24)), blocks)
            .with_submit(clip(submit, 24).into())
            .with_close("Cancel".into())
            .with_callback_id(SlackCallbackId(callback_id.into()))
            .with_private_metadata(serde_json::to_string(metadata).unwrap_or_default()),
    )
}

// ---------------------------------------------------------------------------------------------
// Answering the person.

/// What a click came to: what to tell the person, and whether the message they clicked on should
/// be re-rendered (after anything but a reason left out: re-rendering would clear what they
/// typed).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reply {
    text: Option<String>,
    refresh: bool,
}

impl Reply {
    /// Told, and the message shows the current state.
    fn told(text: impl Into<String>) -> Reply {
        Reply {
            text: Some(text.into()),
            refresh: true,
        }
    }

    /// Told; the message stays as it is (the person is to fix something on it).
    fn keep(text: impl Into<String>) -> Reply {
        Reply {
            text: Some(text.into()),
            refresh: false,
        }
    }

    /// Nothing to say (a modal opened).
    fn quiet() -> Reply {
        Reply {
            text: None,
            refresh: false,
        }
    }
}

/// Where a click came from: the message, and how to reach the person about it.
#[derive(Debug, Clone, Default)]
struct Source {
    channel: Option<String>,
    ts: Option<String>,
    response_url: Option<String>,
}

impl Source {
    fn of(action: &BlockAction) -> Source {
        Source {
            channel: action.channel_id.clone(),
            ts: action.message_ts.clone(),
            response_url: action.response_url.clone(),
        }
    }

    fn of_metadata(metadata: &ReasonMetadata) -> Source {
        Source {
            channel: metadata.channel.clone(),
            ts: metadata.ts.clone(),
            response_url: metadata.response_url.clone(),
        }
    }
}

/// Tells the person `text` ephemerally: through the message's `response_url`, else in the DM
/// (`chat.postEphemeral`), else by a DM. A failure is logged: there is nowhere left to tell them.
async fn answer(state: &AppState, caller: &SlackCaller, source: &Source, text: &str) {
    if let Some(url) = source.response_url.as_deref() {
        match state.slack.api.respond_text(url, text).await {
            Ok(()) => return,
            Err(error) => {
                tracing::info!(code = %error.code(), "could not answer a DM click through its response_url");
            }
        }
    }
    if let Some(channel) = source.channel.as_deref() {
        let request = SlackApiChatPostEphemeralRequest::new(
            channel.to_owned().into(),
            caller.slack_user_id.clone().into(),
            SlackMessageContent::new().with_text(text.to_owned()),
        );
        if state
            .slack
            .api
            .chat_post_ephemeral(caller.bot_token.expose_secret(), &request)
            .await
            .is_ok()
        {
            return;
        }
    }
    request_flow::tell(state, caller, &request_flow::Teller::Dm, text).await;
}

/// Re-renders the message the person clicked on, so it shows the current state.
async fn refresh(state: &AppState, caller: &SlackCaller, source: &Source) {
    let (Some(channel), Some(ts)) = (source.channel.as_deref(), source.ts.as_deref()) else {
        return;
    };
    if let Err(error) = live::refresh_message(state, &caller.install.install_key, channel, ts).await
    {
        tracing::warn!(%error, "could not refresh a clicked Slack message");
    }
}

async fn deliver(state: &AppState, caller: &SlackCaller, source: &Source, reply: &Reply) {
    if let Some(text) = reply.text.as_deref() {
        answer(state, caller, source, text).await;
    }
    if reply.refresh {
        refresh(state, caller, source).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Clicks.

/// A click on one of Latch's DM buttons ([`handles`]): handled under the ack budget, finishing
/// after the ack when slower. Refused for lack of room (Latch very busy), the person is told once.
pub async fn on_click(state: &AppState, origin: &Origin, action: BlockAction) {
    let response_url = action.response_url.clone();
    let work = {
        let state = state.clone();
        let origin = origin.clone();
        async move { handle_click(&state, &origin, &action).await }
    };
    match front_door::within(
        &state.slack.front_door.deferred,
        front_door::ACK_BUDGET,
        work,
        |()| async {},
    )
    .await
    {
        Ok(Some(())) => {}
        Ok(None) => tracing::info!("a Slack DM click finishes after its ack"),
        Err(front_door::Busy) => request_flow::tell_busy(state, origin, response_url),
    }
}

async fn handle_click(state: &AppState, origin: &Origin, action: &BlockAction) {
    let caller = match front_door::route(state, origin).await {
        Ok(caller) => caller,
        Err(why) => {
            request_flow::tell_not_served(state, action, &why).await;
            return;
        }
    };
    let source = Source::of(action);
    let actor = match request_flow::actor_of(state, &caller).await {
        Ok(actor) => actor,
        Err(sentence) => {
            answer(state, &caller, &source, &sentence).await;
            return;
        }
    };
    let click = Click {
        state,
        caller: &caller,
        actor: &actor,
        action,
        source: &source,
    };
    let action_id = action.action.action_id.to_string();
    let reply = match action_id.as_str() {
        APPROVE_ACTION => click.approve().await,
        DENY_ACTION => click.deny().await,
        CANCEL_ACTION => click.cancel().await,
        TASK_DONE_ACTION => click.task_done().await,
        TASK_WONT_DO_ACTION => click.task_wont_do().await,
        TASK_RETRY_ACTION => click.retry().await,
        GRANT_EXTEND_ACTION => click.extend().await,
        GRANT_RELEASE_ACTION => click.release().await,
        _ => return,
    };
    let reply = reply.unwrap_or_else(|error| {
        tracing::error!(%error, action_id, "a Slack DM click failed");
        Reply::keep(FAILED)
    });
    deliver(state, &caller, &source, &reply).await;
}

/// A click being handled: who, on what.
struct Click<'a> {
    state: &'a AppState,
    caller: &'a SlackCaller,
    actor: &'a Actor,
    action: &'a BlockAction,
    source: &'a Source,
}

/// Errors that are Latch's, not the person's (the database, corrupt data): logged and told as
/// [`FAILED`].
#[derive(Debug, thiserror::Error)]
enum ClickError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Home(#[from] home::HomeError),
}

type ClickResult = Result<Reply, ClickError>;

impl Click<'_> {
    fn value(&self) -> &str {
        self.action
            .action
            .value
            .as_deref()
            .unwrap_or_default()
            .trim()
    }

    fn typed_reason(&self) -> Option<String> {
        typed(
            self.action.message_state.as_ref(),
            APPROVAL_REASON_BLOCK,
            APPROVAL_REASON_ACTION,
        )
    }

    async fn approve(&self) -> ClickResult {
        let Some((id, step)) = parse_step_value(self.value()) else {
            return Ok(Reply::told(UNKNOWN_BUTTON));
        };
        let decided = access_loop::decide(
            &self.state.db,
            self.actor,
            id,
            step,
            Verdict::Approved,
            self.typed_reason(),
            None,
        )
        .await;
        match decided {
            Ok(request) => Ok(Reply::told(approved_sentence(&request, step))),
            Err(AccessError::Domain(DomainError::ReasonRequired { .. })) => Ok(Reply::keep(
                "This step needs an approval reason. Type it in the *Approval reason* box, then \
                 click *Approve* again. Nothing was decided yet.",
            )),
            Err(error) => self.refused(error, Some(id)).await,
        }
    }

    async fn deny(&self) -> ClickResult {
        let Some((id, step)) = parse_step_value(self.value()) else {
            return Ok(Reply::told(UNKNOWN_BUTTON));
        };
        // A dry run of the rules on the request as it is: a required reason opens the modal,
        // anything else wrong is told now (never a modal for a decision that can't be made).
        let (request, dir) = match visible_request(self.state, self.actor, id).await {
            Ok(open) => open,
            Err(error) => return self.refused(error, Some(id)).await,
        };
        let dry = request.decide(
            step,
            &self.actor.id,
            &self.actor.roles,
            Verdict::Denied,
            None,
            None,
            &dir,
            now(),
        );
        match dry {
            Err(DomainError::ReasonRequired { .. }) => {
                let metadata = ReasonMetadata {
                    id: id.to_owned(),
                    step: Some(step),
                    channel: self.source.channel.clone(),
                    ts: self.source.ts.clone(),
                    response_url: self.source.response_url.clone(),
                };
                let view = reason_modal(
                    DENY_REASON_CALLBACK,
                    "Deny request",
                    &format!(
                        "You are denying *{}*. This step needs a reason, which the requester \
                         will see.",
                        escape(&request.number.to_string())
                    ),
                    "Reason for denying",
                    "Deny",
                    &metadata,
                );
                Ok(self.open_modal(view, "the denial reason form").await)
            }
            Err(error) => self.refused(AccessError::Domain(error), Some(id)).await,
            Ok(_) => {
                match access_loop::decide(
                    &self.state.db,
                    self.actor,
                    id,
                    step,
                    Verdict::Denied,
                    None,
                    None,
                )
                .await
                {
                    Ok(request) => Ok(Reply::told(format!(
                        "You denied {}. The requester is told.",
                        request.number
                    ))),
                    Err(error) => self.refused(error, Some(id)).await,
                }
            }
        }
    }

    async fn cancel(&self) -> ClickResult {
        let id = self.value();
        match access_loop::cancel(&self.state.db, self.actor, id, None).await {
            Ok(request) => Ok(Reply::told(format!(
                "You cancelled {}. Its approvers are told.",
                request.number
            ))),
            Err(error) => self.refused(error, Some(id)).await,
        }
    }

    async fn task_done(&self) -> ClickResult {
        let Some(task) = self.task().await? else {
            return Ok(Reply::told(TASK_GONE));
        };
        match access_loop::complete_task(
            &self.state.db,
            self.actor,
            task.id.as_str(),
            TaskOutcome::Done,
            None,
        )
        .await
        {
            Ok(done) => Ok(Reply::told(format!(
                "You marked {} as {}.",
                task_name(self.state, &done).await,
                TaskOutcome::Done.label(done.kind).to_lowercase()
            ))),
            Err(error) => self.task_refused(error).await,
        }
    }

    async fn task_wont_do(&self) -> ClickResult {
        let Some(task) = self.task().await? else {
            return Ok(Reply::told(TASK_GONE));
        };
        if let Err(error) = task.check_complete(&self.actor.id, &self.actor.roles) {
            return self.task_refused(AccessError::Domain(error)).await;
        }
        let label = TaskOutcome::WontDo.label(task.kind);
        let metadata = ReasonMetadata {
            id: task.id.to_string(),
            step: None,
            channel: self.source.channel.clone(),
            ts: self.source.ts.clone(),
            response_url: self.source.response_url.clone(),
        };
        let view = reason_modal(
            WONT_DO_REASON_CALLBACK,
            label,
            &format!(
                "You are marking {} as *{}*. Say why; the requester and the other provisioners \
                 will see it.",
                escape(&task_name(self.state, &task).await),
                escape(label)
            ),
            "Why not?",
            label,
            &metadata,
        );
        Ok(self.open_modal(view, "the form for a reason").await)
    }

    async fn retry(&self) -> ClickResult {
        let id = self.value();
        match access_loop::retry_provisioning(&self.state.db, self.actor, id).await {
            Ok(request) => Ok(Reply::told(format!(
                "Provisioning of {} starts again; its provisioners are told.",
                request.number
            ))),
            Err(error) => self.refused(error, Some(id)).await,
        }
    }

    async fn extend(&self) -> ClickResult {
        let trigger = self.action.trigger_id.clone().into();
        match home::open_extend_modal(
            self.state,
            self.caller,
            self.actor,
            &trigger,
            self.value(),
            None,
        )
        .await?
        {
            ExtendOpened::Opened => Ok(Reply::quiet()),
            // The modal says why; the message should not offer it any more.
            ExtendOpened::NotExtendable => Ok(Reply {
                text: None,
                refresh: true,
            }),
            ExtendOpened::Failed(_) => Ok(Reply::keep(
                "Slack didn't open the Extend form in time. Please click *Extend* again.",
            )),
        }
    }

    async fn release(&self) -> ClickResult {
        let notice = home::release_grant(self.state, self.actor, self.value()).await?;
        Ok(Reply::told(notice))
    }

    /// Opens `view` with the click's trigger; told when Slack would not.
    async fn open_modal(&self, view: SlackView, what: &str) -> Reply {
        let request = SlackApiViewsOpenRequest::new(self.action.trigger_id.clone().into(), view);
        match self
            .state
            .slack
            .api
            .views_open(self.caller.bot_token.expose_secret(), &request)
            .await
        {
            Ok(_) => Reply::quiet(),
            Err(error) => {
                tracing::warn!(code = %error.code(), "views.open failed for a DM click");
                Reply::keep(format!(
                    "Slack didn't open {what} in time, and nothing was decided. Please click \
                     the button again."
                ))
            }
        }
    }

    /// The task a provisioner's button names.
    async fn task(&self) -> Result<Option<ProvisioningTask>, AccessError> {
        match grants::load_task(&self.state.db, self.value()).await {
            Ok(task) => Ok(Some(task)),
            Err(AccessError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A refusal of a request action, told in words; Latch's own failures are errors.
    async fn refused(&self, error: AccessError, request_id: Option<&str>) -> ClickResult {
        refusal(self.state, self.caller, self.actor, error, request_id)
            .await
            .map(Reply::told)
    }

    async fn task_refused(&self, error: AccessError) -> ClickResult {
        task_refusal(self.state, error).await.map(Reply::told)
    }
}

const UNKNOWN_BUTTON: &str = "Latch doesn't recognise this button any more. The message now \
                              shows where things stand.";
const TASK_GONE: &str = "Latch can't find this provisioning task any more. The message now shows \
                         where things stand.";

/// What the approver is told after approving `step`.
fn approved_sentence(request: &Request, step: usize) -> String {
    let number = request.number.to_string();
    match &request.state {
        RequestState::PendingApproval { assignment } => format!(
            "You approved step {} of {number}. It now waits for step {}.",
            step + 1,
            assignment.step + 1
        ),
        RequestState::Provisioning => {
            format!("You approved {number}. Provisioning has started.")
        }
        RequestState::Closed {
            outcome: Outcome::Granted,
            ..
        } => format!("You approved {number}. The access is granted."),
        RequestState::Closed { outcome, .. } => {
            format!("You approved {number}; it is now closed ({outcome}).")
        }
    }
}

/// Request `id` with the directory, if `actor` may see it ("not found" otherwise, as the flows
/// answer).
async fn visible_request(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> Result<(Request, crate::domain::DirectorySnapshot), AccessError> {
    let request = requests::load(&state.db, id).await?;
    let dir = directory::snapshot(&state.db).await?;
    requests::ensure_visible(&state.db, actor, &request, &dir).await?;
    Ok((request, dir))
}

/// How to name Latch user `user` to a Slack reader: a mention where they have a Slack link in
/// this workspace, else their name.
async fn person(state: &AppState, caller: &SlackCaller, user: &UserId) -> String {
    if let Ok(row) = user_row(user)
        && let Ok(Some(slack_user)) = identity::slack_user_for(state, &caller.install, row).await
    {
        return format!("<@{slack_user}>");
    }
    name_of(state, user.as_str()).await
}

async fn name_of(state: &AppState, user: &str) -> String {
    directory::names(&state.db)
        .await
        .ok()
        .and_then(|names| names.get(user).cloned())
        .map_or_else(|| user.to_owned(), |name| escape(&name))
}

/// What a person is told when a request action was refused: what happened instead ("Already
/// approved by @Bob"), or the rule that refused it. `Err` for Latch's own failures.
async fn refusal(
    state: &AppState,
    caller: &SlackCaller,
    actor: &Actor,
    error: AccessError,
    request_id: Option<&str>,
) -> Result<String, ClickError> {
    let request = match request_id {
        Some(id) => requests::load(&state.db, id).await.ok(),
        None => None,
    };
    let nothing = "Nothing was changed; the message now shows where it stands.";
    let domain = match error {
        AccessError::Domain(domain) => domain,
        AccessError::NotFound(_) => {
            return Ok(
                "Latch can't find this request, or it is no longer yours to act on.".to_owned(),
            );
        }
        AccessError::Stale => {
            return Ok(format!(
                "Someone else acted on this request at the same moment. {nothing}"
            ));
        }
        other => return Err(other.into()),
    };
    let text = match (&domain, &request) {
        (DomainError::StepAlreadyDecided { step, decision, by }, Some(request)) => {
            let who = match request
                .decisions
                .iter()
                .find(|d| d.step + 1 == *step)
                .and_then(|d| d.by.user())
            {
                Some(user) => person(state, caller, user).await,
                None => escape(by),
            };
            let which = if request.policy.steps.len() > 1 {
                format!("Step {step} of {}", request.number)
            } else {
                request.number.to_string()
            };
            let who = if request
                .decisions
                .iter()
                .any(|d| d.step + 1 == *step && d.by.user() == Some(&actor.id))
            {
                "you".to_owned()
            } else {
                who
            };
            format!("Already {decision} by {who}: {which}. {nothing}")
        }
        (DomainError::RequestClosed { number, outcome }, Some(request)) => {
            closed_sentence(state, caller, request, number, outcome).await
        }
        (DomainError::NotAwaitingApproval { number, state: now }, _) => {
            format!("{number} is no longer waiting for approval: it is {now}. {nothing}")
        }
        (DomainError::NotAnApprover { step }, Some(request)) => {
            let moved = request
                .reassignments
                .iter()
                .rev()
                .find(|r| r.step + 1 == *step && r.from.contains(&actor.id));
            match moved {
                Some(r) => format!(
                    "Step {step} of {} was reassigned to {}, so it is no longer yours to decide. \
                     {nothing}",
                    request.number,
                    person(state, caller, &r.to).await
                ),
                None => format!(
                    "You're not an approver of step {step} of {} (any more). {nothing}",
                    request.number
                ),
            }
        }
        _ => format!("{} {nothing}", sentence(&domain)),
    };
    Ok(text)
}

/// "REQ-3 was cancelled by the requester", "Already denied by @Carol: REQ-3"…
async fn closed_sentence(
    state: &AppState,
    caller: &SlackCaller,
    request: &Request,
    number: &str,
    outcome: &str,
) -> String {
    let nothing = "Nothing was changed; the message now shows where it stands.";
    let RequestState::Closed { outcome: how, .. } = &request.state else {
        return format!("{number} is already closed ({outcome}). {nothing}");
    };
    match how {
        Outcome::Cancelled if request.approved_at.is_none() => {
            format!("{number} was cancelled, so there is nothing left to decide. {nothing}")
        }
        Outcome::Denied => {
            let by = request
                .decisions
                .iter()
                .rev()
                .find(|d| d.verdict == Verdict::Denied)
                .and_then(|d| d.by.user().cloned());
            match by {
                Some(user) => format!(
                    "Already denied by {}: {number}. {nothing}",
                    person(state, caller, &user).await
                ),
                None => format!("{number} was already denied. {nothing}"),
            }
        }
        Outcome::Expired => format!("{number} expired before a decision. {nothing}"),
        _ => format!("{number} is already closed ({outcome}). {nothing}"),
    }
}

/// What a provisioner is told when completing a task was refused. `Err` for Latch's own failures.
async fn task_refusal(state: &AppState, error: AccessError) -> Result<String, ClickError> {
    let nothing = "Nothing was changed; the message now shows where it stands.";
    match error {
        AccessError::Domain(DomainError::TaskAlreadyCompleted { outcome, by }) => {
            let who = name_of(state, &by).await;
            Ok(format!("Already marked {outcome} by {who}. {nothing}"))
        }
        AccessError::Domain(domain) => Ok(format!("{} {nothing}", sentence(&domain))),
        AccessError::NotFound(_) => Ok(TASK_GONE.to_owned()),
        AccessError::Stale => Ok(format!(
            "Someone else completed this task at the same moment. {nothing}"
        )),
        other => Err(other.into()),
    }
}

/// How a task is named to its provisioners: its request's number, or the access being removed.
async fn task_name(state: &AppState, task: &ProvisioningTask) -> String {
    let number = match &task.request {
        Some(id) => requests::load(&state.db, id.as_str())
            .await
            .ok()
            .map(|r| r.number.to_string()),
        None => None,
    };
    match (task.kind, number) {
        (TaskKind::Provision, Some(number)) => number,
        (TaskKind::Deprovision, Some(number)) => format!("the removal of the access from {number}"),
        (_, None) => "this task".to_owned(),
    }
}

/// The domain's message as a sentence (the console's words).
fn sentence(error: &DomainError) -> String {
    let text = crate::error::AppError::from(AccessError::Domain(error.clone())).to_string();
    if text.ends_with('.') {
        text
    } else {
        format!("{text}.")
    }
}

/// The text typed into `block` / `action` (trimmed; `None` when empty).
fn typed(state: Option<&SlackViewState>, block: &str, action: &str) -> Option<String> {
    let value = state?
        .values
        .iter()
        .find(|(b, _)| b.0 == block)?
        .1
        .iter()
        .find(|(a, _)| a.0 == action)?
        .1;
    value
        .value
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// The reason modals' submissions.

/// How a reason submission ended.
#[derive(Debug)]
enum Submitted {
    /// Done: the modal closes; the person is told and the message refreshed.
    Done(Reply),
    /// The reason was refused: shown under the field, nothing changed.
    Inline(String),
    /// Not done (stale, refused, not linked): the modal says why, the message is refreshed.
    Notice(Reply),
}

/// A reason modal's `view_submission` ([`handles_callback`]): an empty reason is refused inline at
/// once; otherwise the decision is made under the ack budget, and a slower one finishes after
/// the ack with the modal saying so.
pub async fn on_view_submission(
    state: &AppState,
    caller: SlackCaller,
    event: SlackInteractionViewSubmissionEvent,
) -> SlackInteractionResponse {
    let callback =
        crate::ssr::slack::interactions::callback_id(&event.view.view).unwrap_or_default();
    let SlackView::Modal(modal) = &event.view.view else {
        return SlackInteractionResponse::Empty;
    };
    let title = if callback == DENY_REASON_CALLBACK {
        "Deny request"
    } else {
        "Won't do"
    };
    let Some(metadata) = ReasonMetadata::parse(modal.private_metadata.as_deref()) else {
        return request_flow::update_response(request_flow::notice_view(title, UNKNOWN_BUTTON));
    };
    let Some(reason) = typed(
        event.view.state_params.state.as_ref(),
        REASON_BLOCK,
        REASON_ACTION,
    ) else {
        return errors("Enter a reason.");
    };
    let source = Source::of_metadata(&metadata);
    let work = {
        let state = state.clone();
        let caller = caller.clone();
        async move {
            let submitted = submit(&state, &caller, &callback, &metadata, reason).await;
            (caller, submitted)
        }
    };
    let late = {
        let state = state.clone();
        let source = source.clone();
        move |(caller, submitted): (SlackCaller, Submitted)| async move {
            let reply = match submitted {
                Submitted::Done(reply) | Submitted::Notice(reply) => reply,
                Submitted::Inline(text) => Reply::keep(format!(
                    "Nothing was recorded: {text} Click the button again to retry."
                )),
            };
            deliver(&state, &caller, &source, &reply).await;
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
            title,
            &format!("{} Nothing was recorded.", front_door::BUSY_SENTENCE),
        )),
        Ok(None) => request_flow::update_response(request_flow::notice_view(
            title,
            "Latch is still recording this. You'll be told in the conversation when it is done.",
        )),
        Ok(Some((caller, submitted))) => match submitted {
            Submitted::Inline(text) => errors(&text),
            Submitted::Done(reply) => {
                let state = state.clone();
                tokio::spawn(async move { deliver(&state, &caller, &source, &reply).await });
                SlackInteractionResponse::Empty
            }
            Submitted::Notice(reply) => {
                let text = reply.text.clone().unwrap_or_default();
                let state = state.clone();
                tokio::spawn(async move {
                    if reply.refresh {
                        refresh(&state, &caller, &source).await;
                    }
                });
                request_flow::update_response(request_flow::notice_view(title, &text))
            }
        },
    }
}

fn errors(text: &str) -> SlackInteractionResponse {
    SlackInteractionResponse::ViewSubmission(SlackViewSubmissionResponse::Errors(
        SlackViewSubmissionErrorsResponse::new(
            [(REASON_BLOCK.to_owned(), clip(text, 300))]
                .into_iter()
                .collect(),
        ),
    ))
}

async fn submit(
    state: &AppState,
    caller: &SlackCaller,
    callback: &str,
    metadata: &ReasonMetadata,
    reason: String,
) -> Submitted {
    let actor = match request_flow::actor_of(state, caller).await {
        Ok(actor) => actor,
        Err(sentence) => return Submitted::Notice(Reply::keep(sentence)),
    };
    let failed = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, callback, "a Slack reason submission failed");
        Submitted::Notice(Reply::keep(FAILED))
    };
    if callback == DENY_REASON_CALLBACK {
        let Some(step) = metadata.step else {
            return Submitted::Notice(Reply::told(UNKNOWN_BUTTON));
        };
        match access_loop::decide(
            &state.db,
            &actor,
            &metadata.id,
            step,
            Verdict::Denied,
            Some(reason),
            None,
        )
        .await
        {
            Ok(request) => Submitted::Done(Reply::told(format!(
                "You denied {}. The requester is told, with your reason.",
                request.number
            ))),
            Err(AccessError::Domain(
                error @ (DomainError::ReasonRequired { .. } | DomainError::TooLong { .. }),
            )) => Submitted::Inline(sentence(&error)),
            Err(error) => match refusal(state, caller, &actor, error, Some(&metadata.id)).await {
                Ok(text) => Submitted::Notice(Reply::told(text)),
                Err(error) => failed(&error),
            },
        }
    } else {
        match access_loop::complete_task(
            &state.db,
            &actor,
            &metadata.id,
            TaskOutcome::WontDo,
            Some(reason),
        )
        .await
        {
            Ok(done) => Submitted::Done(Reply::told(format!(
                "You marked {} as {}. The requester is told, with your reason.",
                task_name(state, &done).await,
                TaskOutcome::WontDo.label(done.kind)
            ))),
            Err(AccessError::Domain(error @ DomainError::NoteRequired { .. })) => {
                Submitted::Inline(sentence(&error))
            }
            Err(error) => match task_refusal(state, error).await {
                Ok(text) => Submitted::Notice(Reply::told(text)),
                Err(error) => failed(&error),
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::ssr::slack::blocks::check::assert_view_accepted;

    #[test]
    fn an_approvers_button_value_names_the_request_and_the_step() {
        assert_eq!(parse_step_value("abc123:0"), Some(("abc123", 0)));
        assert_eq!(parse_step_value("abc123:2"), Some(("abc123", 2)));
        assert_eq!(parse_step_value("abc123"), None);
        assert_eq!(parse_step_value(":1"), None);
        assert_eq!(parse_step_value("abc:x"), None);
    }

    #[test]
    fn the_reason_modals_are_views_slack_accepts_and_carry_their_message() {
        let metadata = ReasonMetadata {
            id: "r".repeat(32),
            step: Some(1),
            channel: Some("D123".into()),
            ts: Some("1700000000.000100".into()),
            response_url: Some("https://hooks.slack.com/actions/T1/1/abc".into()),
        };
        for (callback, title, submit) in [
            (DENY_REASON_CALLBACK, "Deny request", "Deny"),
            (
                WONT_DO_REASON_CALLBACK,
                "Won't deprovision",
                "Won't deprovision",
            ),
            (
                WONT_DO_REASON_CALLBACK,
                "A title far longer than Slack's limit",
                "A submit label far longer than Slack's limit",
            ),
        ] {
            let view = reason_modal(
                callback,
                title,
                &"x".repeat(5000),
                "Why?",
                submit,
                &metadata,
            );
            assert_view_accepted(&view);
            let SlackView::Modal(modal) = &view else {
                panic!("not a modal");
            };
            assert_eq!(
                ReasonMetadata::parse(modal.private_metadata.as_deref()),
                Some(metadata.clone())
            );
        }
    }

    #[test]
    fn only_the_dm_buttons_and_reason_modals_are_handled_here() {
        assert!(handles(APPROVE_ACTION) && handles(GRANT_RELEASE_ACTION));
        assert!(!handles("latch_home_release") && !handles(APPROVAL_REASON_ACTION));
        assert!(
            handles_callback(DENY_REASON_CALLBACK) && handles_callback(WONT_DO_REASON_CALLBACK)
        );
        assert!(!handles_callback("latch_request"));
    }
}
