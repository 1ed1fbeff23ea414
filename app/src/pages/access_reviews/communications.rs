//! The **Communications** area of a campaign's Configuration tab (issue 12 §2), and the link to
//! the campaign's Slack channel at the top of its page ([`ChannelLink`]).
//!
//! One field for the channel name (an existing channel or a new one), with the final name Slack
//! will get shown as it is typed (`normalize_channel_name`, the rule the server applies too), an
//! optional description for a new channel with its length counted as a person counts it, and
//! **Add to channel**; Slack's refusals appear on the form. Once added: the channel's state,
//! **Deactivate** / **Activate**, **Remove**, how many people were invited and who could not be
//! (no linked Slack account, or refused by Slack). Everything works without JavaScript too (the
//! forms post and the page reloads), only the live preview and count need it.

use leptos::prelude::*;

use crate::api::campaigns::{
    AddCampaignChannel, RemoveCampaignChannel, SetCampaignChannelActive, campaign_communications,
};
use crate::components::forms::ActionError;
use crate::domain::campaign::channel::{
    ChannelStatus, MAX_CHANNEL_DESCRIPTION_LEN, description_length, normalize_channel_name,
};
use crate::shapes::{ChannelPerson, ChannelView, Communications};

/// The area's actions, shared by the channel link at the top of the page and the area itself, so
/// both reload after a change.
#[derive(Clone, Copy)]
pub struct ChannelActions {
    add: ServerAction<AddCampaignChannel>,
    active: ServerAction<SetCampaignChannelActive>,
    remove: ServerAction<RemoveCampaignChannel>,
}

impl ChannelActions {
    /// The page's actions (made once per page, the first time they are asked for).
    pub fn provide() -> ChannelActions {
        if let Some(actions) = use_context::<ChannelActions>() {
            return actions;
        }
        let actions = ChannelActions {
            add: ServerAction::new(),
            active: ServerAction::new(),
            remove: ServerAction::new(),
        };
        provide_context(actions);
        actions
    }

    fn versions(self) -> (usize, usize, usize) {
        (
            self.add.version().get(),
            self.active.version().get(),
            self.remove.version().get(),
        )
    }
}

fn resource(
    id: String,
    actions: ChannelActions,
) -> Resource<Result<Communications, crate::error::AppError>> {
    Resource::new(
        move || (id.clone(), actions.versions()),
        |(id, _)| campaign_communications(id),
    )
}

fn status_label(status: ChannelStatus) -> &'static str {
    match status {
        ChannelStatus::Active => "Active",
        ChannelStatus::Inactive => "Inactive: nothing is posted",
        ChannelStatus::Completed => "Completed: nothing more is sent",
    }
}

/// "Slack channel: #name" at the top of the campaign's page, when it has one.
#[component]
pub fn ChannelLink(id: String) -> impl IntoView {
    let communications = resource(id, ChannelActions::provide());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                communications.await.ok().and_then(|c| c.channel).map(|c| view! {
                    <p class="channel-link" data-channel-link="">
                        "Slack channel: "
                        <a href=c.link.clone() target="_blank" rel="noopener">{format!("#{}", c.name)}</a>
                        {(c.status != ChannelStatus::Active).then(|| format!(" ({})", status_label(c.status)))}
                    </p>
                })
            })}
        </Suspense>
    }
}

