//! Block Kit in one place: the request modal, the App Home and the DM notifications, built by
//! pure functions from plain data (no I/O), with slack-morphism's models.
//!
//! Every builder keeps within Slack's limits by construction: texts are clipped with "…" where a
//! limit bites (option text 75, section text 3000, button text 75, …), lists are capped (100
//! options, 50 blocks per message, 100 per view) and ids stay short. The tests run each view
//! through the stand-in's validator (`slack_standin::limits`), the one implementation of what
//! Slack refuses with `invalid_blocks`.

pub mod home;
pub mod notifications;
pub mod request_modal;
pub mod reviews;

use super::api::slack_morphism::prelude::{
    SlackBlockChoiceItem, SlackBlockPlainTextOnly, SlackBlockText,
};

/// Slack's per-field limits (slack.md §3.4) that the builders clip to.
pub const OPTION_TEXT_MAX: usize = 75;
pub const OPTION_VALUE_MAX: usize = 150;
pub const OPTION_DESCRIPTION_MAX: usize = 75;
pub const SELECT_OPTIONS_MAX: usize = 100;
pub const SECTION_TEXT_MAX: usize = 3000;
pub const HEADER_TEXT_MAX: usize = 150;
pub const BUTTON_TEXT_MAX: usize = 75;
pub const CONTEXT_TEXT_MAX: usize = 3000;
pub const ID_MAX: usize = 255;
pub const MESSAGE_TEXT_MAX: usize = 4000;
pub const MESSAGE_BLOCKS_MAX: usize = 50;
pub const VIEW_BLOCKS_MAX: usize = 100;

/// `text` cut to at most `max` characters, ending in "…" when it was cut. Never empty: Slack
/// refuses empty text objects, so an empty input reads "—".
pub fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.is_empty() {
        return "—".to_owned();
    }
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `text` made safe inside `mrkdwn`: Slack reads `&`, `<` and `>` as markup.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A console address: `base` (e.g. `https://latch.example.com/`) joined with `path` (`/requests/R-1`).
pub fn console_link(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// A mrkdwn link `<url|label>`, the label escaped (a `|` in it would end the label early).
pub fn mrkdwn_link(url: &str, label: &str) -> String {
    format!("<{}|{}>", url, escape(label).replace('|', "¦"))
}

/// A select option: text, value and optional description, each within Slack's limits.
pub fn option(
    text: &str,
    value: &str,
    description: Option<&str>,
) -> SlackBlockChoiceItem<SlackBlockPlainTextOnly> {
    let item = SlackBlockChoiceItem::new(
        SlackBlockPlainTextOnly::from(clip(text, OPTION_TEXT_MAX)),
        value.chars().take(OPTION_VALUE_MAX).collect(),
    );
    match description.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => item.with_description(clip(d, OPTION_DESCRIPTION_MAX).into()),
        None => item,
    }
}

/// A checkbox option (checkboxes take any text object).
pub fn checkbox_option(text: &str, value: &str) -> SlackBlockChoiceItem<SlackBlockText> {
    SlackBlockChoiceItem::new(
        SlackBlockText::from(SlackBlockPlainTextOnly::from(clip(text, OPTION_TEXT_MAX))),
        value.chars().take(OPTION_VALUE_MAX).collect(),
    )
}

