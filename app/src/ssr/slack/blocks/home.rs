//! The App Home: a **Request Access** button, my open requests, what waits for me (approvals and
//! provisioning tasks) and my access that expires in the next 7 days, with **Extend** and
//! **Release**. Each list is capped so the view stays within Slack's 100 blocks; the rest is one
//! click away in the console. Also the Home of someone Latch will not act for (it says why and
//! what to do), and the modals behind **Extend**: the length and justification, then the answer.

use super::{
    BUTTON_TEXT_MAX, HEADER_TEXT_MAX, SECTION_TEXT_MAX, clip, console_link, escape, id,
    mrkdwn_link, option,
};
use crate::domain::{DurationPreset, RequestStatus, TaskKind};
use crate::shapes::{GrantRow, RequestSummary, TaskRow};
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackActionId, SlackActionsBlock, SlackBlock, SlackBlockButtonElement, SlackBlockButtonStyle,
    SlackBlockConfirmItem, SlackBlockId, SlackBlockMarkDownText, SlackBlockPlainTextInputElement,
    SlackBlockPlainTextOnly, SlackBlockStaticSelectElement, SlackBlockText, SlackCallbackId,
    SlackContextBlock, SlackContextBlockElement, SlackDividerBlock, SlackHeaderBlock,
    SlackHomeView, SlackInputBlock, SlackModalView, SlackSectionBlock,
};

/// The **Request Access** button: opens the request modal.
pub const REQUEST_ACCESS_ACTION: &str = "home_request_access";
/// **Extend**: a select whose option values are `"{preset} {grant_id}"` (preset as in
/// [`DurationPreset`], e.g. `1w`); choosing one opens the [`extend_modal`].
pub const EXTEND_ACTION: &str = "home_extend_grant";
/// **Release**: the button's value is the grant id.
pub const RELEASE_ACTION: &str = "home_release_grant";

/// The `callback_id` of the modals the Home opens; their `view_submission`s are the Home's.
pub const CALLBACK_PREFIX: &str = "latch_home";
/// The **Extend** modal (its `private_metadata` is the grant id).
pub const EXTEND_CALLBACK_ID: &str = "latch_home_extend";
/// "New length": a select of presets (values as in [`DurationPreset`]).
pub const EXTEND_LENGTH_BLOCK: &str = "home_extend_length";
pub const EXTEND_LENGTH_ACTION: &str = "home_extend_length_select";
/// "Why do you need it longer?".
pub const EXTEND_JUSTIFICATION_BLOCK: &str = "home_extend_justification";
pub const EXTEND_JUSTIFICATION_ACTION: &str = "home_extend_justification_input";

/// How many rows each list shows before pointing to the console.
pub const LIST_MAX: usize = 10;
/// Access expiring within this window is listed.
pub const EXPIRING_WINDOW_MS: i64 = 7 * 24 * 3600 * 1000;
/// The same window in days, for the grants filter.
pub const EXPIRING_WINDOW_DAYS: i64 = 7;

/// One of my grants, with the lengths **Extend** may offer for it: the presets within its
/// entitlement's maximum and the tenant cap (`DurationLimits::presets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeGrant {
    pub grant: GrantRow,
    pub extend_lengths: Vec<DurationPreset>,
}

/// What the Home shows for one person.
#[derive(Debug, Clone, Copy)]
pub struct HomeInput<'a> {
    /// The console's public base URL (`LATCH_PUBLIC_URL`).
    pub console_url: &'a str,
    /// Now, Unix ms (what "the next 7 days" is counted from).
    pub now_ms: i64,
    /// The outcome of what the person just did on the Home ("Released …"), shown on top.
    pub notice: Option<&'a str>,
    /// My requests (closed ones are left out).
    pub my_requests: &'a [RequestSummary],
    /// Requests waiting for my approval.
    pub approvals: &'a [RequestSummary],
    /// Provisioning tasks waiting for me.
    pub tasks: &'a [TaskRow],
    /// My grants (those expiring in the next 7 days are listed).
    pub grants: &'a [HomeGrant],
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

