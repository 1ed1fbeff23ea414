//! Who a Slack user is in Latch: a Slack user is linked to the Latch user (a `users` row: the
//! directory and the console accounts are one table) with the same email, as Slack reports it
//! (`users.info`), compared through [`Email`] (the one parser; case-insensitive). Links live in
//! `slack_user_links`, per installation, with the Slack email they were made from and when Slack
//! last confirmed them.
//!
//! Refresh rule, per link age (`now - checked_at`):
//! - younger than [`Freshness::recheck_after`]: used as stored, no call to Slack;
//! - older: re-checked with `users.info`. If Slack's email changed, the link moves to the Latch
//!   user with the new email, or is removed when there is none: an old link is never kept
//!   silently. If Slack cannot be asked (timeout, rate limit, outage) the stored link is still
//!   used while it is younger than [`Freshness::trusted_for`], and past that the person is told
//!   to try again ([`Why::SlackUnavailable`]), never shown a spinner or a 500.
//!
//! A stored link is also re-checked whenever the Latch user's email no longer equals the Slack
//! email it was made from (an admin changed it in the directory).
//!
//! Suspended and deleted Latch users never resolve to an [`Actor`], whatever their link says; the
//! roles of a linked user are those of their Latch account, as in the console.
//!
//! The reverse, for direct messages: [`Linker::slack_user_for`] finds a Latch user's Slack user
//! with `users.lookupByEmail` and keeps the answer in the same table, under the same rule.

use std::time::Duration;

use slack_morphism::prelude::{
    EmailAddress, SlackApiUsersInfoRequest, SlackApiUsersLookupByEmailRequest, SlackUser,
    SlackUserId,
};
use sqlx::Row;

use crate::domain::{Email, UserStatus};
use crate::session::CurrentUser;
use crate::ssr::access::{Actor, user_id};
use crate::ssr::clock::now_ms;
use crate::ssr::db::Db;
use crate::ssr::slack::store::Installation;
use crate::ssr::slack::{Slack, SlackApi, SlackError};
use crate::ssr::users;

/// How long a link is used without asking Slack again. A day: Slack emails rarely change, so
/// this bounds how long a changed email keeps reaching the old Latch user while costing about one
/// `users.info` call per person per day (Tier 4, far below its limit).
pub const RECHECK_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a link that is due for a re-check is still trusted when Slack cannot be asked. Three
/// days: a Slack outage or a rate-limit storm must not lock everyone out the moment their link
/// turns a day old, but a link Slack has not confirmed for that long is too old to act on.
pub const TRUSTED_FOR: Duration = Duration::from_secs(3 * 24 * 60 * 60);

/// The two windows of the refresh rule (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    pub recheck_after: Duration,
    pub trusted_for: Duration,
}

impl Default for Freshness {
    fn default() -> Self {
        Freshness {
            recheck_after: RECHECK_AFTER,
            trusted_for: TRUSTED_FOR,
        }
    }
}

/// What a stored link of this age may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAge {
    /// Use it without asking Slack.
    Fresh,
    /// Ask Slack; if Slack cannot answer, use it anyway.
    DueButTrusted,
    /// Ask Slack; if Slack cannot answer, do not use it.
    Expired,
}

impl Freshness {
    /// Classifies a link checked at `checked_at_ms` as of `now_ms` (a clock that went backwards
    /// counts as age zero).
    pub fn age_of(&self, checked_at_ms: i64, now_ms: i64) -> LinkAge {
        let age = u64::try_from(now_ms.saturating_sub(checked_at_ms)).unwrap_or(0);
        let age = Duration::from_millis(age);
        if age < self.recheck_after {
            LinkAge::Fresh
        } else if age < self.trusted_for {
            LinkAge::DueButTrusted
        } else {
            LinkAge::Expired
        }
    }
}

/// A Slack user's Latch identity.
#[derive(Debug, Clone)]
pub enum SlackIdentity {
    /// An active Latch user: act as them, with their account's roles.
    Linked { actor: Actor, user: CurrentUser },
    /// Not someone Latch will act for; [`explain`] says why and what to do.
    NotLinked(Why),
}

