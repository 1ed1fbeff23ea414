//! The stand-in held to Slack's published contracts: error codes per method
//! from the OpenAPI spec excerpt (tests/fixtures), response field names, and
//! Block Kit limits (slack.md §3.4).

use crate::{assert_error, env};
use serde_json::{Value, json};
use slack_standin::limits::{self, ViewError};

fn spec() -> Value {
    serde_json::from_str(include_str!("../fixtures/slack_web_openapi_v2_errors.json")).unwrap()
}

fn allowed(method: &str, code: &str) -> bool {
    let s = spec();
    let common = [
        "not_authed",
        "invalid_auth",
        "token_revoked",
        "account_inactive",
        "missing_scope",
        "invalid_arguments",
        "ratelimited",
    ];
    common.contains(&code)
        || [&s["methods"][method], &s["newer_docs"][method]]
            .iter()
            .any(|list| list.as_array().is_some_and(|l| l.iter().any(|c| c == code)))
}

/// Provokes errors over HTTP and checks each code is one Slack documents for that method.
#[tokio::test]
async fn every_error_the_stand_in_returns_is_documented_for_its_method() {
    let e = env().await;
    let private = e
        .call(
            "conversations.create",
            &[("name", "priv"), ("is_private", "true")],
        )
        .await["channel"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "chat.postMessage",
            vec![("channel", e.general.id.clone()), ("text", "x".into())],
        ),
        (
            "chat.postMessage",
            vec![("channel", "C0NOPE0000".into()), ("text", "x".into())],
        ),
        ("chat.postMessage", vec![("channel", private.clone())]),
        (
            "chat.update",
            vec![
                ("channel", private.clone()),
                ("ts", "1.1".into()),
                ("text", "x".into()),
            ],
        ),
        (
            "chat.postEphemeral",
            vec![
                ("channel", private.clone()),
                ("user", e.carol.id.clone()),
                ("text", "x".into()),
            ],
        ),
        ("conversations.create", vec![("name", "UPPER".into())]),
        ("conversations.create", vec![("name", "priv".into())]),
        ("conversations.join", vec![("channel", private.clone())]),
        (
            "conversations.archive",
            vec![("channel", e.general.id.clone())],
        ),
        (
            "conversations.archive",
            vec![("channel", e.it_access.id.clone())],
        ),
        (
            "conversations.setPurpose",
            vec![("channel", private.clone()), ("purpose", "p".repeat(300))],
        ),
        (
            "conversations.invite",
            vec![("channel", private.clone()), ("users", e.bot_user.clone())],
        ),
        (
            "users.lookupByEmail",
            vec![("email", "ghost@acme.test".into())],
        ),
        ("users.info", vec![("user", "U0GHOST000".into())]),
        (
            "pins.add",
            vec![("channel", private.clone()), ("timestamp", "nope".into())],
        ),
        ("conversations.list", vec![("cursor", "zzz".into())]),
    ];
    for (method, args) in cases {
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = e.call(method, &args).await;
        assert_eq!(r["ok"], false, "{method} {args:?} should fail: {r}");
        let code = r["error"].as_str().unwrap();
        assert!(
            allowed(method, code),
            "{method} returned undocumented error {code}"
        );
    }
}

#[tokio::test]
async fn conversation_objects_carry_the_fields_clients_require() {
    let e = env().await;
    let r = e
        .call("conversations.info", &[("channel", &e.general.id)])
        .await;
    let ch = r["channel"].as_object().unwrap();
    for key in [
        "id",
        "name",
        "name_normalized",
        "created",
        "creator",
        "is_channel",
        "is_group",
        "is_im",
        "is_mpim",
        "is_private",
        "is_archived",
        "is_general",
        "is_shared",
        "is_ext_shared",
        "is_org_shared",
        "is_member",
        "topic",
        "purpose",
        "previous_names",
    ] {
        assert!(ch.contains_key(key), "conversation object lacks {key}");
    }
    assert!(
        ch["created"].is_i64(),
        "slack-morphism requires an integer created"
    );
}

#[tokio::test]
async fn user_objects_carry_the_fields_clients_require() {
    let e = env().await;
    let r = e.call("users.info", &[("user", &e.alice.id)]).await;
    let u = r["user"].as_object().unwrap();
    for key in [
        "id",
        "team_id",
        "name",
        "real_name",
        "deleted",
        "tz",
        "tz_offset",
        "is_admin",
        "is_owner",
        "is_bot",
        "is_app_user",
        "is_restricted",
        "is_ultra_restricted",
        "updated",
        "profile",
    ] {
        assert!(u.contains_key(key), "user object lacks {key}");
    }
    assert_eq!(u["profile"]["email"], "alice@acme.test");
}

#[tokio::test]
async fn view_objects_carry_id_team_id_hash_type_and_blocks() {
    let e = env().await;
    let r = e
        .call_json(
            "views.publish",
            json!({"user_id": e.alice.id, "view": {"type": "home", "blocks": []}}),
        )
        .await;
    let v = r["view"].as_object().unwrap();
    for key in [
        "id",
        "team_id",
        "type",
        "blocks",
        "private_metadata",
        "callback_id",
        "state",
        "hash",
        "clear_on_close",
        "notify_on_close",
        "root_view_id",
        "previous_view_id",
        "app_id",
        "external_id",
        "app_installed_team_id",
        "bot_id",
    ] {
        assert!(v.contains_key(key), "view object lacks {key}");
    }
}

