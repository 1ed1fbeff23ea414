//! The DMs of access review campaigns (issue 12 §3, product reference §a.8), built from plain
//! data (`ssr::flows::campaign_notifications::message` loads it when the notification is
//! delivered, so the counts and the relative date are those of that moment):
//!
//! * **Access Review Input Required**: "Please complete your assigned tasks.", how many reviews
//!   are waiting for this person, the **Target completion date** written relative ("Tomorrow,
//!   11:46 AM UTC", "in 2 weeks and 3 days", never negative), and **See my tasks** opening their
//!   reviews page. The kickoff, every reminder and a reassignment use it, each with its own line
//!   saying why it came.
//! * **Access review ended**: to reviewers and owners when the campaign ends.
//!
//! One message per person and occasion for the whole campaign, never one per review: someone
//! with forty reviews gets one reminder counting them. Texts from people are escaped.

use super::{CONTEXT_TEXT_MAX, HEADER_TEXT_MAX, MESSAGE_TEXT_MAX, SECTION_TEXT_MAX, clip, escape};
use crate::components::time::target_date;
use crate::domain::Timestamp;
use crate::domain::campaign::OpenReviews;
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackActionId, SlackActionsBlock, SlackBlock, SlackBlockButtonElement, SlackBlockButtonStyle,
    SlackBlockId, SlackBlockMarkDownText, SlackBlockPlainTextOnly, SlackBlockText,
    SlackContextBlock, SlackContextBlockElement, SlackHeaderBlock, SlackMessageContent,
    SlackSectionBlock,
};

/// The heading of every "your input is needed" message (product reference §a.8).
pub const INPUT_REQUIRED: &str = "Access Review Input Required";
/// Its body line.
pub const PLEASE_COMPLETE: &str = "Please complete your assigned tasks.";
/// The button's action id (a link button: Slack still sends a `block_actions`, acked and ignored).
pub const SEE_MY_TASKS_ACTION: &str = "review.see_my_tasks";

/// Why an "input required" message came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Occasion {
    /// The campaign started and its owner chose to tell the reviewers.
    Kickoff,
    /// A scheduled reminder.
    Reminder,
    /// An owner clicked **Send reminders** or a review's **Send reminder**; their name.
    Manual { by: String },
    /// A review was handed to this person; by whom, whose access, and why.
    Reassigned {
        by: String,
        subject: String,
        access: String,
        reason: String,
    },
}

/// An "input required" message as one reviewer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRequired {
    pub occasion: Occasion,
    pub campaign: String,
    /// This reviewer's open reviews in the campaign now.
    pub open_reviews: u64,
    pub due_at: Option<Timestamp>,
    pub now: Timestamp,
    /// False once the campaign ended (the message then says so instead of asking).
    pub running: bool,
    /// The reviewer's reviews page in the console (absolute).
    pub my_tasks_url: String,
}

/// "1 review", "3 reviews".
fn reviews(n: u64) -> String {
    format!("{n} open review{}", if n == 1 { "" } else { "s" })
}

fn section(mrkdwn: &str) -> SlackBlock {
    SlackSectionBlock::new()
        .with_text(SlackBlockText::MarkDown(SlackBlockMarkDownText::new(clip(
            mrkdwn,
            SECTION_TEXT_MAX,
        ))))
        .into()
}

fn context(mrkdwn: &str) -> SlackBlock {
    SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
        SlackBlockMarkDownText::new(clip(mrkdwn, CONTEXT_TEXT_MAX)),
    )])
    .into()
}

fn header(text: &str) -> SlackBlock {
    SlackHeaderBlock::new(SlackBlockPlainTextOnly::from(clip(text, HEADER_TEXT_MAX))).into()
}

fn content(text: &str, blocks: Vec<SlackBlock>) -> SlackMessageContent {
    SlackMessageContent::new()
        .with_text(clip(&escape(text), MESSAGE_TEXT_MAX))
        .with_blocks(blocks)
}

/// The target completion date as the message writes it.
pub fn target_line(due_at: Option<Timestamp>, now: Timestamp) -> String {
    due_at.map_or_else(|| "No due date".to_owned(), |due| target_date(due, now))
}