/// The Communications area of campaign `id`.
#[component]
pub fn Communications(id: String) -> impl IntoView {
    let actions = ChannelActions::provide();
    let communications = resource(id, actions);
    view! {
        <section class="panel" data-configuration="communications">
            <h2>"Communications"</h2>
            <p class="hint">
                "A Slack channel for this campaign: its owners and reviewers are invited, a status \
                 tracker is pinned there while it runs, and kickoff and reminders are posted there."
            </p>
            {move || {
                let said = actions.add.value().get().and_then(Result::ok)
                    .or_else(|| actions.active.value().get().and_then(Result::ok))
                    .or_else(|| actions.remove.value().get().and_then(Result::ok));
                said.map(|message| view! { <p class="notice" role="status">{message}</p> })
            }}
            <ActionError action=actions.add/>
            <ActionError action=actions.active/>
            <ActionError action=actions.remove/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match communications.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(c) => view! { <Area c actions/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Area(c: Communications, actions: ChannelActions) -> impl IntoView {
    let a = c.actions;
    match c.channel {
        Some(channel) => view! { <Channel channel id=c.campaign_id actions deactivate=a.deactivate activate=a.activate remove=a.remove/> }.into_any(),
        None if a.add => view! { <AddForm id=c.campaign_id connected=c.slack_connected action=actions.add/> }.into_any(),
        None => view! { <p class="muted">"No Slack channel."</p> }.into_any(),
    }
}

#[component]
fn AddForm(id: String, connected: bool, action: ServerAction<AddCampaignChannel>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let final_name = move || {
        let typed = typed.get();
        if typed.trim().is_empty() {
            return None;
        }
        Some(match normalize_channel_name(&typed) {
            Ok(name) => view! { <span>"Final name: "<strong data-final-name="">{format!("#{name}")}</strong></span> }.into_any(),
            Err(e) => view! { <span class="error">{e.to_string()}</span> }.into_any(),
        })
    };
    let count = move || {
        let n = description.with(|d| description_length(d));
        let over = n > MAX_CHANNEL_DESCRIPTION_LEN;
        view! {
            <span class=if over { "error" } else { "" } data-description-count="">
                {format!("{n} / {MAX_CHANNEL_DESCRIPTION_LEN} characters")}
            </span>
        }
    };
    view! {
        {(!connected).then(|| view! {
            <p class="hint">"Latch is not connected to Slack yet: connect it in Settings > Slack first."</p>
        })}
        <ActionForm action attr:class="stacked" attr:data-form="add-channel">
            <input type="hidden" name="id" value=id/>
            <label>
                "Slack channel"
                <input name="channel" required maxlength="200" autocomplete="off"
                    placeholder="e.g. q4-access-review"
                    on:input=move |ev| typed.set(event_target_value(&ev))/>
            </label>
            <p class="hint" aria-live="polite">
                {move || final_name().unwrap_or_else(|| view! {
                    <span>"An existing channel, or a new one Latch creates. Slack allows lowercase letters, digits, - and _ (at most 80): the name is adjusted to fit."</span>
                }.into_any())}
            </p>
            <label>
                "Description (a new channel only; optional)"
                <textarea name="description" rows="2"
                    on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </label>
            <p class="hint" aria-live="polite">{count}</p>
            <button type="submit" class="button">"Add to channel"</button>
        </ActionForm>
    }
}

#[component]
fn Channel(
    channel: ChannelView,
    id: String,
    actions: ChannelActions,
    deactivate: bool,
    activate: bool,
    remove: bool,
) -> impl IntoView {
    let c = channel;
    let origin = if c.created_by_latch {
        "created by Latch"
    } else {
        "an existing channel"
    };
    let active_id = id.clone();
    view! {
        <p data-channel="">
            "Slack channel: "
            <a href=c.link.clone() target="_blank" rel="noopener"><strong data-final-name="">{format!("#{}", c.name)}</strong></a>
            {format!(" ({}{origin})", if c.is_private { "private, " } else { "" })}
        </p>
        <p>"State: "<strong data-channel-status=c.status.as_str()>{status_label(c.status)}</strong>
            {c.tracker_posted.then_some(" · status tracker pinned")}
        </p>
        <p data-invited=c.invited.to_string()>
            {format!("{} invited", count(c.invited, "person", "people"))}
            {(c.waiting > 0).then(|| format!(", {} still to invite", c.waiting))}
            "."
        </p>
        {c.failure.clone().map(|f| view! { <p class="error">{f}</p> })}
        <People title="Not invited: no Slack account found" hint="Latch finds people in Slack by their email address; these people have none there, so they were not invited." people=c.unlinked.clone() key="unlinked"/>
        <People title="Not invited: refused by Slack" hint="Slack refused to invite these people (its reason in brackets)." people=c.refused.clone() key="refused"/>
        {(deactivate || activate).then(|| view! {
            <ActionForm action=actions.active attr:class="inline">
                <input type="hidden" name="id" value=active_id.clone()/>
                <input type="hidden" name="active" value=if activate { "true" } else { "false" }/>
                <button type="submit" class="button">{if activate { "Activate" } else { "Deactivate" }}</button>
                " "<span class="hint">{if activate {
                    "Posts campaign updates to the channel again."
                } else {
                    "Stops posting campaign updates to the channel."
                }}</span>
            </ActionForm>
        })}
        {remove.then(|| view! {
            <ActionForm action=actions.remove attr:class="inline">
                <input type="hidden" name="id" value=id.clone()/>
                <button type="submit" class="button">"Remove"</button>
                " "<span class="hint">"Detaches the channel (it stays in Slack); another can be added after."</span>
            </ActionForm>
        })}
    }
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[component]
fn People(
    title: &'static str,
    hint: &'static str,
    people: Vec<ChannelPerson>,
    key: &'static str,
) -> impl IntoView {
    (!people.is_empty()).then(|| {
        view! {
            <h3>{title}</h3>
            <p class="hint">{hint}</p>
            <ul data-people=key>
                {people.into_iter().map(|p| view! {
                    <li>
                        {format!("{} <{}>", p.name, p.email)}
                        {p.reason.map(|r| format!(" ({r})"))}
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}
