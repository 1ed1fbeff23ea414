//! The DMs that follow a request, a provisioning task or a grant (issue 11), one builder per
//! audience, each built from plain data (`ssr::slack::live` loads it and decides who may do what):
//! the requester's request message (🔐, with **Cancel request** while it is open), each
//! approver's copy (👉, with the **Approval reason** input and **Approve** / **Deny** only while
//! that person may decide the step, else the outcome line), each provisioner's assignment
//! (**Provisioned** / **Won't do**, or **Deprovisioned** / **Won't deprovision**, with the
//! provisioner instructions) and the holder's expiry notice (**Extend** / **Release**). Every
//! copy of a request shares the same link and fields ([`RequestCard`]). Action ids and values
//! are the contract with the interactivity handlers (`ssr::slack::interactions`).
//!
//! Texts from people (names, justifications, reasons) are escaped: Slack reads `&`, `<`, `>` as
//! markup. Mentions (`<@U…>`) are made by the caller for people linked in the workspace.

use super::{
    BUTTON_TEXT_MAX, CONTEXT_TEXT_MAX, MESSAGE_TEXT_MAX, SECTION_TEXT_MAX, clip, escape,
    mrkdwn_link,
};
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackActionId, SlackActionsBlock, SlackBlock, SlackBlockButtonElement, SlackBlockButtonStyle,
    SlackBlockId, SlackBlockMarkDownText, SlackBlockPlainTextInputElement, SlackBlockText,
    SlackContextBlock, SlackContextBlockElement, SlackInputBlock, SlackMessageContent,
    SlackSectionBlock,
};

/// Action ids on the DMs (the value of each is said beside it).
pub const CANCEL_ACTION: &str = "request.cancel"; // request id
pub const APPROVE_ACTION: &str = "request.approve"; // request id ":" step index
pub const DENY_ACTION: &str = "request.deny"; // request id ":" step index
pub const APPROVAL_REASON: &str = "approval_reason"; // input block id and action id
pub const TASK_DONE_ACTION: &str = "task.done"; // task id
pub const TASK_WONT_DO_ACTION: &str = "task.wont_do"; // task id
pub const TASK_RETRY_ACTION: &str = "task.retry"; // request id
pub const GRANT_EXTEND_ACTION: &str = "grant.extend"; // grant id
pub const GRANT_RELEASE_ACTION: &str = "grant.release"; // grant id

/// Longest field text Slack takes in a section's `fields`.
const FIELD_TEXT_MAX: usize = 2000;

/// A request as every copy of its message shows it. `requested_by`, `requested_for` and `state`
/// are mrkdwn already (mentions, escaped names); the rest is plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCard {
    pub request_id: String,
    /// The request's page in the console.
    pub url: String,
    pub subject: String,
    pub app: String,
    pub entitlement: String,
    pub requested_by: String,
    pub requested_for: String,
    pub justification: String,
    /// Only when the access is limited in time.
    pub length: Option<String>,
    pub state: String,
    /// `state` in plain words, for the notification text.
    pub state_text: String,
}

impl RequestCard {
    /// "Grant {subject} {app} {entitlement}", the link to the request.
    pub fn title(&self) -> String {
        format!("Grant {} {} {}", self.subject, self.app, self.entitlement)
    }
}

fn section(text: &str) -> SlackBlock {
    SlackSectionBlock::new()
        .with_text(SlackBlockText::from(SlackBlockMarkDownText::from(clip(
            text,
            SECTION_TEXT_MAX,
        ))))
        .into()
}

fn context(text: &str) -> SlackBlock {
    SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
        SlackBlockMarkDownText::from(clip(text, CONTEXT_TEXT_MAX)),
    )])
    .into()
}

fn field(label: &str, value_mrkdwn: &str) -> SlackBlockText {
    let value = clip(value_mrkdwn, FIELD_TEXT_MAX - label.chars().count() - 4);
    SlackBlockText::from(SlackBlockMarkDownText::from(format!("*{label}*\n{value}")))
}

fn button(label: &str, action: &str, value: &str) -> SlackBlockButtonElement {
    SlackBlockButtonElement::new(clip(label, BUTTON_TEXT_MAX).into())
        .with_action_id(SlackActionId(action.into()))
        .with_value(value.chars().take(2000).collect())
}