/// The `n`th expiring grant's blocks. The block id leads with `n` so that it stays unique even
/// if a long grant id is clipped to 255 characters; handlers read the grant from the values.
fn grant_blocks(n: usize, home_grant: &HomeGrant) -> Vec<SlackBlock> {
    let g = &home_grant.grant;
    let mut blocks = vec![section(&format!(
        "*{}* expires in {}",
        escape(&format!("{} — {}", g.app, g.entitlement)),
        escape(&g.remaining)
    ))];
    let mut elements = Vec::new();
    if g.actions.extend && !home_grant.extend_lengths.is_empty() {
        let options = home_grant
            .extend_lengths
            .iter()
            .map(|p| option(&p.label(), &format!("{} {}", p.as_str(), g.id), None))
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
                .with_block_id(SlackBlockId(id(&format!("grant:{n}"), &g.id)))
                .into(),
        );
    }
    blocks
}

/// The Home view for one person.
pub fn home_view(input: &HomeInput<'_>) -> SlackHomeView {
    let console = input.console_url;
    let requests_url = console_link(console, "/requests");
    let mut blocks: Vec<SlackBlock> = vec![header("Latch")];
    if let Some(notice) = input.notice {
        blocks.push(section(&escape(notice)));
    }
    blocks.extend([
        SlackActionsBlock::new(vec![
            SlackBlockButtonElement::new("Request Access".into())
                .with_action_id(SlackActionId(REQUEST_ACCESS_ACTION.into()))
                .with_style(SlackBlockButtonStyle::Primary)
                .into(),
        ])
        .with_block_id(SlackBlockId("home_actions".into()))
        .into(),
        SlackDividerBlock::new().into(),
    ]);

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
    let mut expiring: Vec<&HomeGrant> = input
        .grants
        .iter()
        .filter(|g| g.grant.expires_at.is_some_and(|t| t <= horizon))
        .filter(|g| g.grant.status == crate::domain::GrantStatus::Active)
        .collect();
    expiring.sort_by_key(|g| g.grant.expires_at);
    for (n, g) in expiring.iter().take(LIST_MAX).enumerate() {
        blocks.extend(grant_blocks(n, g));
    }
    list_tail(
        &mut blocks,
        expiring.len(),
        "None of your access expires in the next 7 days.",
        &console_link(console, "/"),
    );

    SlackHomeView::new(blocks)
}

/// The Home of someone Latch will not act for (not linked, suspended…): `reason` says why and
/// what to do (`identity::explain`), so the tab is never blank.
pub fn not_linked_home(console_url: &str, reason: &str) -> SlackHomeView {
    SlackHomeView::new(vec![
        header("Latch"),
        section(&escape(reason)),
        note(&format!(
            "Latch grants and reviews just-in-time access. Once a Latch admin has sorted this out, \
             open this tab again. The console: {}",
            mrkdwn_link(&console_link(console_url, "/"), "Latch")
        )),
    ])
}

/// What the **Extend** modal is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendModal {
    pub grant_id: String,
    /// "App — Entitlement".
    pub access: String,
    /// "2 days" (how long it still lasts).
    pub remaining: String,
    /// The lengths that fit under the maximum.
    pub lengths: Vec<DurationPreset>,
    /// The length chosen on the Home.
    pub chosen: Option<DurationPreset>,
}

