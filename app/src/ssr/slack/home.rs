//! The App Home (product.md §a.9): published with `views.publish` when a person opens the tab
//! (`app_home_opened`), after they act on it, and whenever something it shows changes.
//!
//! What it shows comes from the read models the console uses (`ssr::read`), for the person as an
//! [`Actor`]; its buttons call the console's flows: **Extend** files an extension request through
//! `access_loop::create` (the policy decides, as for the console's "Request extension"),
//! **Release** is `access_loop::release` (the console's "I'm done"). Someone Latch will not act
//! for gets a Home that says why and what to do ([`identity::explain`]), never a blank tab.
//!
//! Staying correct after changes made elsewhere (the console, the API, background jobs): the
//! repositories mark the people whose Home shows a change, in the change's transaction
//! (`access::home_marks`), and the leased `slack-home-refresh` job ([`refresh_round`])
//! republishes each marked person who has a Slack link, once however many marks they have, paced
//! under `views.publish`'s Tier 4 limit. Marks are deleted only after the Home they call for was
//! published (or when there is nothing to publish to), and only the marks read before the Home's
//! data was, so a crash or a Slack outage delays a refresh but never loses one. Time alone changes
//! one list (access coming within the 7-day window): each round marks the holders of grants whose
//! expiry the window reached since the last round.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::Row;

use crate::domain::{DurationPreset, Outcome, RequestOrigin, RequestState};
use crate::shapes::{CreateInput, GrantFilter, GrantRow};
use crate::ssr::AppState;
use crate::ssr::access::home_marks::{self, Mark};
use crate::ssr::access::{AccessError, Actor, catalog, grants, user_row};
use crate::ssr::clock::now_ms;
use crate::ssr::flows::access_loop;
use crate::ssr::read;
use crate::ssr::slack::SlackError;
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackApiViewsOpenRequest, SlackApiViewsPublishRequest, SlackHomeView,
    SlackInteractionActionInfo, SlackInteractionBlockActionsEvent,
    SlackInteractionViewSubmissionEvent, SlackModalView, SlackTriggerId, SlackUserId, SlackView,
    SlackViewState, SlackViewSubmissionErrorsResponse, SlackViewSubmissionResponse,
    SlackViewSubmissionUpdateResponse,
};
use crate::ssr::slack::blocks::home::{
    self as blocks, EXTEND_ACTION, EXTEND_CALLBACK_ID, EXTEND_JUSTIFICATION_ACTION,
    EXTEND_JUSTIFICATION_BLOCK, EXTEND_LENGTH_ACTION, EXTEND_LENGTH_BLOCK, ExtendModal, HomeGrant,
    HomeInput, RELEASE_ACTION,
};
use crate::ssr::slack::front_door::{Origin, SlackCaller, route, within};
use crate::ssr::slack::identity::{self, IdentityError, SlackIdentity};
use crate::ssr::slack::store::{self, Installation};

/// How long `app_home_opened` waits for its Home before the event is acknowledged: Slack wants
/// the ack within 3 seconds, and a slower publish finishes after it.
pub const ACK_BUDGET: Duration = Duration::from_secs(2);
/// The refresh job's lease name.
pub const JOB: &str = "slack-home-refresh";
/// How often the `slack-home-refresh` job runs.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);
/// Homes published per round: 3 every 2 s is 90 a minute, under `views.publish`'s Tier 4
/// (100+ per minute per workspace), leaving room for people opening their Home meanwhile.
pub const PUBLISHES_PER_ROUND: usize = 3;
/// Marks read per round (a burst, e.g. an expiry sweep, coalesces into a person each).
const MARKS_PER_ROUND: i64 = 500;

/// Where the "expiring in the next 7 days" window ended (Unix ms) at the refresh job's last round
/// in this process; 0 before the first. The job is leased: after a restart or a hand-over the
/// window is picked up from then on (a Home opened meanwhile is fresh anyway).
static WINDOW_END_MS: AtomicI64 = AtomicI64::new(0);

/// Until when (Unix ms) Slack asked the refresh job to wait (`Retry-After`). The job is leased,
/// so one process runs it; a restart simply asks Slack again.
static PAUSED_UNTIL_MS: AtomicI64 = AtomicI64::new(0);

#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Slack(#[from] SlackError),
}

impl From<sqlx::Error> for HomeError {
    fn from(e: sqlx::Error) -> Self {
        HomeError::Access(AccessError::Db(e))
    }
}