/// The headline, the link and the fields every copy of a request starts with.
fn request_blocks(headline_mrkdwn: &str, card: &RequestCard) -> Vec<SlackBlock> {
    let mut fields = vec![
        field("Application", &escape(&card.app)),
        field("Entitlement", &escape(&card.entitlement)),
        field("Requested by", &card.requested_by),
        field("Requested for", &card.requested_for),
        field("Justification", &escape(&card.justification)),
    ];
    if let Some(length) = &card.length {
        fields.push(field("Length", &escape(length)));
    }
    fields.push(field("State", &card.state));
    vec![
        section(&format!(
            "{headline_mrkdwn}\n{}",
            mrkdwn_link(&card.url, &card.title())
        )),
        SlackSectionBlock::new().with_fields(fields).into(),
    ]
}

fn content(text: &str, blocks: Vec<SlackBlock>) -> SlackMessageContent {
    SlackMessageContent::new()
        .with_text(clip(&escape(text), MESSAGE_TEXT_MAX))
        .with_blocks(blocks)
}

/// What the requester (or the subject) may do from their copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequesterButtons {
    /// **Cancel request** (while it is open and theirs to cancel).
    pub cancel: bool,
    /// **Retry** (provisioning failed and they may retry it).
    pub retry: bool,
}

/// The requester's message: 🔐 "You have created a new access request" (the subject of a request
/// made for them reads "An access request was created for you"), the link, the fields, and its
/// buttons.
pub fn requester_message(
    card: &RequestCard,
    viewer_is_requester: bool,
    buttons: RequesterButtons,
) -> SlackMessageContent {
    let headline = if viewer_is_requester {
        "You have created a new access request"
    } else {
        "An access request was created for you"
    };
    let mut blocks = request_blocks(&format!("🔐 *{headline}*"), card);
    let mut elements = Vec::new();
    if buttons.cancel {
        elements.push(button("Cancel request", CANCEL_ACTION, &card.request_id).into());
    }
    if buttons.retry {
        elements.push(
            button("Retry", TASK_RETRY_ACTION, &card.request_id)
                .with_style(SlackBlockButtonStyle::Primary)
                .into(),
        );
    }
    if !elements.is_empty() {
        blocks.push(
            SlackActionsBlock::new(elements)
                .with_block_id(SlackBlockId("request_actions".into()))
                .into(),
        );
    }
    let text = format!("{headline}: {} — {}", card.title(), card.state_text);
    content(&text, blocks)
}

/// The lower part of an approver's copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApproverPart {
    /// They may decide step `step` (0-based) now: the reason input, **Approve** and **Deny**.
    /// The input is marked optional unless the step needs a reason to approve
    /// (`reason_required`), so the copy does not call optional what Approve then asks for.
    Decide { step: usize, reason_required: bool },
    /// They are asked but may not decide (self-approval forbidden, …): why, and no buttons.
    Blocked(String),
    /// It is no longer theirs to decide: what happened (mrkdwn), e.g. "Approved by <@U1>".
    Outcome(String),
}

/// An approver's copy: 👉 "Your approval is required on an access request for {subject}" (or,
/// when they may not decide, that it waits on a step naming them), the link, the fields, then
/// [`ApproverPart`].
pub fn approver_message(card: &RequestCard, part: &ApproverPart) -> SlackMessageContent {
    // A copy its reader may not act on must not ask for their approval.
    let headline = match part {
        ApproverPart::Blocked(_) => format!(
            "An access request for {} waits on a step that names you",
            card.subject
        ),
        _ => format!(
            "Your approval is required on an access request for {}",
            card.subject
        ),
    };
    let mut blocks = request_blocks(&format!("👉 *{}*", escape(&headline)), card);
    let text = match part {
        ApproverPart::Decide {
            step,
            reason_required,
        } => {
            let value = format!("{}:{step}", card.request_id);
            blocks.push(
                SlackInputBlock::new(
                    "Approval reason".into(),
                    SlackBlockPlainTextInputElement::new()
                        .with_action_id(SlackActionId(APPROVAL_REASON.into()))
                        .with_multiline(true)
                        .with_placeholder("Explain why you are approving this access".into())
                        .into(),
                )
                .with_block_id(SlackBlockId(APPROVAL_REASON.into()))
                .with_optional(!reason_required)
                .into(),
            );
            blocks.push(
                SlackActionsBlock::new(vec![
                    button("Approve", APPROVE_ACTION, &value)
                        .with_style(SlackBlockButtonStyle::Primary)
                        .into(),
                    button("Deny", DENY_ACTION, &value)
                        .with_style(SlackBlockButtonStyle::Danger)
                        .into(),
                ])
                .with_block_id(SlackBlockId("decide".into()))
                .into(),
            );
            format!("{headline}: {}", card.title())
        }
        ApproverPart::Blocked(why) => {
            blocks.push(context(&format!("🚫 {}", escape(why))));
            format!("{headline}: {} — {why}", card.title())
        }
        ApproverPart::Outcome(line) => {
            blocks.push(section(line));
            format!("{headline}: {} — {}", card.title(), card.state_text)
        }
    };
    content(&text, blocks)
}