/// **Extend**: the new length (counted from now; an extension never shortens the access) and the
/// justification the policy gets, as for any request. Submitted under [`EXTEND_CALLBACK_ID`].
pub fn extend_modal(modal: &ExtendModal) -> SlackModalView {
    let options: Vec<_> = modal
        .lengths
        .iter()
        .map(|p| option(&p.label(), p.as_str(), None))
        .collect();
    let initial = modal
        .chosen
        .and_then(|c| options.iter().find(|o| o.value == c.as_str()))
        .cloned();
    let select = SlackBlockStaticSelectElement::new()
        .with_action_id(SlackActionId(EXTEND_LENGTH_ACTION.into()))
        .with_placeholder("Choose a length".into())
        .with_options(options);
    let select = match initial {
        Some(o) => select.with_initial_option(o),
        None => select,
    };
    let blocks: Vec<SlackBlock> = vec![
        section(&format!(
            "*{}* expires in {}.",
            escape(&modal.access),
            escape(&modal.remaining)
        )),
        SlackInputBlock::new("New length".into(), select.into())
            .with_block_id(SlackBlockId(EXTEND_LENGTH_BLOCK.into()))
            .with_hint("Counted from now. Your request goes through the access policy.".into())
            .into(),
        SlackInputBlock::new(
            "Why do you need it longer?".into(),
            SlackBlockPlainTextInputElement::new()
                .with_action_id(SlackActionId(EXTEND_JUSTIFICATION_ACTION.into()))
                .with_multiline(true)
                .with_min_length(1)
                .with_max_length(super::request_modal::JUSTIFICATION_MAX)
                .into(),
        )
        .with_block_id(SlackBlockId(EXTEND_JUSTIFICATION_BLOCK.into()))
        .into(),
    ];
    SlackModalView::new("Extend access".into(), blocks)
        .with_submit("Request".into())
        .with_close("Cancel".into())
        .with_callback_id(SlackCallbackId(EXTEND_CALLBACK_ID.into()))
        .with_private_metadata(modal.grant_id.clone())
}

