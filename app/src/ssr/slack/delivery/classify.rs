//! What a failed delivery step means for its outbox row: wait for Slack's `Retry-After`, try
//! again later with backoff, look in the DM before posting again (the post may have landed), or
//! give up and show an admin why. Pure and unit-tested.

use crate::ssr::slack::SlackError;

/// What to do after a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// HTTP 429: pause the method for this many seconds; nothing was done.
    RateLimited(u64),
    /// Slack refused for a reason that will not go away by itself (the code, for admins).
    Permanent(String),
    /// Slack said no, but it may work later (its `ok:false` codes for outages): retry with backoff.
    Retry(String),
    /// No clear answer (timeout, 5xx, connection lost): the call may have taken effect. A post
    /// is looked for in the DM before it is sent again.
    Uncertain(String),
}

/// Slack's `ok:false` codes that mean "try again later".
const TRANSIENT_CODES: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "ratelimited",
    "rate_limited",
    "team_added_to_org",
];

/// Classifies `error`. Any other `ok:false` code is permanent: Slack looked at the call and
/// refused it (`user_not_found`, `account_inactive`, `channel_not_found`, `is_archived`,
/// `cannot_dm_bot`, `user_disabled`, `missing_scope`, `invalid_auth`, `token_revoked`,
/// `invalid_blocks`, …), and the same call would be refused again.
pub fn classify(error: &SlackError) -> Verdict {
    match error {
        SlackError::RateLimited(secs) => Verdict::RateLimited(*secs),
        SlackError::Api(code) if TRANSIENT_CODES.contains(&code.as_str()) => {
            Verdict::Retry(code.clone())
        }
        SlackError::Api(code) => Verdict::Permanent(code.clone()),
        SlackError::Timeout
        | SlackError::Unreachable
        | SlackError::Http(_)
        | SlackError::BadResponse => Verdict::Uncertain(error.code()),
    }
}

/// Attempts after which a row that keeps failing is given up on (`gave_up`): with
/// [`backoff_ms`] that is about two hours of trying.
pub const MAX_ATTEMPTS: i64 = 12;

/// How long to wait before attempt `attempts + 1`: 2 s doubling, at most 30 minutes.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    (2_000_i64.saturating_mul(1_i64 << exponent)).min(30 * 60 * 1_000)
}

/// The reason codes a failed row can carry besides Slack's own, and what each means to an
/// admin (Settings > Notifications lists failed deliveries with this text).
pub fn describe(reason: &str) -> String {
    let text = match reason {
        "not_linked" => {
            "This person has no Slack account Latch can find (no Slack user with their email in a connected workspace, or their Latch account is not active)"
        }
        "user_not_found" | "users_not_found" => "Slack does not know this person",
        "user_disabled" | "account_inactive" => "The Slack account is deactivated",
        "cannot_dm_bot" => "The Slack account is a bot, which cannot get direct messages",
        "channel_not_found" => "The direct message channel no longer exists",
        "is_archived" => "The direct message channel is archived",
        "messages_tab_disabled" => "This person's Messages tab with Latch is turned off",
        "missing_scope" => {
            "The Slack app lacks a permission delivery needs: Reinstall it from the Slack section above"
        }
        "invalid_auth" | "token_revoked" | "not_authed" | "account_inactive_token" => {
            "Slack refused Latch's token: reconnect the workspace"
        }
        "object_missing" => "What the notification was about no longer exists",
        "gave_up" => "Slack kept failing; Latch stopped trying",
        "invalid_blocks" | "invalid_blocks_format" | "msg_too_long" | "msg_blocks_too_long" => {
            "Slack refused the message's content"
        }
        _ => "Slack refused the message",
    };
    text.to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_429_waits_for_retry_after() {
        assert_eq!(
            classify(&SlackError::RateLimited(7)),
            Verdict::RateLimited(7)
        );
    }

    #[test]
    fn refusals_about_the_person_or_channel_are_permanent() {
        for code in [
            "user_not_found",
            "account_inactive",
            "channel_not_found",
            "is_archived",
            "cannot_dm_bot",
            "user_disabled",
            "missing_scope",
            "invalid_blocks",
        ] {
            assert_eq!(
                classify(&SlackError::Api(code.into())),
                Verdict::Permanent(code.into()),
                "{code}"
            );
        }
    }

    #[test]
    fn slack_outages_in_ok_false_are_retried() {
        for code in ["internal_error", "fatal_error", "service_unavailable"] {
            assert_eq!(
                classify(&SlackError::Api(code.into())),
                Verdict::Retry(code.into())
            );
        }
    }

    #[test]
    fn no_answer_is_uncertain_because_the_post_may_have_landed() {
        assert_eq!(
            classify(&SlackError::Timeout),
            Verdict::Uncertain("timeout".into())
        );
        assert_eq!(
            classify(&SlackError::Http(503)),
            Verdict::Uncertain("http_503".into())
        );
        assert_eq!(
            classify(&SlackError::Unreachable),
            Verdict::Uncertain("unreachable".into())
        );
    }

    #[test]
    fn backoff_doubles_from_two_seconds_up_to_half_an_hour() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(5), 32_000);
        assert_eq!(backoff_ms(11), 30 * 60 * 1_000);
        assert_eq!(backoff_ms(1_000), 30 * 60 * 1_000);
        assert_eq!(backoff_ms(0), 2_000);
    }

    #[test]
    fn every_reason_reads_as_words() {
        for reason in ["not_linked", "user_not_found", "gave_up", "something_new"] {
            let text = describe(reason);
            assert!(!text.contains('_'), "{reason}: {text}");
        }
    }
}