/// A provisioning or deprovisioning assignment as one provisioner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub task_id: String,
    pub deprovision: bool,
    /// The provisioner instructions, as mrkdwn (see [`markdown_to_mrkdwn`]).
    pub instructions: Option<String>,
    /// Why it came to people (e.g. the webhook failed), plain text.
    pub note: Option<String>,
    /// **Provisioned** / **Won't do** (or their removal labels) while the task is open and this
    /// person may complete it.
    pub open: bool,
    /// What became of it (mrkdwn) once closed, e.g. "Provisioned by <@U1>".
    pub outcome: Option<String>,
    /// **Retry** for a failed provisioning (the request id), when this person may retry it.
    pub retry: Option<String>,
}

/// A provisioner's copy: "You have a new provisioning assignment:" (or deprovisioning), the
/// link, the fields, the instructions, the buttons or the outcome.
pub fn provisioner_message(card: &RequestCard, task: &Assignment) -> SlackMessageContent {
    let (headline, done, wont) = if task.deprovision {
        (
            "You have a new deprovisioning assignment:",
            "Deprovisioned",
            "Won't deprovision",
        )
    } else {
        (
            "You have a new provisioning assignment:",
            "Provisioned",
            "Won't do",
        )
    };
    let mut blocks = request_blocks(&format!("*{headline}*"), card);
    if let Some(note) = &task.note {
        blocks.push(context(&format!("⚠️ {}", escape(note))));
    }
    if let Some(instructions) = task
        .instructions
        .as_deref()
        .filter(|i| !i.trim().is_empty())
    {
        blocks.push(section(&format!(
            "*Provisioner instructions*\n{instructions}"
        )));
    }
    let mut elements = Vec::new();
    if task.open {
        elements.push(
            button(done, TASK_DONE_ACTION, &task.task_id)
                .with_style(SlackBlockButtonStyle::Primary)
                .into(),
        );
        elements.push(
            button(wont, TASK_WONT_DO_ACTION, &task.task_id)
                .with_style(SlackBlockButtonStyle::Danger)
                .into(),
        );
    }
    if let Some(request) = &task.retry {
        elements.push(
            button("Retry", TASK_RETRY_ACTION, request)
                .with_style(SlackBlockButtonStyle::Primary)
                .into(),
        );
    }
    if let Some(outcome) = &task.outcome {
        blocks.push(section(outcome));
    }
    if !elements.is_empty() {
        blocks.push(
            SlackActionsBlock::new(elements)
                .with_block_id(SlackBlockId("task_actions".into()))
                .into(),
        );
    }
    let text = format!(
        "{} {} — {}",
        headline.trim_end_matches(':'),
        card.title(),
        card.state_text
    );
    content(&text, blocks)
}

/// A grant's expiry notice as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryNotice {
    pub grant_id: String,
    pub app: String,
    pub entitlement: String,
    /// The entitlement's description, shown under its name.
    pub description: String,
    /// The grant's page (the console's home).
    pub url: String,
    /// Plain text: "Your access expires Tue 14:00 UTC", "Your access has expired and is being
    /// removed", "You released this access".
    pub headline: String,
    /// mrkdwn for when it ends (a Slack date shown in the reader's time zone), if it still does.
    pub ends: Option<String>,
    pub extend: bool,
    pub release: bool,
}