/// Why a Slack user is not linked to an active Latch user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Slack gives no email for them: a bot or app user, or an install without the
    /// `users:read.email` scope.
    NoEmail,
    /// Slack's email is not in the Latch directory (also an address Latch cannot parse).
    UnknownEmail(String),
    /// The matching Latch user is suspended (their name).
    Suspended(String),
    /// The matching Latch user was deleted.
    Deleted,
    /// Slack says this user is deactivated, or does not know them.
    SlackUserInactive,
    /// Slack could not be asked and there is no link recent enough to trust.
    SlackUnavailable,
}

/// The person-facing text for `why`: what happened and what to do. Short, for an ephemeral
/// message; Slack mrkdwn-safe (no formatting characters beyond the email).
pub fn explain(why: &Why) -> String {
    match why {
        Why::NoEmail => "Latch can't see an email address on your Slack profile, so it can't tell \
            who you are in Latch. Ask a Latch admin to check that the Latch app in Slack may read \
            email addresses, then try again."
            .into(),
        Why::UnknownEmail(email) => format!(
            "Your Slack email ({email}) isn't in the Latch directory. Ask a Latch admin to add \
             you ({email}) to the directory."
        ),
        Why::Suspended(name) => format!(
            "Your Latch account ({name}) is suspended, so Latch can't act for you. Ask a Latch \
             admin to reactivate it if you still need access."
        ),
        Why::Deleted => "Your Latch account was deleted, so Latch can't act for you. Ask a Latch \
            admin to add you to the directory again if you should have access."
            .into(),
        Why::SlackUserInactive => "Slack reports your account as deactivated or unknown to this \
            workspace, so Latch can't act for you. Ask your Slack admin."
            .into(),
        Why::SlackUnavailable => "Latch couldn't reach Slack to confirm who you are. Please try \
            again in a minute."
            .into(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The installation is disconnected (no token to call Slack with).
    #[error("the Slack installation is not connected")]
    NotConnected,
    /// Slack could not be asked and no stored link could stand in (reverse lookups only;
    /// [`Linker::resolve`] turns this into [`Why::SlackUnavailable`]).
    #[error(transparent)]
    Slack(#[from] SlackError),
    #[error(transparent)]
    Seal(#[from] crate::ssr::slack::crypto::SealError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Who `slack_user_id` is in Latch, for a handler holding the app state: [`Linker::resolve`]
/// with the default [`Freshness`].
pub async fn resolve(
    state: &crate::ssr::AppState,
    install: &Installation,
    slack_user_id: &str,
) -> Result<SlackIdentity, IdentityError> {
    Linker::new(&state.db, &state.slack, install)?
        .resolve(slack_user_id)
        .await
}

/// The Slack user to direct-message Latch user `latch_user_id` at in `install`:
/// [`Linker::slack_user_for`] with the default [`Freshness`].
pub async fn slack_user_for(
    state: &crate::ssr::AppState,
    install: &Installation,
    latch_user_id: i64,
) -> Result<Option<String>, IdentityError> {
    Linker::new(&state.db, &state.slack, install)?
        .slack_user_for(latch_user_id)
        .await
}

/// A stored link.
#[derive(Debug, Clone)]
struct Link {
    slack_user_id: String,
    user_id: i64,
    slack_email: String,
    checked_at: i64,
}

/// A Latch user as far as linking cares.
#[derive(Debug, Clone)]
struct LatchUser {
    id: i64,
    email: String,
    name: String,
    status: UserStatus,
}

/// Resolves Slack users of one installation to Latch users, and back.
pub struct Linker<'a> {
    db: &'a Db,
    api: &'a SlackApi,
    install_key: String,
    bot_token: String,
    freshness: Freshness,
}

impl std::fmt::Debug for Linker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linker")
            .field("install_key", &self.install_key)
            .field("freshness", &self.freshness)
            .finish_non_exhaustive()
    }
}

impl<'a> Linker<'a> {
    /// For a connected installation (its bot token is unsealed here), with the default
    /// [`Freshness`].
    pub fn new(
        db: &'a Db,
        slack: &'a Slack,
        install: &Installation,
    ) -> Result<Linker<'a>, IdentityError> {
        let bot_token = install
            .bot_token(&slack.sealer)?
            .ok_or(IdentityError::NotConnected)?;
        Ok(Linker {
            db,
            api: &slack.api,
            install_key: install.install_key.clone(),
            bot_token,
            freshness: Freshness::default(),
        })
    }

    /// The same, with other windows (tests; an operator's setting later).
    pub fn with_freshness(mut self, freshness: Freshness) -> Linker<'a> {
        self.freshness = freshness;
        self
    }

    /// Who `slack_user_id` is in Latch. Errors only for the database or a disconnected install;
    /// everything a person can be told about is a [`SlackIdentity::NotLinked`].
    pub async fn resolve(&self, slack_user_id: &str) -> Result<SlackIdentity, IdentityError> {
        let now = now_ms();
        let stored = self.link_of_slack_user(slack_user_id).await?;
        if let Some(link) = &stored {
            let user = find_user(self.db, link.user_id).await?;
            let same_email = user
                .as_ref()
                .is_some_and(|u| same_address(&u.email, &link.slack_email));
            if same_email && self.freshness.age_of(link.checked_at, now) == LinkAge::Fresh {
                return identity_of(self.db, user).await;
            }
        }
        let request = SlackApiUsersInfoRequest {
            user: SlackUserId(slack_user_id.to_string()),
            include_locale: None,
        };
        let slack_user = match self.api.users_info(&self.bot_token, &request).await {
            Ok(response) => response.user,
            Err(SlackError::Api(code)) if code == "user_not_found" => {
                self.forget_slack_user(slack_user_id).await?;
                return Ok(SlackIdentity::NotLinked(Why::SlackUserInactive));
            }
            Err(error) => {
                tracing::warn!(code = %error.code(), "users.info failed while linking a Slack user");
                return self.without_slack(stored, now).await;
            }
        };
        self.link_from_slack(slack_user_id, &slack_user, now).await
    }

    /// Slack could not be asked: a stored link still trusted stands, if its email still matches.
    async fn without_slack(
        &self,
        stored: Option<Link>,
        now: i64,
    ) -> Result<SlackIdentity, IdentityError> {
        let Some(link) = stored else {
            return Ok(SlackIdentity::NotLinked(Why::SlackUnavailable));
        };
        if self.freshness.age_of(link.checked_at, now) == LinkAge::Expired {
            return Ok(SlackIdentity::NotLinked(Why::SlackUnavailable));
        }
        let user = find_user(self.db, link.user_id).await?;
        if !user
            .as_ref()
            .is_some_and(|u| same_address(&u.email, &link.slack_email))
        {
            return Ok(SlackIdentity::NotLinked(Why::SlackUnavailable));
        }
        identity_of(self.db, user).await
    }

    /// Links (or unlinks) `slack_user_id` from what Slack just said about them.
    async fn link_from_slack(
        &self,
        slack_user_id: &str,
        slack_user: &SlackUser,
        now: i64,
    ) -> Result<SlackIdentity, IdentityError> {
        if slack_user.deleted == Some(true) {
            self.forget_slack_user(slack_user_id).await?;
            return Ok(SlackIdentity::NotLinked(Why::SlackUserInactive));
        }
        let Some(raw_email) = slack_email(slack_user) else {
            self.forget_slack_user(slack_user_id).await?;
            return Ok(SlackIdentity::NotLinked(Why::NoEmail));
        };
        let Ok(email) = Email::parse(&raw_email) else {
            self.forget_slack_user(slack_user_id).await?;
            return Ok(SlackIdentity::NotLinked(Why::UnknownEmail(
                raw_email.trim().to_lowercase(),
            )));
        };
        let Some(user) = find_user_by_email(self.db, &email).await? else {
            self.forget_slack_user(slack_user_id).await?;
            return Ok(SlackIdentity::NotLinked(Why::UnknownEmail(
                email.as_str().to_string(),
            )));
        };
        self.store_link(slack_user_id, user.id, &email, now).await?;
        identity_of(self.db, Some(user)).await
    }

    /// The Slack user id to direct-message Latch user `latch_user_id` at, if they have one in
    /// this installation. `None` for a Latch user who is not active, or whose email Slack does
    /// not know (or knows only as a deactivated user or a bot). An error when Slack cannot be
    /// asked and no trusted link stands in: the caller (the outbox) retries later.
    pub async fn slack_user_for(
        &self,
        latch_user_id: i64,
    ) -> Result<Option<String>, IdentityError> {
        let now = now_ms();
        let Some(user) = find_user(self.db, latch_user_id)
            .await?
            .filter(|u| u.status.is_active())
        else {
            return Ok(None);
        };
        let stored = self
            .link_of_latch_user(latch_user_id)
            .await?
            .filter(|link| same_address(&user.email, &link.slack_email));
        if let Some(link) = &stored
            && self.freshness.age_of(link.checked_at, now) == LinkAge::Fresh
        {
            return Ok(Some(link.slack_user_id.clone()));
        }
        let request = SlackApiUsersLookupByEmailRequest {
            email: EmailAddress(user.email.clone()),
        };
        let slack_user = match self
            .api
            .users_lookup_by_email(&self.bot_token, &request)
            .await
        {
            Ok(response) => response.user,
            Err(SlackError::Api(code)) if code == "users_not_found" => {
                self.forget_latch_user(latch_user_id).await?;
                return Ok(None);
            }
            Err(error) => {
                return match stored {
                    Some(link)
                        if self.freshness.age_of(link.checked_at, now) != LinkAge::Expired =>
                    {
                        Ok(Some(link.slack_user_id))
                    }
                    _ => Err(error.into()),
                };
            }
        };
        let usable = slack_user.deleted != Some(true)
            && slack_user.flags.is_bot != Some(true)
            && slack_email(&slack_user).is_some_and(|found| same_address(&found, &user.email));
        if !usable {
            self.forget_latch_user(latch_user_id).await?;
            return Ok(None);
        }
        let email = crate::ssr::users::directory_email(user.id, &user.email);
        self.store_link(&slack_user.id.0, user.id, &email, now)
            .await?;
        Ok(Some(slack_user.id.0))
    }

    async fn link_of_slack_user(&self, slack_user_id: &str) -> Result<Option<Link>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT slack_user_id, user_id, slack_email, checked_at FROM slack_user_links \
             WHERE install_key = $1 AND slack_user_id = $2",
        )
        .bind(&self.install_key)
        .bind(slack_user_id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    async fn link_of_latch_user(&self, latch_user_id: i64) -> Result<Option<Link>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT slack_user_id, user_id, slack_email, checked_at FROM slack_user_links \
             WHERE install_key = $1 AND user_id = $2",
        )
        .bind(&self.install_key)
        .bind(latch_user_id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// Stores `slack_user_id` ↔ `latch_user_id`, replacing any link either had in this
    /// installation (one Slack user per Latch user per installation, and the reverse). Requests
    /// of one person race to store the same link (a double click, several events at once): the
    /// insert is an upsert on the Slack user, so the later one waits and overwrites; a race on the
    /// Latch user's side (two Slack users claiming one email) breaks its unique index, and
    /// storing again settles it.
    async fn store_link(
        &self,
        slack_user_id: &str,
        latch_user_id: i64,
        email: &Email,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        match self
            .try_store_link(slack_user_id, latch_user_id, email, now)
            .await
        {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                self.try_store_link(slack_user_id, latch_user_id, email, now)
                    .await
            }
            done => done,
        }
    }

    async fn try_store_link(
        &self,
        slack_user_id: &str,
        latch_user_id: i64,
        email: &Email,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "DELETE FROM slack_user_links WHERE install_key = $1 AND (slack_user_id = $2 OR user_id = $3)",
        )
        .bind(&self.install_key)
        .bind(slack_user_id)
        .bind(latch_user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO slack_user_links (install_key, slack_user_id, user_id, slack_email, checked_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (install_key, slack_user_id) DO UPDATE SET user_id = excluded.user_id, \
                slack_email = excluded.slack_email, checked_at = excluded.checked_at",
        )
        .bind(&self.install_key)
        .bind(slack_user_id)
        .bind(latch_user_id)
        .bind(email.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    async fn forget_slack_user(&self, slack_user_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM slack_user_links WHERE install_key = $1 AND slack_user_id = $2")
            .bind(&self.install_key)
            .bind(slack_user_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    async fn forget_latch_user(&self, latch_user_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM slack_user_links WHERE install_key = $1 AND user_id = $2")
            .bind(&self.install_key)
            .bind(latch_user_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}

fn link_from_row(row: &sqlx::any::AnyRow) -> Result<Link, sqlx::Error> {
    Ok(Link {
        slack_user_id: row.try_get("slack_user_id")?,
        user_id: row.try_get("user_id")?,
        slack_email: row.try_get("slack_email")?,
        checked_at: row.try_get("checked_at")?,
    })
}

/// The email on a Slack user's profile, if any (bots have none; nor does anyone when the install
/// lacks `users:read.email`).
fn slack_email(user: &SlackUser) -> Option<String> {
    if user.flags.is_bot == Some(true) {
        return None;
    }
    user.profile
        .as_ref()
        .and_then(|p| p.email.as_ref())
        .map(|e| e.0.clone())
        .filter(|e| !e.trim().is_empty())
}

/// Two addresses name the same mailbox: compared as [`Email`] normalises them (an address the
/// parser refuses is compared as a stored account's would be).
fn same_address(a: &str, b: &str) -> bool {
    let normal = |s: &str| Email::parse(s).unwrap_or_else(|_| Email::of_stored_account(s));
    normal(a) == normal(b)
}

const USER_COLUMNS: &str = "id, email, display_name, status";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<LatchUser, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(LatchUser {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("display_name")?,
        // The column's CHECK allows only the three statuses; anything else is not active.
        status: UserStatus::parse(&status).unwrap_or(UserStatus::Suspended),
    })
}

async fn find_user(db: &Db, id: i64) -> Result<Option<LatchUser>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

async fn find_user_by_email(db: &Db, email: &Email) -> Result<Option<LatchUser>, sqlx::Error> {
    // `users.email` is stored normalised (lower case), as `Email` is.
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
    ))
    .bind(email.as_str())
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The identity of a linked Latch user: an [`Actor`] with their account's roles only while they
/// are active.
async fn identity_of(db: &Db, user: Option<LatchUser>) -> Result<SlackIdentity, IdentityError> {
    let Some(user) = user else {
        return Ok(SlackIdentity::NotLinked(Why::Deleted));
    };
    match user.status {
        UserStatus::Suspended => return Ok(SlackIdentity::NotLinked(Why::Suspended(user.name))),
        UserStatus::Deleted => return Ok(SlackIdentity::NotLinked(Why::Deleted)),
        UserStatus::Active => {}
    }
    // The roles come from the account, exactly as a console session gets them.
    let Some(account) = users::find_by_id(db, user.id).await? else {
        return Ok(SlackIdentity::NotLinked(Why::Deleted));
    };
    if !account.active {
        return Ok(SlackIdentity::NotLinked(Why::Suspended(user.name)));
    }
    Ok(SlackIdentity::Linked {
        actor: Actor::for_user(user_id(account.user.id), account.user.roles()),
        user: account.user,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const HOUR_MS: i64 = 60 * 60 * 1000;

    #[test]
    fn a_link_is_fresh_for_a_day_then_due_and_trusted_then_expired_after_three_days() {
        let rule = Freshness::default();
        let now = 1_000 * HOUR_MS;
        assert_eq!(rule.age_of(now, now), LinkAge::Fresh);
        assert_eq!(rule.age_of(now - 23 * HOUR_MS, now), LinkAge::Fresh);
        assert_eq!(rule.age_of(now - 24 * HOUR_MS, now), LinkAge::DueButTrusted);
        assert_eq!(rule.age_of(now - 71 * HOUR_MS, now), LinkAge::DueButTrusted);
        assert_eq!(rule.age_of(now - 72 * HOUR_MS, now), LinkAge::Expired);
    }

    #[test]
    fn a_link_checked_in_the_future_counts_as_fresh() {
        assert_eq!(
            Freshness::default().age_of(2 * HOUR_MS, HOUR_MS),
            LinkAge::Fresh
        );
    }

    #[test]
    fn an_unknown_email_is_explained_with_the_address_and_what_to_do() {
        let text = explain(&Why::UnknownEmail("ada@example.com".into()));
        assert!(text.contains("Ask a Latch admin to add you (ada@example.com) to the directory."));
    }

    #[test]
    fn every_reason_says_what_to_do() {
        for why in [
            Why::NoEmail,
            Why::UnknownEmail("ada@example.com".into()),
            Why::Suspended("Ada Lovelace".into()),
            Why::Deleted,
            Why::SlackUserInactive,
            Why::SlackUnavailable,
        ] {
            let text = explain(&why);
            assert!(
                text.contains("Ask") || text.contains("try again"),
                "{why:?}: {text}"
            );
        }
        assert!(explain(&Why::Suspended("Ada Lovelace".into())).contains("Ada Lovelace"));
    }

    #[test]
    fn addresses_compare_case_insensitively() {
        assert!(same_address("Ada@Example.com", "ada@example.com"));
        assert!(!same_address("ada@example.com", "ada2@example.com"));
        assert!(same_address("Ops@My_Corp.com", "ops@my_corp.com"));
    }
}