/// A `block_id` / `action_id` within 255 characters.
pub fn id(prefix: &str, key: &str) -> String {
    format!("{prefix}:{key}").chars().take(ID_MAX).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod check {
    //! Runs built views and messages through the stand-in's validator: the one implementation
    //! of Slack's Block Kit limits.

    use serde_json::Value;
    use slack_standin::limits::{self, ViewError};

    use crate::ssr::slack::api::slack_morphism::prelude::{SlackMessageContent, SlackView};

    /// What Slack would say about `view`, or `Ok`.
    pub fn view_refusal(view: &SlackView) -> Result<(), String> {
        let json = serde_json::to_value(view).map_err(|e| e.to_string())?;
        match limits::validate_view(&json, None) {
            Ok(()) => Ok(()),
            Err(ViewError::TooLarge) => Err("view_too_large".into()),
            Err(ViewError::Invalid(v)) => Err(v
                .iter()
                .map(|v| v.to_slack_message())
                .collect::<Vec<_>>()
                .join("\n")),
        }
    }

    /// What Slack would say about a message's blocks and text, or `Ok`.
    pub fn message_refusal(message: &SlackMessageContent) -> Result<(), String> {
        let text = message.text.as_deref().unwrap_or_default();
        if text.is_empty() {
            return Err("no fallback text".into());
        }
        if text.chars().count() > limits::UPDATE_TEXT_MAX {
            return Err("msg_too_long".into());
        }
        let blocks = serde_json::to_value(message.blocks.clone().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let blocks: Vec<Value> = blocks.as_array().cloned().unwrap_or_default();
        limits::validate_message_blocks(&blocks).map_err(|v| {
            v.iter()
                .map(|v| v.to_slack_message())
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    pub fn assert_view_accepted(view: &SlackView) {
        if let Err(why) = view_refusal(view) {
            panic!(
                "Slack would refuse this view:\n{why}\n{}",
                serde_json::to_string_pretty(view).unwrap()
            );
        }
    }

    pub fn assert_message_accepted(message: &SlackMessageContent) {
        if let Err(why) = message_refusal(message) {
            panic!(
                "Slack would refuse this message:\n{why}\n{}",
                serde_json::to_string_pretty(message).unwrap()
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::check::*;
    use super::*;
    use crate::ssr::slack::api::slack_morphism::prelude::*;

    #[test]
    fn blocks_clip_long_text_with_an_ellipsis_and_never_leave_it_empty() {
        let long = "x".repeat(80);
        let clipped = clip(&long, OPTION_TEXT_MAX);
        assert_eq!(clipped.chars().count(), 75);
        assert!(clipped.ends_with('…'));
        assert_eq!(clip("short", 75), "short");
        assert_eq!(clip("   ", 75), "—");
        assert_eq!(escape("a<b>&c"), "a&lt;b&gt;&amp;c");
    }

    #[test]
    fn blocks_checker_refuses_an_over_long_option_as_slack_would() {
        let long = "y".repeat(76);
        let select = SlackBlockStaticSelectElement::new()
            .with_action_id(SlackActionId("pick".into()))
            .with_options(vec![SlackBlockChoiceItem::new(
                SlackBlockPlainTextOnly::from(long.as_str()),
                "v".into(),
            )]);
        let view = SlackView::Modal(
            SlackModalView::new(
                "Pick".into(),
                vec![SlackInputBlock::new("Pick one".into(), select.into()).into()],
            )
            .with_submit("Submit".into()),
        );
        let refusal = view_refusal(&view).unwrap_err();
        assert!(refusal.contains("options/0/text"), "{refusal}");

        let clipped = SlackView::Modal(
            SlackModalView::new(
                "Pick".into(),
                vec![
                    SlackInputBlock::new(
                        "Pick one".into(),
                        SlackBlockStaticSelectElement::new()
                            .with_action_id(SlackActionId("pick".into()))
                            .with_options(vec![option(&long, "v", None)])
                            .into(),
                    )
                    .into(),
                ],
            )
            .with_submit("Submit".into()),
        );
        assert_view_accepted(&clipped);
    }

    #[test]
    fn blocks_checker_refuses_a_message_of_more_than_fifty_blocks() {
        let blocks: Vec<SlackBlock> = (0..51).map(|_| SlackDividerBlock::new().into()).collect();
        let message = SlackMessageContent::new()
            .with_text("fallback".into())
            .with_blocks(blocks);
        assert!(message_refusal(&message).is_err());
    }
}