/// The holder's expiry message: `access_expiring` (with **Extend** / **Release** while they may)
/// and, edited in place, `access_expired`.
pub fn expiry_message(notice: &ExpiryNotice) -> SlackMessageContent {
    let access = format!("{} — {}", notice.app, notice.entitlement);
    let mut body = format!(
        "⏳ *{}*\n{}",
        escape(&notice.headline),
        mrkdwn_link(&notice.url, &access)
    );
    if !notice.description.trim().is_empty() {
        body.push_str(&format!("\n_{}_", escape(notice.description.trim())));
    }
    let mut blocks = vec![section(&body)];
    if let Some(ends) = &notice.ends {
        blocks.push(context(&format!("Ends {ends}")));
    }
    let mut elements = Vec::new();
    if notice.extend {
        elements.push(
            button("Extend", GRANT_EXTEND_ACTION, &notice.grant_id)
                .with_style(SlackBlockButtonStyle::Primary)
                .into(),
        );
    }
    if notice.release {
        elements.push(
            button("Release", GRANT_RELEASE_ACTION, &notice.grant_id)
                .with_style(SlackBlockButtonStyle::Danger)
                .into(),
        );
    }
    if !elements.is_empty() {
        blocks.push(
            SlackActionsBlock::new(elements)
                .with_block_id(SlackBlockId("grant_actions".into()))
                .into(),
        );
    }
    content(&format!("{}: {access}", notice.headline), blocks)
}

/// A line posted in a message's thread (a history event, a comment).
pub fn thread_line(text_mrkdwn: &str, plain: &str) -> SlackMessageContent {
    content(plain, vec![section(text_mrkdwn)])
}