#[test]
fn block_kit_limits_match_slacks_published_numbers() {
    assert_eq!(limits::MESSAGE_MAX_BLOCKS, 50);
    assert_eq!(limits::VIEW_MAX_BLOCKS, 100);
    assert_eq!(limits::VIEW_MAX_BYTES, 250_000);
    assert_eq!(limits::UPDATE_TEXT_MAX, 4_000);
    assert_eq!(limits::MARKDOWN_TEXT_MAX, 12_000);
    assert_eq!(limits::PURPOSE_MAX, 250);
    assert_eq!(limits::CHANNEL_NAME_MAX, 80);
    assert_eq!(limits::INVITE_MAX_USERS, 1000);
}

fn pt(text: &str) -> Value {
    json!({"type": "plain_text", "text": text})
}

fn rejects(blocks: Value) -> bool {
    limits::validate_message_blocks(blocks.as_array().unwrap()).is_err()
}

#[test]
fn per_element_limits_are_enforced_at_their_boundaries() {
    let section =
        |n: usize| json!([{"type": "section", "text": {"type": "mrkdwn", "text": "s".repeat(n)}}]);
    assert!(!rejects(section(3000)) && rejects(section(3001)));
    let header = |n: usize| json!([{"type": "header", "text": pt(&"h".repeat(n))}]);
    assert!(!rejects(header(150)) && rejects(header(151)));
    assert!(
        rejects(json!([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}])),
        "header is plain_text only"
    );
    let fields = |n: usize| json!([{"type": "section", "fields": (0..n).map(|_| json!({"type": "mrkdwn", "text": "f"})).collect::<Vec<_>>()}]);
    assert!(!rejects(fields(10)) && rejects(fields(11)));
    let actions = |n: usize| json!([{"type": "actions", "elements": (0..n).map(|i| json!({"type": "button", "action_id": format!("a{i}"), "text": pt("b")})).collect::<Vec<_>>()}]);
    assert!(!rejects(actions(25)) && rejects(actions(26)));
    let context = |n: usize| json!([{"type": "context", "elements": (0..n).map(|_| json!({"type": "mrkdwn", "text": "c"})).collect::<Vec<_>>()}]);
    assert!(!rejects(context(10)) && rejects(context(11)));
    let overflow = |n: usize| {
        json!([{"type": "actions", "elements": [{"type": "overflow", "action_id": "o", "options":
        (0..n).map(|i| json!({"text": pt("o"), "value": format!("{i}")})).collect::<Vec<_>>()}]}])
    };
    assert!(!rejects(overflow(5)) && rejects(overflow(6)));
    let option_value = |n: usize| json!([{"type": "actions", "elements": [{"type": "static_select", "action_id": "s", "options": [{"text": pt("o"), "value": "v".repeat(n)}]}]}]);
    assert!(!rejects(option_value(150)) && rejects(option_value(151)));
    let block_id = |n: usize| json!([{"type": "divider", "block_id": "b".repeat(n)}]);
    assert!(!rejects(block_id(255)) && rejects(block_id(256)));
    assert!(
        rejects(
            json!([{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}])
        ),
        "block_id must be unique"
    );
    assert!(
        rejects(json!([{"type": "section", "text": pt("")}])),
        "text objects need at least one character"
    );
    assert!(rejects(
        json!([{"type": "actions", "elements": [{"type": "button", "action_id": "a", "text": pt("b"), "style": "green"}]}])
    ));
}

#[test]
fn view_limits_cover_title_submit_blocks_and_home_restrictions() {
    let modal = |title: &str, blocks: usize| json!({"type": "modal", "title": pt(title), "blocks": (0..blocks).map(|_| json!({"type": "divider"})).collect::<Vec<_>>()});
    assert!(limits::validate_view(&modal(&"t".repeat(24), 100), None).is_ok());
    assert!(matches!(
        limits::validate_view(&modal(&"t".repeat(25), 1), None),
        Err(ViewError::Invalid(_))
    ));
    assert!(limits::validate_view(&modal("t", 101), None).is_err());
    let input_without_submit = json!({"type": "modal", "title": pt("t"), "blocks": [{"type": "input", "label": pt("l"), "element": {"type": "plain_text_input", "action_id": "a"}}]});
    assert!(
        limits::validate_view(&input_without_submit, None).is_err(),
        "submit is required with input blocks"
    );
    let home_with_submit = json!({"type": "home", "submit": pt("no"), "blocks": []});
    assert!(limits::validate_view(&home_with_submit, Some("home")).is_err());
    let huge = json!({"type": "modal", "title": pt("t"), "private_metadata": "m".repeat(3001), "blocks": []});
    assert!(limits::validate_view(&huge, None).is_err());
    let too_large = json!({"type": "home", "blocks": (0..100).map(|_| json!({"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(2900)}})).collect::<Vec<_>>()});
    assert_eq!(
        limits::validate_view(&too_large, None),
        Err(ViewError::TooLarge)
    );
}

#[tokio::test]
async fn rate_limited_responses_use_http_429_and_the_ratelimited_code() {
    let e = env().await;
    e.slack.fail_with_rate_limit(None, 1, 2);
    let r = e
        .post_form(&e.token, "users.info", &[("user", &e.alice.id)])
        .await;
    assert_eq!(r.status(), 429);
    assert_error(&r.json().await.unwrap(), "ratelimited");
}