/// A modal that only tells something (the answer to an extension, or why it cannot be
/// extended), with a link to the request when there is one.
pub fn notice_modal(title: &str, text: &str, link: Option<(&str, &str)>) -> SlackModalView {
    let mut blocks = vec![section(&escape(text))];
    if let Some((url, label)) = link {
        blocks.push(note(&mrkdwn_link(url, label)));
    }
    // Modal titles are at most 24 characters.
    SlackModalView::new(clip(title, 24).as_str().into(), blocks)
        .with_close("Close".into())
        .with_callback_id(SlackCallbackId(format!("{CALLBACK_PREFIX}_notice")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::super::check::assert_view_accepted;
    use super::*;
    use crate::domain::{GrantActions, GrantStatus, TaskActions};
    use crate::ssr::slack::api::slack_morphism::prelude::SlackView;
    use serde_json::Value;

    pub const NOW: i64 = 1_800_000_000_000;
    const HOUR: i64 = 3_600_000;

    pub fn request(i: usize, status: RequestStatus, text: &str) -> RequestSummary {
        RequestSummary {
            id: format!("req-{i}"),
            number: format!("R-{i}"),
            app: format!("{text}App"),
            entitlement: format!("{text}admin"),
            requester: "Alice".into(),
            subject: format!("{text}Bob"),
            status,
            outcome: None,
            emergency: i.is_multiple_of(2),
            created_at: NOW,
            current_step: None,
            length: "1 week".into(),
            requested_length: "1 week".into(),
            shorter_lengths: vec![],
        }
    }

    fn task(i: usize, text: &str) -> TaskRow {
        TaskRow {
            id: format!("task-{i}"),
            kind: if i.is_multiple_of(2) {
                TaskKind::Provision
            } else {
                TaskKind::Deprovision
            },
            subject: format!("{text}Carol"),
            app: format!("{text}App"),
            entitlement: format!("{text}viewer"),
            instructions: None,
            instructions_html: None,
            open: true,
            state: "waiting for a provisioner".into(),
            actions: TaskActions { complete: true },
        }
    }

    fn home_grant(i: usize, expires_in_hours: Option<i64>, text: &str) -> HomeGrant {
        HomeGrant {
            grant: grant(i, expires_in_hours, text),
            extend_lengths: vec![DurationPreset::OneDay, DurationPreset::OneWeek],
        }
    }

    pub fn grant(i: usize, expires_in_hours: Option<i64>, text: &str) -> GrantRow {
        GrantRow {
            id: format!("grant-{i}"),
            subject: "Alice".into(),
            subject_id: "u-alice".into(),
            entitlement_id: format!("ent-{i}"),
            app: format!("{text}App {i}"),
            entitlement: format!("{text}admin"),
            granted_at: NOW - HOUR,
            expires_at: expires_in_hours.map(|h| NOW + h * HOUR),
            status: GrantStatus::Active,
            status_label: "Active".into(),
            remaining: expires_in_hours.map_or(String::new(), |h| format!("{h} hours")),
            source_request: format!("R-{i}"),
            actions: GrantActions {
                release: true,
                extend: true,
                revoke: false,
            },
        }
    }

    fn json(input: &HomeInput<'_>) -> Value {
        let view = SlackView::Home(home_view(input));
        assert_view_accepted(&view);
        serde_json::to_value(&view).unwrap()
    }

    fn texts(view: &Value) -> String {
        view["blocks"].to_string()
    }

    #[test]
    fn blocks_home_with_nothing_says_so_in_every_section() {
        let view = json(&HomeInput {
            console_url: "https://latch.example.com/",
            now_ms: NOW,
            notice: None,
            my_requests: &[],
            approvals: &[],
            tasks: &[],
            grants: &[],
        });
        let text = texts(&view);
        assert!(text.contains("Request Access"));
        assert!(text.contains(REQUEST_ACCESS_ACTION));
        for empty in [
            "You have no open requests.",
            "No approvals wait for you.",
            "No provisioning tasks wait for you.",
            "None of your access expires in the next 7 days.",
        ] {
            assert!(text.contains(empty), "{empty} missing from {text}");
        }
    }

    #[test]
    fn blocks_home_lists_open_requests_work_and_expiring_access_with_extend_and_release() {
        let requests = [
            request(1, RequestStatus::PendingApproval, ""),
            request(2, RequestStatus::Closed, "Closed"),
        ];
        let approvals = [request(3, RequestStatus::PendingApproval, "")];
        let tasks = [task(4, "")];
        let grants = [
            home_grant(5, Some(30), ""),
            home_grant(6, Some(24 * 30), "Later"),
            home_grant(7, None, "Forever"),
        ];
        let view = json(&HomeInput {
            console_url: "https://latch.example.com",
            now_ms: NOW,
            notice: None,
            my_requests: &requests,
            approvals: &approvals,
            tasks: &tasks,
            grants: &grants,
        });
        let text = texts(&view);
        assert!(text.contains("<https://latch.example.com/requests/R-1|R-1>"));
        assert!(!text.contains("R-2"), "closed requests are not listed");
        assert!(text.contains("Approve or deny: <https://latch.example.com/requests/R-3|R-3>"));
        assert!(text.contains("Give"));
        assert!(text.contains("App 5 — admin* expires in 30 hours"));
        assert!(!text.contains("Later"), "outside the 7 days");
        assert!(!text.contains("Forever"), "no expiry");
        let actions = view["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["block_id"] == "grant:0:grant-5")
            .unwrap();
        assert_eq!(actions["elements"][0]["action_id"], EXTEND_ACTION);
        assert_eq!(actions["elements"][0]["options"][1]["value"], "1w grant-5");
        assert_eq!(actions["elements"][1]["action_id"], RELEASE_ACTION);
        assert_eq!(actions["elements"][1]["value"], "grant-5");
    }

    #[test]
    fn blocks_home_extend_offers_only_the_lengths_given_and_none_when_there_are_none() {
        let mut fits = home_grant(1, Some(5), "");
        fits.extend_lengths = vec![DurationPreset::OneHour, DurationPreset::OneDay];
        let mut none_fit = home_grant(2, Some(6), "");
        none_fit.extend_lengths.clear();
        let view = json(&HomeInput {
            console_url: "https://latch.example.com",
            now_ms: NOW,
            notice: Some("You released <GitHub> — admin."),
            my_requests: &[],
            approvals: &[],
            tasks: &[],
            grants: &[fits, none_fit],
        });
        let blocks = view["blocks"].as_array().unwrap();
        assert!(
            blocks[1]["text"]["text"]
                .as_str()
                .unwrap()
                .contains("You released &lt;GitHub&gt; — admin."),
            "the notice comes first, escaped"
        );
        let first = blocks
            .iter()
            .find(|b| b["block_id"] == "grant:0:grant-1")
            .unwrap();
        let values: Vec<&str> = first["elements"][0]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, ["1h grant-1", "1d grant-1"]);
        let second = blocks
            .iter()
            .find(|b| b["block_id"] == "grant:1:grant-2")
            .unwrap();
        assert_eq!(second["elements"].as_array().unwrap().len(), 1);
        assert_eq!(
            second["elements"][0]["action_id"], RELEASE_ACTION,
            "Release only"
        );
    }

    #[test]
    fn blocks_home_for_someone_not_linked_says_why_and_offers_nothing_to_act_on() {
        let view = SlackView::Home(not_linked_home(
            "https://latch.example.com",
            "Your Slack email (x@y.test) isn't in the Latch directory. Ask a Latch admin.",
        ));
        assert_view_accepted(&view);
        let text = serde_json::to_value(&view).unwrap()["blocks"].to_string();
        assert!(text.contains("isn't in the Latch directory"));
        assert!(!text.contains(REQUEST_ACCESS_ACTION));
    }

    #[test]
    fn blocks_extend_modal_preselects_the_chosen_length_and_asks_why() {
        let modal = extend_modal(&ExtendModal {
            grant_id: "g".repeat(40),
            access: "Prod DB — admin".into(),
            remaining: "2 days".into(),
            lengths: vec![DurationPreset::OneDay, DurationPreset::OneWeek],
            chosen: Some(DurationPreset::OneWeek),
        });
        let view = SlackView::Modal(modal);
        assert_view_accepted(&view);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["callback_id"], EXTEND_CALLBACK_ID);
        assert!(EXTEND_CALLBACK_ID.starts_with(CALLBACK_PREFIX));
        assert_eq!(json["private_metadata"], "g".repeat(40));
        let length = json["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["block_id"] == EXTEND_LENGTH_BLOCK)
            .unwrap();
        assert_eq!(length["element"]["initial_option"]["value"], "1w");
        assert_eq!(length["element"]["options"].as_array().unwrap().len(), 2);
        assert!(
            json["blocks"]
                .to_string()
                .contains(EXTEND_JUSTIFICATION_ACTION)
        );
    }

    #[test]
    fn blocks_notice_modal_stays_within_limits_with_a_long_title_and_text() {
        let long = "<&>".repeat(2000);
        let view = SlackView::Modal(notice_modal(
            &long,
            &long,
            Some(("https://latch.example.com/requests/REQ-1", "Request REQ-1")),
        ));
        assert_view_accepted(&view);
        let json = serde_json::to_value(&view).unwrap();
        assert!(
            json["callback_id"]
                .as_str()
                .unwrap()
                .starts_with(CALLBACK_PREFIX)
        );
    }

    #[test]
    fn blocks_home_stays_within_slack_limits_with_long_texts_and_full_lists() {
        let long = "<&>".repeat(1500);
        let requests: Vec<_> = (0..120)
            .map(|i| request(i, RequestStatus::PendingApproval, &long))
            .collect();
        let tasks: Vec<_> = (0..120).map(|i| task(i, &long)).collect();
        let grants: Vec<_> = (0..120)
            .map(|i| HomeGrant {
                grant: GrantRow {
                    id: "g".repeat(300) + &i.to_string(),
                    ..grant(i, Some(2), &long)
                },
                extend_lengths: DurationPreset::ALL.to_vec(),
            })
            .collect();
        let view = json(&HomeInput {
            console_url: "https://latch.example.com",
            now_ms: NOW,
            notice: None,
            my_requests: &requests,
            approvals: &requests,
            tasks: &tasks,
            grants: &grants,
        });
        assert!(texts(&view).contains("and 110 more"));
    }
}
