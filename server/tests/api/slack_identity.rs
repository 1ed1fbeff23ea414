//! Who a Slack user is in Latch (`app::ssr::slack::identity`), against the stand-in: linking by
//! email, people Latch must not act for (unknown, suspended, deleted, bots), a changed email on
//! either side, the refresh rule with Slack up and down, and the reverse lookup for direct
//! messages.

use std::time::Duration;

use app::domain::Role;
use app::ssr::slack::identity::{Freshness, Linker, SlackIdentity, Why};
use app::ssr::slack::store::{self, Installation};
use app::ssr::slack::{Slack, SlackConfig};
use slack_standin::{NewUser, SlackStandin};
use sqlx::Row;

use crate::helpers::{TEST_SECRET_KEY, TestApp, spawn_app_with_slack};
use crate::slack_connect::{connect, workspace};

const HOUR_MS: i64 = 60 * 60 * 1000;

/// Latch connected to a stand-in workspace, and Latch's own Slack client for it.
struct Connected {
    app: TestApp,
    slack: SlackStandin,
    team_id: String,
    latch_slack: Slack,
    install: Installation,
}

async fn connected() -> Connected {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team_id, channel_id) = workspace(&slack, "Acme", "acme", "it-access");
    let id = connect(&app, &slack, &team_id, &channel_id).await;
    let install = store::find(&app.db, id).await.unwrap().unwrap();
    let latch_slack = Slack::new(
        SlackConfig {
            api_url: slack.api_url(),
            timeout: Duration::from_secs(2),
            ..SlackConfig::default()
        },
        TEST_SECRET_KEY,
    )
    .unwrap();
    Connected {
        app,
        slack,
        team_id,
        latch_slack,
        install,
    }
}