/// **Access Review Input Required** for one reviewer.
pub fn input_required(m: &InputRequired) -> SlackMessageContent {
    let campaign = escape(&m.campaign);
    let why = match &m.occasion {
        Occasion::Kickoff => format!("The access review *{campaign}* has started."),
        Occasion::Reminder => format!("A reminder about the access review *{campaign}*."),
        Occasion::Manual { by } => format!(
            "{} asks you to complete your reviews in *{campaign}*.",
            escape(by)
        ),
        Occasion::Reassigned {
            by,
            subject,
            access,
            reason,
        } => format!(
            "{} reassigned to you the review of *{}*'s access to *{}* in *{campaign}*: “{}”",
            escape(by),
            escape(subject),
            escape(access),
            escape(reason)
        ),
    };
    let target = target_line(m.due_at, m.now);
    if !m.running {
        let blocks = vec![
            header(INPUT_REQUIRED),
            section(&why),
            context(&format!(
                "*{campaign}* has ended: there is nothing left to review."
            )),
        ];
        return content(
            &format!("{}: nothing left to review, it has ended.", m.campaign),
            blocks,
        );
    }
    let waiting = if m.open_reviews == 0 {
        "All your reviews are done. Thank you!".to_owned()
    } else {
        format!("You have *{}*.", reviews(m.open_reviews))
    };
    let mut blocks = vec![
        header(INPUT_REQUIRED),
        section(&format!("{PLEASE_COMPLETE}\n{why}\n{waiting}")),
        SlackSectionBlock::new()
            .with_fields(vec![SlackBlockText::MarkDown(SlackBlockMarkDownText::new(
                clip(&format!("*Target completion date*\n{target}"), 2000),
            ))])
            .into(),
    ];
    match url::Url::parse(&m.my_tasks_url) {
        Ok(url) => blocks.push(
            SlackActionsBlock::new(vec![
                SlackBlockButtonElement::new(SlackBlockPlainTextOnly::from("See my tasks"))
                    .with_action_id(SlackActionId(SEE_MY_TASKS_ACTION.into()))
                    .with_url(url)
                    .with_style(SlackBlockButtonStyle::Primary)
                    .into(),
            ])
            .with_block_id(SlackBlockId("review_actions".into()))
            .into(),
        ),
        // Slack refuses a button whose address is not a URL: a plain link still gets them there.
        Err(_) => blocks.push(section(&super::mrkdwn_link(
            &m.my_tasks_url,
            "See my tasks",
        ))),
    }
    content(
        &format!(
            "{INPUT_REQUIRED}: {PLEASE_COMPLETE} {} — target completion date: {target}",
            m.campaign
        ),
        blocks,
    )
}

/// The end of a campaign, as a reviewer or owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub campaign: String,
    /// What happened to the reviews still open at the end.
    pub open_reviews: Option<OpenReviews>,
    /// The campaign's page in the console (absolute), for owners; reviewers get none.
    pub campaign_url: Option<String>,
}

