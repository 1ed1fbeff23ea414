//! The Slack Web API client (`app::ssr::slack::api::SlackApi`, a wrapper over slack-morphism)
//! against the stand-in: each method Latch calls, Slack's `ok:false` codes, a 429's
//! `Retry-After` and a slow Slack. No Latch server or database is involved.

use std::time::{Duration, Instant};

use app::ssr::slack::SlackError;
use app::ssr::slack::api::slack_morphism::prelude::*;
use app::ssr::slack::api::{AuthRevokeRequest, SlackApi};
use slack_standin::{NewUser, SlackStandin, StandinConfig};

use crate::helpers::{SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET};

/// A workspace with the app installed (every scope Latch asks for), one person in it and a
/// channel the bot is a member of.
struct Workspace {
    slack: SlackStandin,
    api: SlackApi,
    team_id: String,
    bot_token: String,
    alice_id: String,
    channel_id: String,
}

async fn workspace_with_timeout(timeout: Duration) -> Workspace {
    let slack = SlackStandin::start(StandinConfig::new(
        SLACK_CLIENT_ID,
        SLACK_CLIENT_SECRET,
        SLACK_SIGNING_SECRET,
    ))
    .await
    .expect("start the Slack stand-in");
    let team = slack.add_workspace("Acme", "acme").expect("workspace");
    let alice = slack
        .add_user(&team.id, NewUser::new("alice", "alice@acme.test"))
        .expect("alice");
    let tokens = slack
        .install(&team.id, app::ssr::slack::BOT_SCOPES)
        .expect("install");
    let channel = slack
        .add_channel(
            &team.id,
            "access-requests",
            false,
            &[&alice.id, &tokens.bot_user_id],
        )
        .expect("channel");
    let api = SlackApi::new(&slack.api_url(), timeout).expect("client");
    Workspace {
        api,
        team_id: team.id,
        bot_token: tokens.bot_token,
        alice_id: alice.id,
        channel_id: channel.id,
        slack,
    }
}

async fn workspace() -> Workspace {
    workspace_with_timeout(Duration::from_secs(2)).await
}

fn text(value: &str) -> SlackMessageContent {
    SlackMessageContent::new().with_text(value.to_string())
}

fn modal(title: &str, body: &str) -> SlackView {
    SlackView::Modal(SlackModalView::new(
        SlackBlockPlainText::new(title.to_string()).into(),
        vec![
            SlackSectionBlock::new()
                .with_text(SlackBlockMarkDownText::new(body.to_string()).into())
                .into(),
        ],
    ))
}

#[tokio::test]
async fn chat_post_message_posts_to_the_channel_and_returns_its_ts() {
    let w = workspace().await;
    let posted = w
        .api
        .chat_post_message(
            &w.bot_token,
            &SlackApiChatPostMessageRequest::new(w.channel_id.clone().into(), text("Hello")),
        )
        .await
        .expect("posted");
    let messages = w.slack.messages(&w.channel_id);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].ts, posted.ts.to_string());
    assert_eq!(messages[0].text, "Hello");
}

#[tokio::test]
async fn chat_update_replaces_a_posted_message_and_an_unknown_ts_is_message_not_found() {
    let w = workspace().await;
    let channel: SlackChannelId = w.channel_id.clone().into();
    let posted = w
        .api
        .chat_post_message(
            &w.bot_token,
            &SlackApiChatPostMessageRequest::new(channel.clone(), text("Pending")),
        )
        .await
        .expect("posted");
    let updated = w
        .api
        .chat_update(
            &w.bot_token,
            &SlackApiChatUpdateRequest::new(channel.clone(), text("Approved"), posted.ts.clone()),
        )
        .await
        .expect("updated");
    assert_eq!(updated.ts, posted.ts);
    assert_eq!(updated.channel, channel);
    assert_eq!(w.slack.messages(&w.channel_id)[0].text, "Approved");

    let missing = w
        .api
        .chat_update(
            &w.bot_token,
            &SlackApiChatUpdateRequest::new(channel, text("Nope"), "1.000001".to_string().into()),
        )
        .await;
    assert_eq!(
        missing.err(),
        Some(SlackError::Api("message_not_found".into()))
    );
}

