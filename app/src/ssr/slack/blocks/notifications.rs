//! The DMs for the outbox kinds about requests and grants (`domain::outbox`): short, scannable,
//! with a console link, and a plain-text `text` for notifications and clients without blocks.

use super::{SECTION_TEXT_MAX, clip, console_link, escape, mrkdwn_link};
use crate::domain::{NotificationKind, Outcome};
use crate::shapes::{GrantRow, RequestSummary};
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackBlock, SlackBlockMarkDownText, SlackBlockText, SlackContextBlock,
    SlackContextBlockElement, SlackMessageContent, SlackSectionBlock,
};

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
        .with_text(clip(text, super::MESSAGE_TEXT_MAX))
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
