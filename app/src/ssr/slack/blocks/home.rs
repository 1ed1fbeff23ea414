//! The App Home: a **Request Access** button, my open requests, what waits for me (approvals and
//! provisioning tasks) and my access that expires in the next 7 days, with **Extend** and
//! **Release**. Each list is capped so the view stays within Slack's 100 blocks; the rest is one
//! click away in the console.

use super::{
    BUTTON_TEXT_MAX, HEADER_TEXT_MAX, SECTION_TEXT_MAX, clip, console_link, escape, id,
    mrkdwn_link, option,
};
use crate::domain::{DurationPreset, RequestStatus, TaskKind};
use crate::shapes::{GrantRow, RequestSummary, TaskRow};
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackActionId, SlackActionsBlock, SlackBlock, SlackBlockButtonElement, SlackBlockButtonStyle,
    SlackBlockConfirmItem, SlackBlockId, SlackBlockMarkDownText, SlackBlockPlainTextOnly,
    SlackBlockStaticSelectElement, SlackBlockText, SlackContextBlock, SlackContextBlockElement,
    SlackDividerBlock, SlackHeaderBlock, SlackHomeView, SlackSectionBlock,
};

/// The **Request Access** button: opens the request modal.
pub const REQUEST_ACCESS_ACTION: &str = "home_request_access";
/// **Extend**: a select whose option values are `"{grant_id} {preset}"` (preset as in
/// [`DurationPreset`], e.g. `1w`).
pub const EXTEND_ACTION: &str = "home_extend_grant";
/// **Release**: the button's value is the grant id.
pub const RELEASE_ACTION: &str = "home_release_grant";

/// How many rows each list shows before pointing to the console.
pub const LIST_MAX: usize = 10;
/// Access expiring within this window is listed.
pub const EXPIRING_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;
/// The lengths offered by **Extend**; the request that follows checks them against the limits.
pub const EXTEND_PRESETS: [DurationPreset; 4] = [
    DurationPreset::OneDay,
    DurationPreset::OneWeek,
    DurationPreset::TwoWeeks,
    DurationPreset::ThirtyDays,
];

/// What the Home shows for one person.
#[derive(Debug, Clone, Copy)]
pub struct HomeInput<'a> {
    /// The console's public base URL (`LATCH_PUBLIC_URL`).
    pub console_url: &'a str,
    /// Now, Unix ms (what "the next 7 days" is counted from).
    pub now_ms: i64,
    /// My requests (closed ones are left out).
    pub my_requests: &'a [RequestSummary],
    /// Requests waiting for my approval.
    pub approvals: &'a [RequestSummary],
    /// Provisioning tasks waiting for me.
    pub tasks: &'a [TaskRow],
    /// My grants (those expiring in the next 7 days are listed).
    pub grants: &'a [GrantRow],
}

fn section(text: &str) -> SlackBlock {
    SlackSectionBlock::new()
        .with_text(SlackBlockText::from(SlackBlockMarkDownText::from(clip(
            text,
            SECTION_TEXT_MAX,
        ))))
        .into()
}

fn header(text: &str) -> SlackBlock {
    SlackHeaderBlock::new(SlackBlockPlainTextOnly::from(clip(text, HEADER_TEXT_MAX))).into()
}

fn note(text: &str) -> SlackBlock {
    SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
        SlackBlockMarkDownText::from(clip(text, super::CONTEXT_TEXT_MAX)),
    )])
    .into()
}

/// "and 4 more in the console" after a capped list, or "Nothing here" for an empty one.
fn list_tail(blocks: &mut Vec<SlackBlock>, total: usize, empty: &str, url: &str) {
    if total == 0 {
        blocks.push(note(empty));
    } else if total > LIST_MAX {
        blocks.push(note(&format!(
            "and {} more: {}",
            total - LIST_MAX,
            mrkdwn_link(url, "see all in the console")
        )));
    }
}

fn status_words(r: &RequestSummary) -> &'static str {
    match r.status {
        RequestStatus::PendingApproval => "waiting for approval",
        RequestStatus::Provisioning => "approved, being provisioned",
        RequestStatus::Closed => "closed",
    }
}

fn request_line(console_url: &str, r: &RequestSummary, with_subject: bool) -> String {
    let url = console_link(console_url, &format!("/requests/{}", r.number));
    let mut line = format!(
        "{} *{}* — {}",
        mrkdwn_link(&url, &r.number),
        escape(&format!("{} — {}", r.app, r.entitlement)),
        status_words(r)
    );
    if with_subject {
        line.push_str(&format!("\nFor {}", escape(&r.subject)));
    }
    if r.emergency {
        line.push_str(" · emergency");
    }
    line
}