#[tokio::test]
async fn chat_post_ephemeral_shows_the_message_to_one_person_and_returns_its_message_ts() {
    let w = workspace().await;
    let answer = w
        .api
        .chat_post_ephemeral(
            &w.bot_token,
            &SlackApiChatPostEphemeralRequest::new(
                w.channel_id.clone().into(),
                w.alice_id.clone().into(),
                text("Only you can see this"),
            ),
        )
        .await
        .expect("posted");
    let ephemerals = w.slack.ephemerals();
    assert_eq!(ephemerals.len(), 1);
    assert_eq!(ephemerals[0].message_ts, answer.message_ts.to_string());
    assert_eq!(ephemerals[0].user, w.alice_id);
    assert_eq!(ephemerals[0].text, "Only you can see this");
}

#[tokio::test]
async fn views_open_opens_a_modal_and_views_update_needs_the_current_hash() {
    let w = workspace().await;
    let trigger = w.slack.issue_trigger_id(&w.team_id, &w.alice_id);
    let opened = w
        .api
        .views_open(
            &w.bot_token,
            &SlackApiViewsOpenRequest::new(trigger.clone().into(), modal("Request", "Loading…")),
        )
        .await
        .expect("opened");
    let view_id = opened.view.state_params.id.clone();
    let first_hash = opened.view.state_params.hash.clone();
    assert_eq!(
        w.slack.top_modal(&w.alice_id).map(|v| v.id),
        Some(view_id.to_string())
    );

    let updated = w
        .api
        .views_update(
            &w.bot_token,
            &SlackApiViewsUpdateRequest::new(modal("Request", "Pick a resource"))
                .with_view_id(view_id.clone())
                .with_hash(first_hash.clone()),
        )
        .await
        .expect("updated with the current hash");
    assert_eq!(updated.view.state_params.id, view_id);
    assert_ne!(updated.view.state_params.hash, first_hash);

    let stale = w
        .api
        .views_update(
            &w.bot_token,
            &SlackApiViewsUpdateRequest::new(modal("Request", "Too late"))
                .with_view_id(view_id)
                .with_hash(first_hash),
        )
        .await;
    assert_eq!(stale.err(), Some(SlackError::Api("hash_conflict".into())));

    let reused = w
        .api
        .views_open(
            &w.bot_token,
            &SlackApiViewsOpenRequest::new(trigger.into(), modal("Request", "Again")),
        )
        .await;
    assert!(
        matches!(&reused, Err(SlackError::Api(code)) if code.ends_with("trigger_id")),
        "{reused:?}"
    );
}

#[tokio::test]
async fn views_publish_sets_a_persons_app_home() {
    let w = workspace().await;
    let published = w
        .api
        .views_publish(
            &w.bot_token,
            &SlackApiViewsPublishRequest::new(
                w.alice_id.clone().into(),
                SlackView::Home(SlackHomeView::new(vec![
                    SlackSectionBlock::new()
                        .with_text(SlackBlockMarkDownText::new("Your access".into()).into())
                        .into(),
                ])),
            ),
        )
        .await
        .expect("published");
    let home = w.slack.home_view(&w.alice_id).expect("a home view");
    assert_eq!(home.id, published.view.state_params.id.to_string());
}

#[tokio::test]
async fn users_lookup_by_email_finds_the_person_and_an_unknown_address_is_users_not_found() {
    let w = workspace().await;
    let found = w
        .api
        .users_lookup_by_email(
            &w.bot_token,
            &SlackApiUsersLookupByEmailRequest::new(EmailAddress("alice@acme.test".into())),
        )
        .await
        .expect("found");
    assert_eq!(found.user.id.to_string(), w.alice_id);

    let unknown = w
        .api
        .users_lookup_by_email(
            &w.bot_token,
            &SlackApiUsersLookupByEmailRequest::new(EmailAddress("nobody@acme.test".into())),
        )
        .await;
    assert_eq!(
        unknown.err(),
        Some(SlackError::Api("users_not_found".into()))
    );
}

#[tokio::test]
async fn users_info_returns_the_person_and_an_unknown_id_is_user_not_found() {
    let w = workspace().await;
    let info = w
        .api
        .users_info(
            &w.bot_token,
            &SlackApiUsersInfoRequest::new(w.alice_id.clone().into()),
        )
        .await
        .expect("info");
    assert_eq!(info.user.id.to_string(), w.alice_id);
    assert_eq!(info.user.name.as_deref(), Some("alice"));

    let unknown = w
        .api
        .users_info(
            &w.bot_token,
            &SlackApiUsersInfoRequest::new("U0NOBODY".to_string().into()),
        )
        .await;
    assert_eq!(
        unknown.err(),
        Some(SlackError::Api("user_not_found".into()))
    );
}