impl Connected {
    fn linker(&self) -> Linker<'_> {
        Linker::new(&self.app.db, &self.latch_slack, &self.install).unwrap()
    }

    /// A person in the Slack workspace; returns their Slack user id.
    fn slack_user(&self, handle: &str, email: Option<&str>) -> String {
        self.slack
            .add_user(
                &self.team_id,
                NewUser {
                    name: handle.into(),
                    email: email.map(str::to_string),
                    ..NewUser::default()
                },
            )
            .unwrap()
            .id
    }

    fn users_info_calls(&self) -> usize {
        self.slack.api_calls_to("users.info").len()
    }

    async fn links(&self) -> Vec<(String, i64, String)> {
        sqlx::query(
            "SELECT slack_user_id, user_id, slack_email FROM slack_user_links ORDER BY slack_user_id",
        )
        .fetch_all(&self.app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("slack_user_id"), r.get("user_id"), r.get("slack_email")))
        .collect()
    }

    async fn set_checked_at(&self, slack_user_id: &str, checked_at: i64) {
        sqlx::query("UPDATE slack_user_links SET checked_at = $1 WHERE slack_user_id = $2")
            .bind(checked_at)
            .bind(slack_user_id)
            .execute(&self.app.db.pool)
            .await
            .unwrap();
    }

    async fn set_status(&self, user_id: i64, status: &str) {
        sqlx::query("UPDATE users SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(user_id)
            .execute(&self.app.db.pool)
            .await
            .unwrap();
    }
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

#[track_caller]
fn linked_user_id(identity: &SlackIdentity) -> i64 {
    match identity {
        SlackIdentity::Linked { actor, user } => {
            assert_eq!(actor.id.as_str(), user.id.to_string());
            user.id
        }
        SlackIdentity::NotLinked(why) => panic!("expected a link, got {why:?}"),
    }
}

#[track_caller]
fn why_not(identity: SlackIdentity) -> Why {
    match identity {
        SlackIdentity::NotLinked(why) => why,
        SlackIdentity::Linked { user, .. } => panic!("expected no link, got {user:?}"),
    }
}

#[tokio::test]
async fn a_slack_user_is_linked_by_email_to_the_latch_user_and_acts_with_their_accounts_roles() {
    let it = connected().await;
    let ada = it
        .app
        .create_user("ada@example.com", "Ada Lovelace", Role::SuperAdmin)
        .await;
    let ada_slack = it.slack_user("ada", Some("Ada@Example.com"));

    let identity = it.linker().resolve(&ada_slack).await.unwrap();
    assert_eq!(linked_user_id(&identity), ada.id);
    let SlackIdentity::Linked { actor, user } = identity else {
        unreachable!()
    };
    assert!(actor.is_super_admin(), "the account's role comes along");
    assert_eq!(user.name, "Ada Lovelace");
    assert_eq!(
        it.links().await,
        vec![(ada_slack.clone(), ada.id, "ada@example.com".to_string())]
    );

    // A fresh link is used without asking Slack again.
    let calls = it.users_info_calls();
    assert_eq!(
        linked_user_id(&it.linker().resolve(&ada_slack).await.unwrap()),
        ada.id
    );
    assert_eq!(it.users_info_calls(), calls);
}

#[tokio::test]
async fn a_directory_user_without_a_console_password_is_linked_as_a_basic_user() {
    let it = connected().await;
    let row = sqlx::query(
        "INSERT INTO users (email, display_name, role, status, created_at, updated_at) \
         VALUES ('grace@example.com', 'Grace Hopper', 'user', 'active', 0, 0) RETURNING id",
    )
    .fetch_one(&it.app.db.pool)
    .await
    .unwrap();
    let grace: i64 = row.get("id");
    let grace_slack = it.slack_user("grace", Some("grace@example.com"));

    let identity = it.linker().resolve(&grace_slack).await.unwrap();
    assert_eq!(linked_user_id(&identity), grace);
    let SlackIdentity::Linked { actor, .. } = identity else {
        unreachable!()
    };
    assert!(!actor.is_super_admin());
}

#[tokio::test]
async fn a_slack_email_unknown_to_latch_is_not_linked_and_the_reason_names_the_email() {
    let it = connected().await;
    let stranger = it.slack_user("stranger", Some("Stranger@Example.com"));

    let why = why_not(it.linker().resolve(&stranger).await.unwrap());
    assert_eq!(why, Why::UnknownEmail("stranger@example.com".into()));
    assert!(
        app::ssr::slack::identity::explain(&why)
            .contains("Ask a Latch admin to add you (stranger@example.com) to the directory.")
    );
    assert!(it.links().await.is_empty());
}

#[tokio::test]
async fn a_suspended_or_deleted_latch_user_never_resolves_to_an_actor() {
    let it = connected().await;
    let ada = it
        .app
        .create_user("ada@example.com", "Ada Lovelace", Role::SuperAdmin)
        .await;
    let ada_slack = it.slack_user("ada", Some("ada@example.com"));
    linked_user_id(&it.linker().resolve(&ada_slack).await.unwrap());

    // The link is fresh, yet the status is read every time.
    it.set_status(ada.id, "suspended").await;
    assert_eq!(
        why_not(it.linker().resolve(&ada_slack).await.unwrap()),
        Why::Suspended("Ada Lovelace".into())
    );
    it.set_status(ada.id, "deleted").await;
    assert_eq!(
        why_not(it.linker().resolve(&ada_slack).await.unwrap()),
        Why::Deleted
    );

    // And when first met, too.
    let bob = it
        .app
        .create_user("bob@example.com", "Bob", Role::BasicUser)
        .await;
    it.set_status(bob.id, "suspended").await;
    let bob_slack = it.slack_user("bob", Some("bob@example.com"));
    assert_eq!(
        why_not(it.linker().resolve(&bob_slack).await.unwrap()),
        Why::Suspended("Bob".into())
    );
}

#[tokio::test]
async fn a_changed_slack_email_moves_the_link_to_the_latch_user_with_the_new_email() {
    let it = connected().await;
    let ada = it
        .app
        .create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let bob = it
        .app
        .create_user("bob@example.com", "Bob", Role::BasicUser)
        .await;
    let slack_user = it.slack_user("ada", Some("ada@example.com"));
    // Linked back when Slack said this was bob@example.com; Slack now says ada@example.com.
    sqlx::query(
        "INSERT INTO slack_user_links (install_key, slack_user_id, user_id, slack_email, checked_at) \
         VALUES ($1, $2, $3, 'bob@example.com', $4)",
    )
    .bind(&it.install.install_key)
    .bind(&slack_user)
    .bind(bob.id)
    .bind(now_ms() - 25 * HOUR_MS)
    .execute(&it.app.db.pool)
    .await
    .unwrap();

    assert_eq!(
        linked_user_id(&it.linker().resolve(&slack_user).await.unwrap()),
        ada.id
    );
    assert_eq!(
        it.links().await,
        vec![(slack_user, ada.id, "ada@example.com".to_string())]
    );
}

#[tokio::test]
async fn a_changed_slack_email_unknown_to_latch_removes_the_link() {
    let it = connected().await;
    let bob = it
        .app
        .create_user("bob@example.com", "Bob", Role::BasicUser)
        .await;
    let slack_user = it.slack_user("zed", Some("zed@example.com"));
    sqlx::query(
        "INSERT INTO slack_user_links (install_key, slack_user_id, user_id, slack_email, checked_at) \
         VALUES ($1, $2, $3, 'bob@example.com', $4)",
    )
    .bind(&it.install.install_key)
    .bind(&slack_user)
    .bind(bob.id)
    .bind(now_ms() - 25 * HOUR_MS)
    .execute(&it.app.db.pool)
    .await
    .unwrap();

    assert_eq!(
        why_not(it.linker().resolve(&slack_user).await.unwrap()),
        Why::UnknownEmail("zed@example.com".into())
    );
    assert!(it.links().await.is_empty());
}

#[tokio::test]
async fn a_latch_email_changed_in_the_directory_does_not_keep_a_fresh_link() {
    let it = connected().await;
    let ada = it
        .app
        .create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let ada_slack = it.slack_user("ada", Some("ada@example.com"));
    linked_user_id(&it.linker().resolve(&ada_slack).await.unwrap());

    sqlx::query("UPDATE users SET email = 'ada.new@example.com' WHERE id = $1")
        .bind(ada.id)
        .execute(&it.app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        why_not(it.linker().resolve(&ada_slack).await.unwrap()),
        Why::UnknownEmail("ada@example.com".into())
    );
    assert!(it.links().await.is_empty());
}

#[tokio::test]
async fn a_stale_link_is_rechecked_with_slack_and_refreshed() {
    let it = connected().await;
    let ada = it
        .app
        .create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let ada_slack = it.slack_user("ada", Some("ada@example.com"));
    linked_user_id(&it.linker().resolve(&ada_slack).await.unwrap());
    let calls = it.users_info_calls();

    // A short window makes the link stale at once.
    let impatient = it.linker().with_freshness(Freshness {
        recheck_after: Duration::ZERO,
        trusted_for: Duration::from_secs(60),
    });
    it.set_checked_at(&ada_slack, now_ms() - 1_000).await;
    assert_eq!(
        linked_user_id(&impatient.resolve(&ada_slack).await.unwrap()),
        ada.id
    );
    assert_eq!(it.users_info_calls(), calls + 1);

    // The same with the default day, by ageing the row.
    it.set_checked_at(&ada_slack, now_ms() - 25 * HOUR_MS).await;
    assert_eq!(
        linked_user_id(&it.linker().resolve(&ada_slack).await.unwrap()),
        ada.id
    );
    assert_eq!(it.users_info_calls(), calls + 2);
    let checked_at: i64 = sqlx::query("SELECT checked_at FROM slack_user_links")
        .fetch_one(&it.app.db.pool)
        .await
        .unwrap()
        .get("checked_at");
    assert!(checked_at > now_ms() - HOUR_MS, "the re-check is recorded");
}

#[tokio::test]
async fn when_slack_fails_a_due_link_is_still_used_but_an_expired_or_missing_one_asks_to_try_again()
{
    let it = connected().await;
    let ada = it
        .app
        .create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let ada_slack = it.slack_user("ada", Some("ada@example.com"));
    let bob_slack = it.slack_user("bob", Some("bob@example.com"));
    linked_user_id(&it.linker().resolve(&ada_slack).await.unwrap());
    it.slack
        .fail_with_server_error(Some("users.info"), 100, 500);

    it.set_checked_at(&ada_slack, now_ms() - 25 * HOUR_MS).await;
    assert_eq!(
        linked_user_id(&it.linker().resolve(&ada_slack).await.unwrap()),
        ada.id
    );

    it.set_checked_at(&ada_slack, now_ms() - 73 * HOUR_MS).await;
    assert_eq!(
        why_not(it.linker().resolve(&ada_slack).await.unwrap()),
        Why::SlackUnavailable
    );
    assert_eq!(
        why_not(it.linker().resolve(&bob_slack).await.unwrap()),
        Why::SlackUnavailable
    );
    assert_eq!(it.links().await.len(), 1, "an outage removes no link");
}

#[tokio::test]
async fn a_slack_user_without_an_email_or_a_bot_is_not_linked() {
    let it = connected().await;
    let no_email = it.slack_user("guest", None);
    assert_eq!(
        why_not(it.linker().resolve(&no_email).await.unwrap()),
        Why::NoEmail
    );
    assert_eq!(
        why_not(it.linker().resolve(&it.install.bot_user_id).await.unwrap()),
        Why::NoEmail
    );
    assert!(it.links().await.is_empty());
}

#[tokio::test]
async fn a_deactivated_slack_user_loses_their_link() {
    let it = connected().await;
    it.app
        .create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let ada_slack = it.slack_user("ada", Some("ada@example.com"));
    linked_user_id(&it.linker().resolve(&ada_slack).await.unwrap());
    it.slack.deactivate_user(&ada_slack).unwrap();
    it.set_checked_at(&ada_slack, now_ms() - 25 * HOUR_MS).await;

    assert_eq!(
        why_not(it.linker().resolve(&ada_slack).await.unwrap()),
        Why::SlackUserInactive
    );
    assert!(it.links().await.is_empty());
}

#[tokio::test]
async fn a_latch_user_is_found_in_slack_for_direct_messages_and_the_link_is_kept() {
    let it = connected().await;
    let ada = it
        .app
        .create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let ada_slack = it.slack_user("ada", Some("ADA@example.com"));
    let absent = it
        .app
        .create_user("absent@example.com", "Absent", Role::BasicUser)
        .await;

    assert_eq!(
        it.linker().slack_user_for(ada.id).await.unwrap(),
        Some(ada_slack.clone())
    );
    assert_eq!(
        it.links().await,
        vec![(ada_slack.clone(), ada.id, "ada@example.com".to_string())]
    );
    // The stored link serves both directions without another call.
    let lookups = it.slack.api_calls_to("users.lookupByEmail").len();
    let calls = it.users_info_calls();
    assert_eq!(
        it.linker().slack_user_for(ada.id).await.unwrap(),
        Some(ada_slack.clone())
    );
    assert_eq!(
        linked_user_id(&it.linker().resolve(&ada_slack).await.unwrap()),
        ada.id
    );
    assert_eq!(it.slack.api_calls_to("users.lookupByEmail").len(), lookups);
    assert_eq!(it.users_info_calls(), calls);

    assert_eq!(it.linker().slack_user_for(absent.id).await.unwrap(), None);
    it.set_status(ada.id, "suspended").await;
    assert_eq!(it.linker().slack_user_for(ada.id).await.unwrap(), None);
}

#[tokio::test]
async fn concurrent_first_resolves_of_one_person_all_link_them_once() {
    let it = connected().await;
    let ada = it
        .app
        .create_user("ada@example.com", "Ada", Role::BasicUser)
        .await;
    let ada_slack = it.slack_user("ada", Some("ada@example.com"));
    let (a, b, c, d) = tokio::join!(
        async { it.linker().resolve(&ada_slack).await.unwrap() },
        async { it.linker().resolve(&ada_slack).await.unwrap() },
        async { it.linker().slack_user_for(ada.id).await.unwrap() },
        async { it.linker().resolve(&ada_slack).await.unwrap() },
    );
    for identity in [a, b, d] {
        assert_eq!(linked_user_id(&identity), ada.id);
    }
    assert_eq!(c, Some(ada_slack.clone()));
    assert_eq!(
        it.links().await,
        vec![(ada_slack, ada.id, "ada@example.com".to_string())]
    );
}
