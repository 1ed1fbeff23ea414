//! The DMs for every outbox kind (`domain::outbox`): short, scannable, with a console link, and a
//! plain-text `text` for notifications and clients without blocks. One builder per audience:
//! the requester's request message (updated in place as the request moves on), the approver's
//! and the provisioner's (plain for now; the next issue makes them interactive), the holder's
//! expiry notices.

use super::{SECTION_TEXT_MAX, clip, console_link, escape, mrkdwn_link};
use crate::domain::{NotificationKind, Outcome};
use crate::shapes::{GrantRow, RequestSummary};
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackBlock, SlackBlockMarkDownText, SlackBlockText, SlackContextBlock,
    SlackContextBlockElement, SlackMessageContent, SlackSectionBlock,
};

/// `text` is plain words: it is escaped here, as Slack reads a message's `text` as mrkdwn too
/// (a name such as `<!channel>` would otherwise ping everyone).
fn message(text: &str, body: &str, context: &str) -> SlackMessageContent {
    let blocks: Vec<SlackBlock> = vec![
        SlackSectionBlock::new()
            .with_text(SlackBlockText::from(SlackBlockMarkDownText::from(clip(
                body,
                SECTION_TEXT_MAX,
            ))))
            .into(),
        SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
            SlackBlockMarkDownText::from(clip(context, super::CONTEXT_TEXT_MAX)),
        )])
        .into(),
    ];
    SlackMessageContent::new()
        .with_text(clip(&escape(text), super::MESSAGE_TEXT_MAX))
        .with_blocks(blocks)
}

fn what(app: &str, entitlement: &str) -> String {
    format!("{app} — {entitlement}")
}

/// The DM for a request notification (`request_created`, `request_decided`, `request_closed`,
/// `access_granted`) about `request`; `None` for other kinds.
pub fn request_message(
    kind: NotificationKind,
    request: &RequestSummary,
    console_url: &str,
) -> Option<SlackMessageContent> {
    let access = what(&request.app, &request.entitlement);
    let headline = match kind {
        NotificationKind::RequestCreated => "You have created a new access request".to_owned(),
        NotificationKind::RequestDecided => match request.outcome {
            Some(Outcome::Denied) => "Your access request was denied".to_owned(),
            _ => "Your access request was approved".to_owned(),
        },
        NotificationKind::RequestClosed => match request.outcome {
            Some(Outcome::Cancelled) => "Your access request was cancelled".to_owned(),
            Some(Outcome::Expired) => "Your access request expired before a decision".to_owned(),
            Some(Outcome::Error) => "Your access request could not be completed".to_owned(),
            _ => "Your access request was closed".to_owned(),
        },
        NotificationKind::AccessGranted => "Your access is ready".to_owned(),
        _ => return None,
    };
    let url = console_link(console_url, &format!("/requests/{}", request.number));
    let for_whom = if request.subject == request.requester {
        String::new()
    } else {
        format!(" for {}", request.subject)
    };
    let length = if request.length.is_empty() {
        String::new()
    } else {
        format!(" · {}", request.length)
    };
    let body = format!(
        "*{}*\n{}{}{}",
        escape(&headline),
        mrkdwn_link(&url, &format!("{} {access}", request.number)),
        escape(&for_whom),
        escape(&length),
    );
    let text = format!("{headline}: {} {access}{for_whom}", request.number);
    Some(message(
        &text,
        &body,
        &mrkdwn_link(&url, "Open in the console"),
    ))
}

/// The DM for a grant notification (`access_expiring`, `access_expired`) about `grant`; `None`
/// for other kinds.
pub fn grant_message(
    kind: NotificationKind,
    grant: &GrantRow,
    console_url: &str,
) -> Option<SlackMessageContent> {
    let access = what(&grant.app, &grant.entitlement);
    let headline = match kind {
        NotificationKind::AccessExpiring => {
            if grant.remaining.is_empty() {
                "Your access expires soon".to_owned()
            } else {
                format!("Your access expires in {}", grant.remaining)
            }
        }
        NotificationKind::AccessExpired => {
            "Your access has expired and is being removed".to_owned()
        }
        _ => return None,
    };
    let url = console_link(console_url, "/");
    let hint = match kind {
        NotificationKind::AccessExpiring => "Extend it from the Home tab or the console.",
        _ => "Request it again if you still need it.",
    };
    let body = format!("*{}*\n{}\n{}", escape(&headline), escape(&access), hint);
    let text = format!("{headline}: {access}");
    Some(message(
        &text,
        &body,
        &mrkdwn_link(&url, "Open in the console"),
    ))
}