/// **Access review ended**.
pub fn closed(m: &Closed) -> SlackMessageContent {
    let campaign = escape(&m.campaign);
    let rest = match m.open_reviews {
        Some(OpenReviews::Skip) => "Reviews still open were skipped: that access stays.",
        Some(OpenReviews::Revoke) => {
            "Reviews still open were revoked: that access is being removed."
        }
        None => "",
    };
    let mut text = format!("The access review *{campaign}* has ended. {rest}");
    if let Some(url) = &m.campaign_url {
        text.push_str(&format!(
            "\n{}",
            super::mrkdwn_link(url, "Open the campaign")
        ));
    }
    let blocks = vec![
        header("Access review ended"),
        section(text.trim_end()),
        context("Thank you for your reviews. Nothing more is needed from you."),
    ];
    content(
        &format!("Access review ended: {} has ended.", m.campaign),
        blocks,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::check::assert_message_accepted;
    use super::*;

    const DAY: i64 = 86_400_000;
    /// 2025-12-05 09:00 UTC.
    const NOW: i64 = 1_764_925_200_000;

    fn json(m: &SlackMessageContent) -> String {
        serde_json::to_string(m).unwrap()
    }

    fn input(occasion: Occasion, open: u64, due_in_ms: i64) -> InputRequired {
        InputRequired {
            occasion,
            campaign: "Q4 SOC 2 <review>".into(),
            open_reviews: open,
            due_at: Some(Timestamp::from_unix_millis(NOW + due_in_ms)),
            now: Timestamp::from_unix_millis(NOW),
            running: true,
            my_tasks_url: "https://latch.example.com/access-reviews/mine".into(),
        }
    }

    #[test]
    fn the_reminder_asks_for_input_with_a_relative_target_date_and_a_see_my_tasks_link() {
        let m = input_required(&input(
            Occasion::Reminder,
            40,
            DAY + 2 * 3_600_000 + 46 * 60_000,
        ));
        assert_message_accepted(&m);
        let j = json(&m);
        assert!(j.contains(INPUT_REQUIRED), "{j}");
        assert!(j.contains(PLEASE_COMPLETE));
        assert!(
            j.contains("*Target completion date*\\nTomorrow, 11:46 AM UTC"),
            "{j}"
        );
        assert!(j.contains("You have *40 open reviews*"), "{j}");
        assert!(j.contains("See my tasks"));
        assert!(j.contains("https://latch.example.com/access-reviews/mine"));
        assert!(
            j.contains("Q4 SOC 2 &lt;review&gt;"),
            "names are escaped: {j}"
        );
        assert!(m.text.unwrap().starts_with(INPUT_REQUIRED));
    }

    #[test]
    fn an_overdue_campaign_never_shows_negative_time() {
        let m = input_required(&input(Occasion::Reminder, 1, -2 * DAY));
        assert_message_accepted(&m);
        let j = json(&m);
        assert!(j.contains("Overdue since Wed 3 Dec, 9:00 AM UTC"), "{j}");
        assert!(j.contains("You have *1 open review*."), "{j}");
        assert!(!j.contains("-2"));
    }

    #[test]
    fn each_occasion_says_why_it_came() {
        let cases = [
            (Occasion::Kickoff, "has started"),
            (
                Occasion::Manual {
                    by: "Ada Owner".into(),
                },
                "Ada Owner asks you to complete your reviews",
            ),
            (
                Occasion::Reassigned {
                    by: "Ada".into(),
                    subject: "Carol".into(),
                    access: "Prod DB · Admin".into(),
                    reason: "Bob runs the team now".into(),
                },
                "Ada reassigned to you the review of *Carol*'s access to *Prod DB · Admin*",
            ),
        ];
        for (occasion, says) in cases {
            let m = input_required(&input(occasion, 3, 17 * DAY));
            assert_message_accepted(&m);
            let j = json(&m);
            assert!(j.contains(says), "{says}: {j}");
            assert!(j.contains("in 2 weeks and 3 days"), "{j}");
        }
    }

    #[test]
    fn a_message_delivered_after_the_campaign_ended_asks_for_nothing() {
        let mut m = input(Occasion::Reminder, 3, DAY);
        m.running = false;
        let m = input_required(&m);
        assert_message_accepted(&m);
        let j = json(&m);
        assert!(j.contains("nothing left to review"), "{j}");
        assert!(!j.contains("See my tasks"));
    }

    #[test]
    fn the_close_message_says_what_became_of_open_reviews() {
        let owner = closed(&Closed {
            campaign: "Q4".into(),
            open_reviews: Some(OpenReviews::Revoke),
            campaign_url: Some("https://latch.example.com/access-reviews/c1".into()),
        });
        assert_message_accepted(&owner);
        let j = json(&owner);
        assert!(j.contains("Access review ended"));
        assert!(j.contains("were revoked"));
        assert!(j.contains("<https://latch.example.com/access-reviews/c1|Open the campaign>"));
        let reviewer = closed(&Closed {
            campaign: "Q4".into(),
            open_reviews: Some(OpenReviews::Skip),
            campaign_url: None,
        });
        assert_message_accepted(&reviewer);
        assert!(json(&reviewer).contains("were skipped"));
    }

    #[test]
    fn very_long_names_and_reasons_stay_within_slacks_limits() {
        let long = "x".repeat(5_000);
        let mut m = input(
            Occasion::Reassigned {
                by: long.clone(),
                subject: long.clone(),
                access: long.clone(),
                reason: long.clone(),
            },
            2,
            DAY,
        );
        m.campaign = long.clone();
        assert_message_accepted(&input_required(&m));
        assert_message_accepted(&closed(&Closed {
            campaign: long,
            open_reviews: None,
            campaign_url: None,
        }));
    }
}