#[tokio::test]
async fn conversations_open_gives_the_same_direct_message_each_time() {
    let w = workspace().await;
    let request =
        SlackApiConversationsOpenRequest::new().with_users(vec![w.alice_id.clone().into()]);
    let first = w
        .api
        .conversations_open(&w.bot_token, &request)
        .await
        .expect("opened");
    let again = w
        .api
        .conversations_open(&w.bot_token, &request)
        .await
        .expect("opened again");
    assert_eq!(first.channel.id, again.channel.id);
    assert!(first.channel.id.to_string().starts_with('D'));
    let dm = w
        .slack
        .channel(first.channel.id.as_ref())
        .expect("the DM exists");
    assert!(dm.is_im);
}

#[tokio::test]
async fn auth_revoke_revokes_the_token_and_calls_with_it_then_answer_token_revoked() {
    let w = workspace().await;
    let revoked = w
        .api
        .auth_revoke(&w.bot_token, &AuthRevokeRequest::default())
        .await
        .expect("revoked");
    assert!(revoked.revoked);
    let after = w
        .api
        .users_info(
            &w.bot_token,
            &SlackApiUsersInfoRequest::new(w.alice_id.clone().into()),
        )
        .await;
    assert!(
        matches!(&after, Err(SlackError::Api(code)) if code == "token_revoked" || code == "invalid_auth"),
        "{after:?}"
    );
}

#[tokio::test]
async fn a_rate_limit_with_a_long_retry_after_is_surfaced_with_its_seconds_and_not_retried() {
    let w = workspace().await;
    w.slack
        .fail_with_rate_limit(Some("users.lookupByEmail"), 1, 30);
    let started = Instant::now();
    let answer = w
        .api
        .users_lookup_by_email(
            &w.bot_token,
            &SlackApiUsersLookupByEmailRequest::new(EmailAddress("alice@acme.test".into())),
        )
        .await;
    assert_eq!(answer.err(), Some(SlackError::RateLimited(30)));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(w.slack.api_calls_to("users.lookupByEmail").len(), 1);
}

#[tokio::test]
async fn a_short_retry_after_is_waited_out_once_and_a_second_429_is_surfaced() {
    let w = workspace().await;
    let lookup = SlackApiUsersLookupByEmailRequest::new(EmailAddress("alice@acme.test".into()));

    w.slack
        .fail_with_rate_limit(Some("users.lookupByEmail"), 1, 1);
    let started = Instant::now();
    let found = w
        .api
        .users_lookup_by_email(&w.bot_token, &lookup)
        .await
        .expect("found after waiting out the Retry-After");
    assert_eq!(found.user.id.to_string(), w.alice_id);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(w.slack.api_calls_to("users.lookupByEmail").len(), 2);

    w.slack
        .fail_with_rate_limit(Some("users.lookupByEmail"), 2, 1);
    let answer = w.api.users_lookup_by_email(&w.bot_token, &lookup).await;
    assert_eq!(answer.err(), Some(SlackError::RateLimited(1)));
    assert_eq!(w.slack.api_calls_to("users.lookupByEmail").len(), 4);
}

#[tokio::test]
async fn a_slow_slack_times_out_within_the_configured_bound() {
    let w = workspace_with_timeout(Duration::from_millis(500)).await;
    w.slack
        .add_latency(Some("views.publish"), Duration::from_secs(5), None);
    let started = Instant::now();
    let answer = w
        .api
        .views_publish(
            &w.bot_token,
            &SlackApiViewsPublishRequest::new(
                w.alice_id.clone().into(),
                SlackView::Home(SlackHomeView::new(vec![])),
            ),
        )
        .await;
    assert_eq!(answer.err(), Some(SlackError::Timeout));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_unreachable_slack_is_reported_as_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr");
    drop(listener);
    let api =
        SlackApi::new(&format!("http://{address}/api"), Duration::from_secs(2)).expect("client");
    let answer = api
        .users_info(
            "xoxb-not-used",
            &SlackApiUsersInfoRequest::new("U0ALICE".to_string().into()),
        )
        .await;
    assert_eq!(answer.err(), Some(SlackError::Unreachable));
}