/// The DM telling an approver a request waits for their decision (`approval_needed`): plain
/// words and the console link for now (the buttons to decide in Slack come with the next issue).
pub fn approval_message(request: &RequestSummary, console_url: &str) -> SlackMessageContent {
    let access = what(&request.app, &request.entitlement);
    let headline = "Your approval is required";
    let url = console_link(console_url, &format!("/requests/{}", request.number));
    let for_whom = format!("{} for {}", request.requester, request.subject);
    let for_whom = if request.requester == request.subject {
        format!("requested by {}", request.requester)
    } else {
        format!("requested by {for_whom}")
    };
    let length = if request.length.is_empty() {
        String::new()
    } else {
        format!(" · {}", request.length)
    };
    let emergency = if request.emergency {
        " · emergency"
    } else {
        ""
    };
    let body = format!(
        "*{}*\n{}\n{}{}{}",
        escape(headline),
        mrkdwn_link(&url, &format!("{} {access}", request.number)),
        escape(&for_whom),
        escape(&length),
        emergency,
    );
    let text = format!("{headline}: {} {access}, {for_whom}", request.number);
    message(
        &text,
        &body,
        &mrkdwn_link(&url, "Approve or deny in the console"),
    )
}

/// The DM telling a provisioner about a task (`provisioning_assigned`, `deprovisioning_assigned`):
/// which access, for whom, and where to complete it (`path`, e.g. the request's page); `None`
/// for other kinds.
pub fn task_message(
    kind: NotificationKind,
    app: &str,
    entitlement: &str,
    subject: &str,
    path: &str,
    console_url: &str,
) -> Option<SlackMessageContent> {
    let access = what(app, entitlement);
    let (headline, ask) = match kind {
        NotificationKind::ProvisioningAssigned => (
            "You have a new provisioning assignment",
            format!("Give {subject} this access, then mark the task done in the console."),
        ),
        NotificationKind::DeprovisioningAssigned => (
            "You have a new deprovisioning assignment",
            format!("Remove this access from {subject}, then mark the task done in the console."),
        ),
        _ => return None,
    };
    let url = console_link(console_url, path);
    let body = format!(
        "*{}*\n{}\n{}",
        escape(headline),
        mrkdwn_link(&url, &access),
        escape(&ask)
    );
    let text = format!("{headline}: {access} for {subject}");
    Some(message(
        &text,
        &body,
        &mrkdwn_link(&url, "Open the task in the console"),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::check::assert_message_accepted;
    use super::*;
    use crate::domain::{GrantActions, GrantStatus, RequestStatus};

    const NOW: i64 = 1_700_000_000_000;
    const HOUR: i64 = 3_600_000;

    fn request(i: usize, status: RequestStatus, text: &str) -> RequestSummary {
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

    fn grant(i: usize, expires_in_hours: Option<i64>, text: &str) -> GrantRow {
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
            actions: GrantActions::default(),
        }
    }

    const CONSOLE: &str = "https://latch.example.com/";

    fn text_of(m: &SlackMessageContent) -> String {
        assert_message_accepted(m);
        serde_json::to_string(m).unwrap()
    }

    #[test]
    fn blocks_notifications_for_each_request_kind_name_the_access_and_link_the_request() {
        let mut r = request(1, RequestStatus::PendingApproval, "");
        let created = request_message(NotificationKind::RequestCreated, &r, CONSOLE).unwrap();
        assert_eq!(
            created.text.as_deref(),
            Some("You have created a new access request: R-1 App — admin for Bob")
        );
        assert!(
            text_of(&created).contains("<https://latch.example.com/requests/R-1|R-1 App — admin>")
        );

        r.status = RequestStatus::Closed;
        for (kind, outcome, headline) in [
            (
                NotificationKind::RequestDecided,
                Some(Outcome::Denied),
                "was denied",
            ),
            (NotificationKind::RequestDecided, None, "was approved"),
            (
                NotificationKind::RequestClosed,
                Some(Outcome::Cancelled),
                "was cancelled",
            ),
            (
                NotificationKind::RequestClosed,
                Some(Outcome::Expired),
                "expired before a decision",
            ),
            (
                NotificationKind::RequestClosed,
                Some(Outcome::Error),
                "could not be completed",
            ),
            (
                NotificationKind::AccessGranted,
                Some(Outcome::Granted),
                "Your access is ready",
            ),
        ] {
            r.outcome = outcome;
            let m = request_message(kind, &r, CONSOLE).unwrap();
            assert!(m.text.as_deref().unwrap().contains(headline), "{kind}");
            assert!(text_of(&m).contains("/requests/R-1"), "{kind}");
        }
        assert!(request_message(NotificationKind::ApprovalNeeded, &r, CONSOLE).is_none());
        assert!(request_message(NotificationKind::AccessExpiring, &r, CONSOLE).is_none());
    }

    #[test]
    fn blocks_notifications_for_expiring_and_expired_access_say_what_and_when() {
        let g = grant(3, Some(72), "");
        let expiring = grant_message(NotificationKind::AccessExpiring, &g, CONSOLE).unwrap();
        assert_eq!(
            expiring.text.as_deref(),
            Some("Your access expires in 72 hours: App 3 — admin")
        );
        assert!(text_of(&expiring).contains("<https://latch.example.com/|Open in the console>"));
        let expired = grant_message(NotificationKind::AccessExpired, &g, CONSOLE).unwrap();
        assert!(text_of(&expired).contains("has expired"));
        assert!(grant_message(NotificationKind::RequestCreated, &g, CONSOLE).is_none());
    }

    #[test]
    fn blocks_notifications_for_approvers_and_provisioners_link_the_console() {
        let r = request(4, RequestStatus::PendingApproval, "");
        let m = approval_message(&r, CONSOLE);
        assert!(
            m.text
                .as_deref()
                .unwrap()
                .starts_with("Your approval is required: R-4")
        );
        assert!(text_of(&m).contains("https://latch.example.com/requests/R-4"));
        for (kind, headline) in [
            (
                NotificationKind::ProvisioningAssigned,
                "new provisioning assignment",
            ),
            (
                NotificationKind::DeprovisioningAssigned,
                "new deprovisioning assignment",
            ),
        ] {
            let m = task_message(kind, "App", "admin", "Bob", "/requests/R-4", CONSOLE).unwrap();
            assert!(m.text.as_deref().unwrap().contains(headline), "{kind}");
            assert!(m.text.as_deref().unwrap().ends_with("App — admin for Bob"));
            assert!(text_of(&m).contains("/requests/R-4"));
        }
        assert!(
            task_message(NotificationKind::AccessGranted, "A", "b", "c", "/", CONSOLE).is_none()
        );
    }

    #[test]
    fn blocks_notifications_stay_within_slack_limits_with_long_and_markup_laden_names() {
        let long = "<!channel>&|".repeat(800);
        let r = request(1, RequestStatus::Closed, &long);
        for kind in [
            NotificationKind::RequestCreated,
            NotificationKind::RequestDecided,
            NotificationKind::RequestClosed,
            NotificationKind::AccessGranted,
        ] {
            let m = request_message(kind, &r, CONSOLE).unwrap();
            let json = text_of(&m);
            assert!(!json.contains("<!channel>"), "markup is escaped");
        }
        assert!(!text_of(&approval_message(&r, CONSOLE)).contains("<!channel>"));
        for kind in [
            NotificationKind::ProvisioningAssigned,
            NotificationKind::DeprovisioningAssigned,
        ] {
            let m = task_message(kind, &long, &long, &long, "/requests/R-1", CONSOLE).unwrap();
            assert!(!text_of(&m).contains("<!channel>"));
        }
        let g = grant(1, Some(1), &long);
        for kind in [
            NotificationKind::AccessExpiring,
            NotificationKind::AccessExpired,
        ] {
            text_of(&grant_message(kind, &g, CONSOLE).unwrap());
        }
    }
}