fn task_line(console_url: &str, t: &TaskRow) -> String {
    let what = match t.kind {
        TaskKind::Provision => "Give",
        TaskKind::Deprovision => "Remove",
    };
    format!(
        "{} — {} {} {}: {}",
        mrkdwn_link(&console_link(console_url, "/requests"), what),
        escape(&t.subject),
        escape(&t.app),
        escape(&t.entitlement),
        escape(&t.state)
    )
}

fn grant_blocks(g: &GrantRow) -> Vec<SlackBlock> {
    let mut blocks = vec![section(&format!(
        "*{}* expires in {}",
        escape(&format!("{} — {}", g.app, g.entitlement)),
        escape(&g.remaining)
    ))];
    let mut elements = Vec::new();
    if g.actions.extend {
        let options = EXTEND_PRESETS
            .iter()
            .map(|p| option(&p.label(), &format!("{} {}", g.id, p.as_str()), None))
            .collect();
        elements.push(
            SlackBlockStaticSelectElement::new()
                .with_action_id(SlackActionId(EXTEND_ACTION.into()))
                .with_placeholder("Extend by…".into())
                .with_options(options)
                .into(),
        );
    }
    if g.actions.release {
        elements.push(
            SlackBlockButtonElement::new(clip("Release", BUTTON_TEXT_MAX).into())
                .with_action_id(SlackActionId(RELEASE_ACTION.into()))
                .with_value(g.id.clone())
                .with_style(SlackBlockButtonStyle::Danger)
                .with_confirm(SlackBlockConfirmItem::new(
                    "Release this access?".into(),
                    SlackBlockText::from(SlackBlockPlainTextOnly::from(clip(
                        &format!("You will lose {} — {}.", g.app, g.entitlement),
                        300,
                    ))),
                    "Release".into(),
                    "Keep it".into(),
                ))
                .into(),
        );
    }
    if !elements.is_empty() {
        blocks.push(
            SlackActionsBlock::new(elements)
                .with_block_id(SlackBlockId(id("grant", &g.id)))
                .into(),
        );
    }
    blocks
}

/// The Home view for one person.
pub fn home_view(input: &HomeInput<'_>) -> SlackHomeView {
    let console = input.console_url;
    let requests_url = console_link(console, "/requests");
    let mut blocks: Vec<SlackBlock> = vec![
        header("Latch"),
        SlackActionsBlock::new(vec![
            SlackBlockButtonElement::new("Request Access".into())
                .with_action_id(SlackActionId(REQUEST_ACCESS_ACTION.into()))
                .with_style(SlackBlockButtonStyle::Primary)
                .into(),
        ])
        .with_block_id(SlackBlockId("home_actions".into()))
        .into(),
        SlackDividerBlock::new().into(),
    ];

    blocks.push(header("My open requests"));
    let open: Vec<&RequestSummary> = input
        .my_requests
        .iter()
        .filter(|r| r.status != RequestStatus::Closed)
        .collect();
    for r in open.iter().take(LIST_MAX) {
        blocks.push(section(&request_line(console, r, false)));
    }
    list_tail(
        &mut blocks,
        open.len(),
        "You have no open requests.",
        &requests_url,
    );
    blocks.push(SlackDividerBlock::new().into());

    blocks.push(header("Waiting for me"));
    for r in input.approvals.iter().take(LIST_MAX) {
        blocks.push(section(&format!(
            "Approve or deny: {}",
            request_line(console, r, true)
        )));
    }
    list_tail(
        &mut blocks,
        input.approvals.len(),
        "No approvals wait for you.",
        &requests_url,
    );
    let open_tasks: Vec<&TaskRow> = input.tasks.iter().filter(|t| t.open).collect();
    for t in open_tasks.iter().take(LIST_MAX) {
        blocks.push(section(&task_line(console, t)));
    }
    list_tail(
        &mut blocks,
        open_tasks.len(),
        "No provisioning tasks wait for you.",
        &requests_url,
    );
    blocks.push(SlackDividerBlock::new().into());

    blocks.push(header("My access expiring in the next 7 days"));
    let horizon = input.now_ms.saturating_add(EXPIRING_WINDOW_MS);
    let mut expiring: Vec<&GrantRow> = input
        .grants
        .iter()
        .filter(|g| g.expires_at.is_some_and(|t| t <= horizon))
        .filter(|g| g.status == crate::domain::GrantStatus::Active)
        .collect();
    expiring.sort_by_key(|g| g.expires_at);
    for g in expiring.iter().take(LIST_MAX) {
        blocks.extend(grant_blocks(g));
    }
    list_tail(
        &mut blocks,
        expiring.len(),
        "None of your access expires in the next 7 days.",
        &console_link(console, "/"),
    );

    SlackHomeView::new(blocks)
}
