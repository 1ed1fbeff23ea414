//! The stand-in held to Slack's published contracts: error codes per method
//! from the OpenAPI spec excerpt (tests/fixtures), response field names, and
//! Block Kit limits (slack.md §3.4).

use crate::{assert_error, env};
use serde_json::{Value, json};
use slack_standin::limits::{self, ViewError};

fn spec() -> Value {
    serde_json::from_str(include_str!("../fixtures/slack_web_openapi_v2_errors.json")).unwrap()
}

/// Whether `code` is documented for `method` (the fixture's 2020 enum, newer docs, or a common code).
pub fn allowed(method: &str, code: &str) -> bool {
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
    assert_eq!(
        limits::INVITE_MAX_USERS,
        100,
        "DOCS-M conversations.invite: up to 100 users"
    );
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

fn messages_of(blocks: Value) -> Vec<String> {
    match limits::validate_message_blocks(blocks.as_array().unwrap()) {
        Ok(()) => Vec::new(),
        Err(v) => v.iter().map(limits::Violation::to_slack_message).collect(),
    }
}

/// grafana/oncall#702: `invalid additional property: emoji [json-pointer:/blocks/0/text]`;
/// slack-go/slack#612: `"url"` inside a static_select option → `invalid_blocks`.
#[test]
fn unknown_block_kit_properties_are_rejected_like_slack_does() {
    let emoji_on_mrkdwn =
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x", "emoji": true}}]);
    assert_eq!(
        messages_of(emoji_on_mrkdwn),
        vec!["[ERROR] invalid additional property: emoji [json-pointer:/blocks/0/text]"]
    );
    let url_in_select_option = json!([{"type": "actions", "elements": [{"type": "static_select",
        "action_id": "s", "options": [{"text": pt("o"), "value": "v", "url": ""}]}]}]);
    assert!(rejects(url_in_select_option));
    let url_in_overflow_option = json!([{"type": "actions", "elements": [{"type": "overflow",
        "action_id": "o", "options": [{"text": pt("o"), "value": "v", "url": "https://x.test"}]}]}]);
    assert!(
        !rejects(url_in_overflow_option),
        "overflow options may carry url"
    );
    assert!(rejects(json!([{"type": "divider", "color": "red"}])));
    assert!(rejects(json!([{"type": "actions", "elements": [
        {"type": "button", "action_id": "b", "text": pt("b"), "placeholder": pt("p")}]}])));
    let echoed = json!([{"type": "section", "block_id": "x", "text": {"type": "mrkdwn", "text": "x", "verbatim": false},
        "accessory": {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b", "emoji": true}}}]);
    assert!(
        !rejects(echoed),
        "blocks echoed back from a payload stay valid"
    );
}

/// TYPES blocks.ts `ActionsBlockElement` / `InputBlockElement` /
/// `SectionBlockAccessory`; an input element under `actions` is `invalid_blocks`
/// (slackapi/python-slack-sdk#1257).
#[test]
fn elements_are_only_accepted_in_blocks_that_take_them() {
    let input_in_actions =
        json!([{"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "t"}]}]);
    assert!(rejects(input_in_actions));
    let image_in_actions = json!([{"type": "actions", "elements": [{"type": "image", "image_url": "https://x.test/a.png", "alt_text": "a"}]}]);
    assert!(rejects(image_in_actions));
    let button_as_input = json!({"type": "modal", "title": pt("t"), "submit": pt("s"), "blocks": [
        {"type": "input", "label": pt("l"), "element": {"type": "button", "action_id": "b", "text": pt("b")}}]});
    assert!(limits::validate_view(&button_as_input, None).is_err());
    let select_accessory = json!([{"type": "section", "text": pt("x"), "accessory":
        {"type": "users_select", "action_id": "u"}}]);
    assert!(!rejects(select_accessory));
}

/// TYPES composition-objects.ts :88-102: selects and overflow take
/// `PlainTextOption`; checkboxes and radio buttons may use mrkdwn.
#[test]
fn mrkdwn_option_text_is_only_for_checkboxes_and_radio_buttons() {
    let with = |kind: &str| {
        json!([{"type": "actions", "elements": [{"type": kind, "action_id": "x",
        "options": [{"text": {"type": "mrkdwn", "text": "*o*"}, "value": "v"}]}]}])
    };
    for kind in ["static_select", "multi_static_select", "overflow"] {
        assert!(rejects(with(kind)), "{kind}");
    }
    for kind in ["checkboxes", "radio_buttons"] {
        assert!(!rejects(with(kind)), "{kind}");
    }
}

/// slackapi/java-slack-sdk#302: `[ERROR] missing required field: title [json-pointer:/view]`.
#[test]
fn a_missing_view_title_is_reported_at_the_view() {
    let Err(ViewError::Invalid(v)) =
        limits::validate_view(&json!({"type": "modal", "blocks": []}), None)
    else {
        panic!("a modal needs a title");
    };
    assert_eq!(
        v[0].to_slack_message(),
        "[ERROR] missing required field: title [json-pointer:/view]"
    );
}

/// DOCS-M `args.channel`: only chat.postMessage / chat.postEphemeral document
/// channel names; chat.update with a name → `channel_not_found`
/// (slack-ruby/slack-ruby-client#270).
#[tokio::test]
async fn channel_names_work_only_where_slack_documents_them() {
    let e = env().await;
    e.join(&e.general.id).await;
    let posted = e
        .call(
            "chat.postMessage",
            &[("channel", "#general"), ("text", "hi")],
        )
        .await;
    assert_eq!(posted["ok"], true, "{posted}");
    let ts = posted["ts"].as_str().unwrap();
    assert_error(
        &e.call(
            "chat.update",
            &[("channel", "general"), ("ts", ts), ("text", "x")],
        )
        .await,
        "channel_not_found",
    );
    for method in [
        "conversations.join",
        "conversations.info",
        "conversations.archive",
    ] {
        assert_error(
            &e.call(method, &[("channel", "it-access")]).await,
            "channel_not_found",
        );
    }
    assert_error(
        &e.call("pins.add", &[("channel", "general"), ("timestamp", ts)])
            .await,
        "channel_not_found",
    );
}

/// SK `scopes.bot`: invite accepts `channels:write.invites` / `groups:write.invites`,
/// setPurpose `channels:write.topic` / `groups:write.topic` / `im:write.topic` / `mpim:write.topic`.
#[tokio::test]
async fn granular_invite_and_topic_scopes_are_accepted() {
    let e = env().await;
    let narrow = e
        .slack
        .install(
            &e.team.id,
            &[
                "channels:write.invites",
                "channels:write.topic",
                "channels:join",
            ],
        )
        .unwrap()
        .bot_token;
    assert_eq!(
        e.call_with(
            &narrow,
            "conversations.join",
            &[("channel", &e.it_access.id)]
        )
        .await["ok"],
        true
    );
    let r = e
        .call_with(
            &narrow,
            "conversations.invite",
            &[("channel", &e.it_access.id), ("users", &e.carol.id)],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let r = e
        .call_with(
            &narrow,
            "conversations.setPurpose",
            &[("channel", &e.it_access.id), ("purpose", "Access requests")],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    assert_error(
        &e.call_with(
            &narrow,
            "conversations.archive",
            &[("channel", &e.it_access.id)],
        )
        .await,
        "missing_scope",
    );
}

/// docs.slack.dev changelog 2020-11-no-more-tokens-in-querystrings-for-newly-created-apps.
#[tokio::test]
async fn a_token_in_the_query_string_is_not_read() {
    let e = env().await;
    let r: Value = e
        .http
        .get(format!("{}/auth.test?token={}", e.slack.api_url(), e.token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_error(&r, "not_authed");
    assert_eq!(
        e.call_with("", "auth.test", &[("token", &e.token)]).await["ok"],
        true,
        "a form body token still works"
    );
}

/// DOCS-M: `msg_too_long` is not in chat.postMessage's errors; long text is
/// truncated ("We truncate really long messages", chat.update `warnings.message_truncated`).
#[tokio::test]
async fn chat_post_message_truncates_long_text_instead_of_failing() {
    let e = env().await;
    e.join(&e.general.id).await;
    let long = "x".repeat(40_100);
    let r = e
        .call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("text", &long)],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(
        r["message"]["text"].as_str().unwrap().len(),
        limits::POST_TEXT_MAX
    );
    assert!(r["warning"].as_str().unwrap().contains("message_truncated"));
}

/// DOCS-M conversations.invite: "Up to 100 users may be listed".
#[tokio::test]
async fn inviting_more_than_100_users_fails() {
    let e = env().await;
    e.join(&e.it_access.id).await;
    let users: Vec<String> = (0..101).map(|i| format!("U{i:08}")).collect();
    let r = e
        .call(
            "conversations.invite",
            &[("channel", &e.it_access.id), ("users", &users.join(","))],
        )
        .await;
    assert_eq!(r["ok"], false, "{r}");
}

/// DOCS-M views.publish: an unknown `user_id` is `invalid_arguments` with "invalid `user_id`".
#[tokio::test]
async fn views_publish_for_an_unknown_user_is_invalid_arguments() {
    let e = env().await;
    let r = e
        .call_json(
            "views.publish",
            json!({"user_id": "U0NOBODY", "view": {"type": "home", "blocks": []}}),
        )
        .await;
    assert_error(&r, "invalid_arguments");
    assert_eq!(r["response_metadata"]["messages"][0], "invalid `user_id`");
}

/// DOCS-M pins.add: `channel_not_found` — "The `channel` argument was not specified or was invalid".
#[tokio::test]
async fn pins_add_without_a_channel_is_channel_not_found() {
    let e = env().await;
    assert_error(
        &e.call("pins.add", &[("timestamp", "1.000001")]).await,
        "channel_not_found",
    );
}

/// DOCS-M auth.revoke: no JSON input, so a JSON `test` flag is not read.
#[tokio::test]
async fn auth_revoke_ignores_json_arguments() {
    let e = env().await;
    let r = e.call_json("auth.revoke", json!({"test": true})).await;
    assert_eq!(r["revoked"], true, "{r}");
}