impl HomeError {
    /// Worth trying again later (Slack or the database is down or busy), as opposed to an answer
    /// that will not change (`invalid_arguments` for a user who left, a revoked token).
    fn transient(&self) -> bool {
        match self {
            HomeError::Slack(e) | HomeError::Identity(IdentityError::Slack(e)) => match e {
                SlackError::Api(_) => false,
                SlackError::Http(status) => *status >= 500,
                SlackError::Timeout
                | SlackError::Unreachable
                | SlackError::RateLimited(_)
                | SlackError::BadResponse => true,
            },
            HomeError::Identity(IdentityError::NotConnected | IdentityError::Seal(_)) => false,
            HomeError::Identity(IdentityError::Db(_)) | HomeError::Access(AccessError::Db(_)) => {
                true
            }
            // Corrupt or vanished data stays so: retrying would hold up everyone behind it.
            HomeError::Access(_) => false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building and publishing

/// The Home of `actor`, from the console's read models; `notice` (the outcome of what they just
/// did) on top.
pub async fn home_for(
    state: &AppState,
    actor: &Actor,
    notice: Option<&str>,
) -> Result<SlackHomeView, AccessError> {
    let db = &state.db;
    let my_requests = read::requests::mine(db, &actor.id).await?;
    let approvals = read::requests::assigned(db, &actor.id).await?;
    let tasks = read::grants::open_tasks(db, actor).await?;
    let grants = expiring_grants(state, actor).await?;
    Ok(blocks::home_view(&HomeInput {
        console_url: state.public_url.as_str(),
        now_ms: now_ms(),
        notice,
        my_requests: &my_requests,
        approvals: &approvals,
        tasks: &tasks,
        grants: &grants,
    }))
}

/// My grants expiring within the Home's window, each with the lengths **Extend** may offer.
async fn expiring_grants(state: &AppState, actor: &Actor) -> Result<Vec<HomeGrant>, AccessError> {
    let filter = GrantFilter {
        expiring_within_days: blocks::EXPIRING_WINDOW_DAYS,
        ..GrantFilter::default()
    };
    let rows = read::grants::list(&state.db, actor, &filter, Some(&actor.id)).await?;
    with_extend_lengths(state, rows).await
}

/// Pairs each grant with the presets within its entitlement's maximum and the tenant cap (none
/// when it may not be extended).
async fn with_extend_lengths(
    state: &AppState,
    rows: Vec<GrantRow>,
) -> Result<Vec<HomeGrant>, AccessError> {
    let mut lengths: BTreeMap<String, Vec<DurationPreset>> = BTreeMap::new();
    let mut tenant = None;
    let mut out = Vec::with_capacity(rows.len());
    for grant in rows {
        let extend_lengths = if grant.actions.extend {
            if !lengths.contains_key(&grant.entitlement_id) {
                let tenant = match &tenant {
                    Some(t) => t,
                    None => tenant.insert(catalog::tenant(&state.db).await?),
                };
                let presets =
                    match catalog::load_entitlement(&state.db, &grant.entitlement_id).await {
                        Ok(ent) => ent.duration_limits(tenant).presets(),
                        Err(AccessError::NotFound(_)) => Vec::new(),
                        Err(e) => return Err(e),
                    };
                lengths.insert(grant.entitlement_id.clone(), presets);
            }
            lengths
                .get(&grant.entitlement_id)
                .cloned()
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        out.push(HomeGrant {
            grant,
            extend_lengths,
        });
    }
    Ok(out)
}

/// The installation's bot token (the job has no [`SlackCaller`]).
fn bot_token(state: &AppState, install: &Installation) -> Result<String, IdentityError> {
    install
        .bot_token(&state.slack.sealer)?
        .ok_or(IdentityError::NotConnected)
}

async fn publish_view(
    state: &AppState,
    token: &str,
    slack_user_id: &str,
    view: SlackHomeView,
) -> Result<(), SlackError> {
    let request =
        SlackApiViewsPublishRequest::new(SlackUserId(slack_user_id.into()), SlackView::Home(view));
    state.slack.api.views_publish(token, &request).await?;
    Ok(())
}

/// Publishes `actor`'s Home to `slack_user_id`, then deletes the marks that asked for it (read
/// before the Home's data, so a change committed meanwhile keeps its mark).
async fn publish_linked(
    state: &AppState,
    token: &str,
    slack_user_id: &str,
    actor: &Actor,
    notice: Option<&str>,
) -> Result<(), HomeError> {
    let marks = home_marks::of_user(&state.db, user_row(&actor.id)?).await?;
    let view = home_for(state, actor, notice).await?;
    publish_view(state, token, slack_user_id, view).await?;
    home_marks::clear(&state.db, &marks).await?;
    Ok(())
}

/// Publishes the Home of Slack user `slack_user_id` of `install`: theirs if they are linked to an
/// active Latch user, else one that explains why not.
pub async fn publish_for(
    state: &AppState,
    install: &Installation,
    slack_user_id: &str,
) -> Result<(), HomeError> {
    let token = bot_token(state, install)?;
    publish_identified(state, &token, install, slack_user_id, None).await
}

async fn publish_identified(
    state: &AppState,
    token: &str,
    install: &Installation,
    slack_user_id: &str,
    notice: Option<&str>,
) -> Result<(), HomeError> {
    match identity::resolve(state, install, slack_user_id).await? {
        SlackIdentity::Linked { actor, .. } => {
            publish_linked(state, token, slack_user_id, &actor, notice).await
        }
        SlackIdentity::NotLinked(why) => {
            let view = blocks::not_linked_home(state.public_url.as_str(), &identity::explain(&why));
            Ok(publish_view(state, token, slack_user_id, view).await?)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// app_home_opened

/// `app_home_opened` on the Home tab: publishes the person's Home, waiting at most
/// [`ACK_BUDGET`] so the event is acknowledged in time (a slower publish completes after the
/// ack; a failed one is logged, and the next opening tries again).
pub async fn on_app_home_opened(state: &AppState, origin: Origin) {
    let caller = match route(state, &origin).await {
        Ok(caller) => caller,
        Err(not_served) => {
            tracing::info!(reason = ?not_served, "app_home_opened from a workspace Latch does not serve");
            return;
        }
    };
    let task_state = state.clone();
    let work = async move {
        let token = caller.bot_token.expose_secret().to_owned();
        publish_identified(
            &task_state,
            &token,
            &caller.install,
            &caller.slack_user_id,
            None,
        )
        .await
    };
    let late = |published: Result<(), _>| async move {
        if let Err(error) = published {
            tracing::warn!(%error, "could not publish a Slack App Home after the event's ack");
        }
    };
    match within(&state.slack.front_door.deferred, ACK_BUDGET, work, late).await {
        Ok(Some(Ok(()))) => {}
        Ok(Some(Err(error))) => {
            tracing::warn!(%error, "could not publish a Slack App Home");
        }
        // The next opening of the tab tries again.
        Err(_) => tracing::info!("Latch too busy to publish an App Home"),
        Ok(None) => tracing::info!("the App Home publish continues after the event's ack"),
    }
}

// ---------------------------------------------------------------------------------------------
// The refresh job

/// One round of the `slack-home-refresh` job: the oldest marks, grouped by person (repeats
/// coalesce), and each person's Home republished in every connected installation where they are
/// linked, at most [`PUBLISHES_PER_ROUND`] publishes. A person with no link (never used Latch in
/// Slack: their Home is built when they first open it), a gone installation or an answer that
/// will not change loses their marks; Slack or the database failing ends the round with the
/// marks kept, and a 429 pauses the job for its `Retry-After`. Returns the Homes published.
pub async fn refresh_round(state: &AppState) -> Result<usize, HomeError> {
    let now = now_ms();
    if now < PAUSED_UNTIL_MS.load(Ordering::Relaxed) {
        return Ok(0);
    }
    // Access whose expiry came within the window since the last round joins the list.
    let window_end = now.saturating_add(blocks::EXPIRING_WINDOW_MS);
    let last_end = WINDOW_END_MS.swap(window_end, Ordering::Relaxed);
    if last_end > 0 && window_end > last_end {
        let at = crate::domain::Timestamp::from_unix_millis(now);
        if let Err(error) =
            home_marks::mark_grants_entering_window(&state.db, last_end, window_end, at).await
        {
            WINDOW_END_MS.store(last_end, Ordering::Relaxed);
            return Err(error.into());
        }
    }
    let marks = home_marks::oldest(&state.db, MARKS_PER_ROUND).await?;
    if marks.is_empty() {
        return Ok(0);
    }
    let installs: Vec<Installation> = store::list(&state.db)
        .await?
        .into_iter()
        .filter(|i| i.connected)
        .collect();
    if installs.is_empty() {
        // Slack is not connected: there is no Home to refresh, and a new connection starts
        // with people opening theirs.
        home_marks::clear(&state.db, &marks).await?;
        return Ok(0);
    }
    let mut people: Vec<(i64, Vec<Mark>)> = Vec::new();
    for mark in marks {
        match people.iter_mut().find(|(user, _)| *user == mark.user_id) {
            Some((_, of_user)) => of_user.push(mark),
            None => people.push((mark.user_id, vec![mark])),
        }
    }
    let mut published = 0;
    for (user_id, marks) in people {
        if published >= PUBLISHES_PER_ROUND {
            break;
        }
        match refresh_person(state, &installs, user_id).await {
            Ok(n) => published += n,
            Err(error) if error.transient() => {
                if let HomeError::Slack(SlackError::RateLimited(secs))
                | HomeError::Identity(IdentityError::Slack(SlackError::RateLimited(secs))) =
                    &error
                {
                    let wait = i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
                    PAUSED_UNTIL_MS.store(now_ms().saturating_add(wait), Ordering::Relaxed);
                }
                return Err(error);
            }
            Err(error) => {
                tracing::warn!(%error, user_id, "a Slack App Home could not be refreshed; dropped");
            }
        }
        home_marks::clear(&state.db, &marks).await?;
    }
    Ok(published)
}

/// Republishes Latch user `user_id`'s Home wherever they are linked; the number published.
async fn refresh_person(
    state: &AppState,
    installs: &[Installation],
    user_id: i64,
) -> Result<usize, HomeError> {
    let keys: Vec<String> =
        sqlx::query("SELECT install_key FROM slack_user_links WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&state.db.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("install_key"))
            .collect::<Result<_, _>>()?;
    let mut published = 0;
    for install in installs.iter().filter(|i| keys.contains(&i.install_key)) {
        // The link's freshness rule applies: a stale link is re-checked with Slack first.
        let Some(slack_user_id) = identity::slack_user_for(state, install, user_id).await? else {
            continue;
        };
        let token = bot_token(state, install)?;
        match identity::resolve(state, install, &slack_user_id).await? {
            SlackIdentity::Linked { actor, .. } => {
                let view = home_for(state, &actor, None).await?;
                publish_view(state, &token, &slack_user_id, view).await?;
                published += 1;
            }
            // Suspended or deleted since: their Home says so at the next opening.
            SlackIdentity::NotLinked(_) => {}
        }
    }
    Ok(published)
}

// ---------------------------------------------------------------------------------------------
// The Home's buttons (routed here by the interactivity endpoint)

/// A `block_actions` from the Home: [`EXTEND_ACTION`] (a length chosen: opens the Extend modal)
/// or [`RELEASE_ACTION`] (releases the grant, then republishes the Home with the outcome). Others
/// are not the Home's and are ignored. The interactivity endpoint has already acknowledged or
/// will acknowledge with an empty body; what the person sees comes from `views.open` /
/// `views.publish`. Errors are the database's or Slack's; the person's mistakes and the rules'
/// refusals are shown to them.
pub async fn on_block_action(
    state: &AppState,
    caller: &SlackCaller,
    event: &SlackInteractionBlockActionsEvent,
    action: &SlackInteractionActionInfo,
) -> Result<(), HomeError> {
    let token = caller.bot_token.expose_secret();
    let actor = match caller.identify(state).await? {
        SlackIdentity::Linked { actor, .. } => actor,
        SlackIdentity::NotLinked(why) => {
            let view = blocks::not_linked_home(state.public_url.as_str(), &identity::explain(&why));
            return Ok(publish_view(state, token, &caller.slack_user_id, view).await?);
        }
    };
    match action.action_id.0.as_str() {
        EXTEND_ACTION => {
            let chosen = action
                .selected_option
                .as_ref()
                .map(|o| o.value.as_str())
                .unwrap_or_default();
            let (preset, grant_id) = parse_extend_value(chosen);
            open_extend(state, caller, &actor, &event.trigger_id, grant_id, preset).await
        }
        RELEASE_ACTION => {
            let grant_id = action.value.as_deref().unwrap_or_default();
            release(state, caller, &actor, grant_id).await
        }
        _ => Ok(()),
    }
}

/// `"{preset} {grant_id}"` from an Extend option; an unknown preset is `None` (the modal then
/// starts without one).
fn parse_extend_value(value: &str) -> (Option<DurationPreset>, &str) {
    match value.split_once(' ') {
        Some((preset, grant)) => (preset.parse().ok(), grant.trim()),
        None => (None, value.trim()),
    }
}

/// My grant `grant_id` as my lists show it, if I hold it.
async fn my_grant(
    state: &AppState,
    actor: &Actor,
    grant_id: &str,
) -> Result<Option<GrantRow>, AccessError> {
    let rows =
        read::grants::list(&state.db, actor, &GrantFilter::default(), Some(&actor.id)).await?;
    Ok(rows.into_iter().find(|g| g.id == grant_id))
}

fn access_name(g: &GrantRow) -> String {
    format!("{} — {}", g.app, g.entitlement)
}

/// What opening the Extend modal came to ([`open_extend_modal`]).
#[derive(Debug)]
pub enum ExtendOpened {
    /// The modal for the length and the justification is open.
    Opened,
    /// The access can no longer be extended: a modal saying so is open instead.
    NotExtendable,
    /// Slack did not open it (the trigger lives 3 seconds and cannot be retried).
    Failed(SlackError),
}

/// Opens the Extend modal for `actor`'s grant `grant_id` (`chosen` preselected when it is
/// offered), or a modal saying why it can't be extended any more. Shared by the Home's and the
/// expiry DM's **Extend**; each tells a failure its own way.
pub async fn open_extend_modal(
    state: &AppState,
    caller: &SlackCaller,
    actor: &Actor,
    trigger_id: &SlackTriggerId,
    grant_id: &str,
    chosen: Option<DurationPreset>,
) -> Result<ExtendOpened, HomeError> {
    let grant = match my_grant(state, actor, grant_id).await? {
        Some(g) => with_extend_lengths(state, vec![g]).await?.pop(),
        None => None,
    };
    let token = caller.bot_token.expose_secret();
    let (view, extendable) = match grant {
        Some(g) if g.grant.actions.extend && !g.extend_lengths.is_empty() => (
            blocks::extend_modal(&ExtendModal {
                grant_id: g.grant.id.clone(),
                access: access_name(&g.grant),
                remaining: g.grant.remaining.clone(),
                chosen: chosen.filter(|c| g.extend_lengths.contains(c)),
                lengths: g.extend_lengths,
            }),
            true,
        ),
        _ => (
            blocks::notice_modal(
                "Extend access",
                "This access can't be extended any more: it was released, revoked or has \
                 expired, or its entitlement no longer allows a longer grant.",
                None,
            ),
            false,
        ),
    };
    let request = SlackApiViewsOpenRequest::new(trigger_id.clone(), SlackView::Modal(view));
    if let Err(error) = state.slack.api.views_open(token, &request).await {
        tracing::warn!(code = %error.code(), "views.open failed for Extend");
        return Ok(ExtendOpened::Failed(error));
    }
    Ok(if extendable {
        ExtendOpened::Opened
    } else {
        ExtendOpened::NotExtendable
    })
}

async fn open_extend(
    state: &AppState,
    caller: &SlackCaller,
    actor: &Actor,
    trigger_id: &SlackTriggerId,
    grant_id: &str,
    chosen: Option<DurationPreset>,
) -> Result<(), HomeError> {
    let token = caller.bot_token.expose_secret();
    match open_extend_modal(state, caller, actor, trigger_id, grant_id, chosen).await? {
        ExtendOpened::Opened => Ok(()),
        // The Home still offered it: show what is true now.
        ExtendOpened::NotExtendable => {
            publish_linked(state, token, &caller.slack_user_id, actor, None).await
        }
        // The trigger cannot be retried: tell the person on their Home.
        ExtendOpened::Failed(_) => {
            let notice =
                "Slack didn't open the Extend form in time. Please choose the length again.";
            publish_linked(state, token, &caller.slack_user_id, actor, Some(notice)).await
        }
    }
}

/// Releases `actor`'s grant `grant_id` (`access_loop::release`): what to tell them, the outcome
/// or the rule's refusal in words. Shared by the Home's and the expiry DM's **Release**.
pub async fn release_grant(
    state: &AppState,
    actor: &Actor,
    grant_id: &str,
) -> Result<String, HomeError> {
    let name = my_grant(state, actor, grant_id)
        .await?
        .map(|g| access_name(&g));
    Ok(
        match access_loop::release(&state.db, actor, grant_id).await {
            Ok(()) => format!(
                "You released {}. Its removal is under way.",
                name.as_deref().unwrap_or("this access")
            ),
            Err(AccessError::Db(e)) => return Err(AccessError::Db(e).into()),
            Err(AccessError::Data(e)) => return Err(AccessError::Data(e).into()),
            Err(refusal) => format!(
                "Latch couldn't release {}: {}",
                name.as_deref().unwrap_or("this access"),
                person_message(refusal)
            ),
        },
    )
}

async fn release(
    state: &AppState,
    caller: &SlackCaller,
    actor: &Actor,
    grant_id: &str,
) -> Result<(), HomeError> {
    let notice = release_grant(state, actor, grant_id).await?;
    let token = caller.bot_token.expose_secret();
    publish_linked(state, token, &caller.slack_user_id, actor, Some(&notice)).await
}

/// What the person reads for a refusal: the rule's own sentence, as the console shows it.
fn person_message(error: AccessError) -> String {
    crate::error::AppError::from(error).to_string()
}

// ---------------------------------------------------------------------------------------------
// The Extend modal's submission

/// A `view_submission` whose `callback_id` starts with [`blocks::CALLBACK_PREFIX`]: the Extend
/// modal files an extension request for the person through the console's flow
/// (`access_loop::create`, origin Slack) and answers with the policy's outcome (approved,
/// waiting for approval, denied), or the refusal inline on the field it is about; nothing is
/// created on a refusal. `None`: nothing to answer (the modal closes). The person's Home is
/// republished by the refresh job (the request marked it).
pub async fn on_view_submission(
    state: &AppState,
    caller: &SlackCaller,
    event: &SlackInteractionViewSubmissionEvent,
) -> Result<Option<SlackViewSubmissionResponse>, HomeError> {
    let SlackView::Modal(modal) = &event.view.view else {
        return Ok(None);
    };
    if modal.callback_id.as_ref().map(|c| c.0.as_str()) != Some(EXTEND_CALLBACK_ID) {
        return Ok(None);
    }
    let actor = match caller.identify(state).await? {
        SlackIdentity::Linked { actor, .. } => actor,
        SlackIdentity::NotLinked(why) => {
            return Ok(Some(update(blocks::notice_modal(
                "Extend access",
                &identity::explain(&why),
                None,
            ))));
        }
    };
    let grant_id = modal.private_metadata.as_deref().unwrap_or_default();
    let values = event.view.state_params.state.as_ref();
    let length = selected(values, EXTEND_LENGTH_BLOCK, EXTEND_LENGTH_ACTION).unwrap_or_default();
    let justification = typed(
        values,
        EXTEND_JUSTIFICATION_BLOCK,
        EXTEND_JUSTIFICATION_ACTION,
    )
    .unwrap_or_default();

    let Some(grant) = my_grant(state, &actor, grant_id).await? else {
        return Ok(Some(errors(
            EXTEND_LENGTH_BLOCK,
            "This access is no longer yours to extend: it was released, revoked or has expired.",
        )));
    };
    // The same check the domain makes on the grant, loaded as stored, so a forged grant id in the
    // metadata cannot name someone else's access.
    let stored = grants::load_grant(&state.db, &grant.id).await?;
    if stored.subject != actor.id {
        return Ok(Some(errors(
            EXTEND_LENGTH_BLOCK,
            "This access is not yours to extend.",
        )));
    }
    let input = CreateInput {
        entitlement_id: grant.entitlement_id.clone(),
        subject_email: String::new(),
        duration: length,
        justification,
        emergency: false,
        extension: true,
    };
    match access_loop::create(&state.db, &actor, input, RequestOrigin::Slack).await {
        Ok(request) => {
            let number = request.number.to_string();
            let url = state.public_url.join(&format!("/requests/{number}"));
            let text = extension_outcome(&access_name(&grant), &number, &request.state);
            Ok(Some(update(blocks::notice_modal(
                "Extend access",
                &text,
                Some((&url, &format!("Request {number} in the console"))),
            ))))
        }
        Err(AccessError::Domain(rule)) => {
            let block = match &rule {
                crate::domain::DomainError::Required { field }
                | crate::domain::DomainError::TooLong { field, .. }
                    if field.contains("justification") =>
                {
                    EXTEND_JUSTIFICATION_BLOCK
                }
                _ => EXTEND_LENGTH_BLOCK,
            };
            Ok(Some(errors(
                block,
                &person_message(AccessError::Domain(rule)),
            )))
        }
        Err(AccessError::NotFound(what)) => Ok(Some(errors(
            EXTEND_LENGTH_BLOCK,
            &person_message(AccessError::NotFound(what)),
        ))),
        Err(error) => Err(error.into()),
    }
}

/// The policy's answer to an extension request, for the person.
pub fn extension_outcome(access: &str, number: &str, state: &RequestState) -> String {
    match state {
        RequestState::PendingApproval { .. } => format!(
            "Your request {number} to extend {access} is waiting for approval. Latch will tell \
             you when it is decided; until then your access ends as before."
        ),
        RequestState::Provisioning => format!(
            "Approved: your request {number} to extend {access} was approved by its policy, and \
             the extension is being applied."
        ),
        RequestState::Closed {
            outcome: Outcome::Granted,
            ..
        } => format!("Done: {access} is extended ({number})."),
        RequestState::Closed {
            outcome: Outcome::Denied,
            note,
            ..
        } => match note {
            Some(note) => {
                format!("Your request {number} to extend {access} was denied: {note}")
            }
            None => format!("Your request {number} to extend {access} was denied by its policy."),
        },
        RequestState::Closed { outcome, .. } => format!(
            "Your request {number} to extend {access} was closed ({}).",
            outcome.as_str()
        ),
    }
}

fn update(view: SlackModalView) -> SlackViewSubmissionResponse {
    SlackViewSubmissionResponse::Update(SlackViewSubmissionUpdateResponse::new(SlackView::Modal(
        view,
    )))
}

fn errors(block: &str, message: &str) -> SlackViewSubmissionResponse {
    SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(
        [(block.to_owned(), message.to_owned())]
            .into_iter()
            .collect(),
    ))
}

fn selected(state: Option<&SlackViewState>, block: &str, action: &str) -> Option<String> {
    let value = state?
        .values
        .iter()
        .find(|(b, _)| b.0 == block)?
        .1
        .iter()
        .find(|(a, _)| a.0 == action)?
        .1;
    value.selected_option.as_ref().map(|o| o.value.clone())
}

fn typed(state: Option<&SlackViewState>, block: &str, action: &str) -> Option<String> {
    let value = state?
        .values
        .iter()
        .find(|(b, _)| b.0 == block)?
        .1
        .iter()
        .find(|(a, _)| a.0 == action)?
        .1;
    value.value.clone()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    #[test]
    fn an_extend_option_value_gives_the_preset_and_the_grant() {
        assert_eq!(
            parse_extend_value("1w abc123"),
            (Some(DurationPreset::OneWeek), "abc123")
        );
        assert_eq!(parse_extend_value("nonsense abc"), (None, "abc"));
        assert_eq!(parse_extend_value("abc"), (None, "abc"));
    }

    #[test]
    fn each_policy_answer_to_an_extension_is_told_in_words() {
        let pending = extension_outcome(
            "GitHub — admin",
            "REQ-3",
            &RequestState::Closed {
                outcome: Outcome::Denied,
                at: Timestamp::from_unix_millis(0),
                note: Some("outside the on-call window".into()),
            },
        );
        assert!(pending.contains("denied: outside the on-call window"));
        assert!(
            extension_outcome("GitHub — admin", "REQ-3", &RequestState::Provisioning)
                .starts_with("Approved")
        );
    }

    #[test]
    fn slack_failures_that_may_pass_are_retried_and_final_answers_are_not() {
        assert!(HomeError::Slack(SlackError::Timeout).transient());
        assert!(HomeError::Slack(SlackError::RateLimited(30)).transient());
        assert!(HomeError::Slack(SlackError::Http(503)).transient());
        assert!(!HomeError::Slack(SlackError::Http(404)).transient());
        assert!(!HomeError::Slack(SlackError::Api("invalid_arguments".into())).transient());
        assert!(!HomeError::Identity(IdentityError::NotConnected).transient());
        assert!(!HomeError::Access(AccessError::Data("bad json".into())).transient());
        assert!(HomeError::Access(AccessError::Db(sqlx::Error::PoolTimedOut)).transient());
    }
}