/// Markdown (provisioner instructions) as Slack mrkdwn: `**bold**` → `*bold*`, `*em*` →
/// `_em_`, `~~del~~` → `~del~`, `[text](url)` → `<url|text>`, headings in bold, list items with
/// "•" (or their number), code kept in backticks, and everything else escaped.
pub fn markdown_to_mrkdwn(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut out = String::new();
    // Each open list: the next number for an ordered list, `None` for bullets.
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut links: Vec<(String, String)> = Vec::new();
    let push =
        |out: &mut String, links: &mut Vec<(String, String)>, text: &str| match links.last_mut() {
            Some((_, label)) => label.push_str(text),
            None => out.push_str(text),
        };
    let newline = |out: &mut String| {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
    };
    for event in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Strong) | Event::End(TagEnd::Strong) => {
                push(&mut out, &mut links, "*")
            }
            Event::Start(Tag::Emphasis) | Event::End(TagEnd::Emphasis) => {
                push(&mut out, &mut links, "_")
            }
            Event::Start(Tag::Strikethrough) | Event::End(TagEnd::Strikethrough) => {
                push(&mut out, &mut links, "~")
            }
            Event::Start(Tag::Heading { .. }) => {
                newline(&mut out);
                out.push('*');
            }
            Event::End(TagEnd::Heading(_)) => out.push_str("*\n"),
            Event::Start(Tag::Paragraph) => newline(&mut out),
            Event::End(TagEnd::Paragraph) => out.push('\n'),
            Event::Start(Tag::List(first)) => {
                newline(&mut out);
                lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                newline(&mut out);
                let depth = lists.len().saturating_sub(1);
                out.push_str(&"    ".repeat(depth));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("• "),
                }
            }
            Event::End(TagEnd::Item) => newline(&mut out),
            Event::Start(Tag::CodeBlock(_)) => {
                newline(&mut out);
                out.push_str("```\n");
            }
            Event::End(TagEnd::CodeBlock) => {
                newline(&mut out);
                out.push_str("```\n");
            }
            Event::Start(Tag::BlockQuote(_)) => {
                newline(&mut out);
                out.push_str("> ");
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                links.push((dest_url.to_string(), String::new()))
            }
            Event::End(TagEnd::Link) => {
                if let Some((url, label)) = links.pop() {
                    let label = if label.is_empty() { url.clone() } else { label };
                    let link = if url.starts_with("http://")
                        || url.starts_with("https://")
                        || url.starts_with("mailto:")
                    {
                        format!(
                            "<{}|{}>",
                            url.replace(['<', '>', '|'], ""),
                            label.replace('|', "¦")
                        )
                    } else {
                        label
                    };
                    push(&mut out, &mut links, &link);
                }
            }
            Event::Text(text) => push(&mut out, &mut links, &escape(&text)),
            Event::Code(code) => push(&mut out, &mut links, &format!("`{}`", escape(&code))),
            Event::SoftBreak | Event::HardBreak => push(&mut out, &mut links, "\n"),
            Event::Rule => {
                newline(&mut out);
                out.push_str("———\n");
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                push(&mut out, &mut links, &escape(&html))
            }
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::check::assert_message_accepted;
    use super::*;

    fn card(text: &str) -> RequestCard {
        RequestCard {
            request_id: "req-1".into(),
            url: "https://latch.example.com/requests/R-1".into(),
            subject: format!("{text}Jake Clark"),
            app: format!("{text}Okta"),
            entitlement: format!("{text}Admin"),
            requested_by: "<@U1>".into(),
            requested_for: escape(&format!("{text}Jake Clark")),
            justification: format!("{text}On call this week"),
            length: Some("1 week".into()),
            state: "Awaiting approval from <@U2> + 1".into(),
            state_text: "Awaiting approval from Anna Smith + 1".into(),
        }
    }

    fn json(m: &SlackMessageContent) -> String {
        assert_message_accepted(m);
        serde_json::to_string(m).unwrap()
    }

    #[test]
    fn the_requesters_message_links_the_request_shows_every_field_and_cancel_while_open() {
        let m = requester_message(
            &card(""),
            true,
            RequesterButtons {
                cancel: true,
                retry: false,
            },
        );
        let j = json(&m);
        assert!(
            m.text
                .as_deref()
                .unwrap()
                .starts_with("You have created a new access request: Grant Jake Clark Okta Admin")
        );
        assert!(j.contains("🔐 *You have created a new access request*"));
        assert!(j.contains("<https://latch.example.com/requests/R-1|Grant Jake Clark Okta Admin>"));
        for label in [
            "Application",
            "Entitlement",
            "Requested by",
            "Requested for",
            "Justification",
            "Length",
            "State",
        ] {
            assert!(j.contains(&format!("*{label}*")), "{label}");
        }
        assert!(j.contains(r#""action_id":"request.cancel""#));
        assert!(j.contains(r#""value":"req-1""#));
        let mut unlimited = card("");
        unlimited.length = None;
        let closed = json(&requester_message(
            &unlimited,
            false,
            RequesterButtons::default(),
        ));
        assert!(!closed.contains("*Length*"), "no length when unlimited");
        assert!(!closed.contains("request.cancel"));
        assert!(closed.contains("An access request was created for you"));
    }

    #[test]
    fn an_approver_who_may_decide_gets_the_reason_input_and_both_buttons_with_the_step() {
        let j = json(&approver_message(
            &card(""),
            &ApproverPart::Decide {
                step: 1,
                reason_required: false,
            },
        ));
        assert!(j.contains("👉 *Your approval is required on an access request for Jake Clark*"));
        assert!(j.contains(r#""block_id":"approval_reason""#));
        assert!(j.contains(r#""action_id":"approval_reason""#));
        assert!(j.contains("Explain why you are approving this access"));
        assert!(j.contains(r#""action_id":"request.approve""#));
        assert!(j.contains(r#""action_id":"request.deny""#));
        assert!(j.contains(r#""value":"req-1:1""#));
        assert!(j.contains(r#""style":"primary""#) && j.contains(r#""style":"danger""#));
        assert!(
            j.contains(r#""optional":true"#),
            "no reason needed: optional"
        );
    }

    #[test]
    fn a_step_that_needs_a_reason_to_approve_does_not_call_the_reason_input_optional() {
        let j = json(&approver_message(
            &card(""),
            &ApproverPart::Decide {
                step: 1,
                reason_required: true,
            },
        ));
        assert!(j.contains(r#""block_id":"approval_reason""#));
        assert!(!j.contains(r#""optional":true"#), "{j}");
        assert!(j.contains(r#""action_id":"request.approve""#));
    }

    #[test]
    fn an_approver_who_may_not_decide_sees_why_or_the_outcome_and_no_buttons() {
        for part in [
            ApproverPart::Blocked("The policy forbids approving your own request.".into()),
            ApproverPart::Outcome("Denied by <@U2>: not this week".into()),
        ] {
            let j = json(&approver_message(&card(""), &part));
            assert!(!j.contains("request.approve") && !j.contains("approval_reason"));
        }
        let j = json(&approver_message(
            &card(""),
            &ApproverPart::Outcome("✅ Approved by <@U2>".into()),
        ));
        assert!(j.contains("Approved by <@U2>"));
    }

    #[test]
    fn a_provisioners_copy_has_its_buttons_while_open_and_the_outcome_once_closed() {
        let open = Assignment {
            task_id: "task-1".into(),
            deprovision: false,
            instructions: Some(markdown_to_mrkdwn("Add them to **admins**")),
            note: None,
            open: true,
            outcome: None,
            retry: None,
        };
        let j = json(&provisioner_message(&card(""), &open));
        assert!(j.contains("You have a new provisioning assignment:"));
        assert!(j.contains("Add them to *admins*"));
        assert!(j.contains(r#""action_id":"task.done""#) && j.contains("Provisioned"));
        assert!(j.contains(r#""action_id":"task.wont_do""#) && j.contains("Won't do"));
        let removal = Assignment {
            deprovision: true,
            ..open.clone()
        };
        let j = json(&provisioner_message(&card(""), &removal));
        assert!(j.contains("Deprovisioned") && j.contains("Won't deprovision"));
        let failed = Assignment {
            open: false,
            outcome: Some("Errored: API 500".into()),
            retry: Some("req-1".into()),
            ..open
        };
        let j = json(&provisioner_message(&card(""), &failed));
        assert!(!j.contains("task.done"));
        assert!(j.contains(r#""action_id":"task.retry""#));
    }

    #[test]
    fn the_expiry_notice_shows_the_description_and_extend_and_release_while_allowed() {
        let notice = ExpiryNotice {
            grant_id: "grant-1".into(),
            app: "Okta".into(),
            entitlement: "Admin".into(),
            description: "Full admin of the Okta tenant".into(),
            url: "https://latch.example.com/".into(),
            headline: "Your access expires Tue 14:00 UTC".into(),
            ends: Some("<!date^1700000000^{date_short_pretty} {time}|Tue 14:00 UTC>".into()),
            extend: true,
            release: true,
        };
        let j = json(&expiry_message(&notice));
        assert!(j.contains("Full admin of the Okta tenant"));
        assert!(j.contains(r#""action_id":"grant.extend""#));
        assert!(j.contains(r#""action_id":"grant.release""#));
        let expired = ExpiryNotice {
            extend: false,
            release: false,
            ends: None,
            ..notice
        };
        assert!(!json(&expiry_message(&expired)).contains("grant.extend"));
    }

    #[test]
    fn every_message_stays_within_slack_limits_with_long_and_markup_laden_texts() {
        let long = "<!channel>&|".repeat(800);
        let c = card(&long);
        let task = Assignment {
            task_id: "t".repeat(3000),
            deprovision: false,
            instructions: Some(markdown_to_mrkdwn(&long)),
            note: Some(long.clone()),
            open: true,
            outcome: Some(escape(&long)),
            retry: Some("r".repeat(3000)),
        };
        for m in [
            requester_message(
                &c,
                true,
                RequesterButtons {
                    cancel: true,
                    retry: true,
                },
            ),
            approver_message(
                &c,
                &ApproverPart::Decide {
                    step: 0,
                    reason_required: true,
                },
            ),
            approver_message(&c, &ApproverPart::Blocked(long.clone())),
            provisioner_message(&c, &task),
            thread_line(&escape(&long), &long),
        ] {
            assert!(!json(&m).contains("<!channel>"), "markup is escaped");
        }
    }

    #[test]
    fn markdown_becomes_slack_mrkdwn() {
        assert_eq!(
            markdown_to_mrkdwn("**Bold**, *em*, ~~gone~~ and `code`"),
            "*Bold*, _em_, ~gone~ and `code`"
        );
        assert_eq!(
            markdown_to_mrkdwn("See [the runbook](https://wiki.example.com/run) now"),
            "See <https://wiki.example.com/run|the runbook> now"
        );
        assert_eq!(
            markdown_to_mrkdwn("# Steps\n\n1. Open Okta\n2. Add the group\n\n- a\n- b"),
            "*Steps*\n1. Open Okta\n2. Add the group\n• a\n• b"
        );
        assert_eq!(
            markdown_to_mrkdwn("a < b & <!here>"),
            "a &lt; b &amp; &lt;!here&gt;"
        );
        assert_eq!(
            markdown_to_mrkdwn("[x](javascript:alert(1))"),
            "x",
            "only web and mail links are kept"
        );
    }
}
