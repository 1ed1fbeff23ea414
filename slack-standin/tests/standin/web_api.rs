//! Web API methods: transport, auth, scopes, state and Slack's error codes.

use crate::{assert_error, env};
use serde_json::{Value, json};
use slack_standin::MessageOrigin;

#[tokio::test]
async fn calls_without_a_token_fail_with_not_authed_and_unknown_tokens_with_invalid_auth() {
    let e = env().await;
    let r: Value = e
        .http
        .post(format!("{}/auth.test", e.slack.api_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_error(&r, "not_authed");
    assert_error(
        &e.call_with("xoxb-1-2-nope", "auth.test", &[]).await,
        "invalid_auth",
    );
}

#[tokio::test]
async fn auth_test_describes_the_bot_token() {
    let e = env().await;
    let r = e.call("auth.test", &[]).await;
    assert_eq!(r["ok"], true);
    assert_eq!(r["url"], "https://acme.slack.com/");
    assert_eq!(r["team"], "Acme");
    assert_eq!(r["team_id"], e.team.id);
    assert_eq!(r["user_id"], e.bot_user);
    assert!(r["bot_id"].as_str().unwrap().starts_with('B'));
    assert_eq!(r["is_enterprise_install"], false);
}

#[tokio::test]
async fn the_token_is_accepted_as_a_form_param_and_via_get_query() {
    let e = env().await;
    let body = serde_urlencoded::to_string([("token", e.token.as_str())]).unwrap();
    let r: Value = e
        .http
        .post(format!("{}/auth.test", e.slack.api_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["ok"], true);
    let q = serde_urlencoded::to_string([("channel", e.general.id.as_str())]).unwrap();
    let r: Value = e
        .http
        .get(format!("{}/conversations.info?{q}", e.slack.api_url()))
        .bearer_auth(&e.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["channel"]["id"], e.general.id);
}

#[tokio::test]
async fn a_token_inside_a_json_body_is_ignored_so_the_call_is_not_authed() {
    let e = env().await;
    let r: Value = e
        .http
        .post(format!("{}/chat.postMessage", e.slack.api_url()))
        .header("content-type", "application/json; charset=utf-8")
        .body(json!({"token": e.token, "channel": e.general.id, "text": "hi"}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_error(&r, "not_authed");
}

#[tokio::test]
async fn json_without_a_charset_gets_a_missing_charset_warning() {
    let e = env().await;
    e.join(&e.general.id).await;
    let r: Value = e
        .http
        .post(format!("{}/chat.postMessage", e.slack.api_url()))
        .bearer_auth(&e.token)
        .header("content-type", "application/json")
        .body(json!({"channel": e.general.id, "text": "hi"}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["ok"], true);
    assert_eq!(r["warning"], "missing_charset");
    assert_eq!(
        r["response_metadata"]["warnings"],
        json!(["missing_charset"])
    );
}

#[tokio::test]
async fn malformed_json_bodies_fail_with_invalid_json_and_non_objects_with_json_not_object() {
    let e = env().await;
    let post = |body: &'static str| {
        e.http
            .post(format!("{}/chat.postMessage", e.slack.api_url()))
            .bearer_auth(&e.token)
            .header("content-type", "application/json; charset=utf-8")
            .body(body)
            .send()
    };
    assert_error(
        &post("{nope").await.unwrap().json().await.unwrap(),
        "invalid_json",
    );
    assert_error(
        &post("[1,2]").await.unwrap().json().await.unwrap(),
        "json_not_object",
    );
}

#[tokio::test]
async fn an_unknown_method_fails_with_unknown_method() {
    let e = env().await;
    assert_error(&e.call("chat.nonsense", &[]).await, "unknown_method");
}

#[tokio::test]
async fn a_missing_scope_reports_needed_and_provided() {
    let e = env().await;
    let limited = e.slack.install(&e.team.id, &["commands"]).unwrap();
    let r = e
        .call_with(
            &limited.bot_token,
            "chat.postMessage",
            &[("channel", &e.general.id), ("text", "x")],
        )
        .await;
    assert_error(&r, "missing_scope");
    assert_eq!(r["needed"], "chat:write");
    assert_eq!(r["provided"], "commands");
    let resp = e
        .post_form(&limited.bot_token, "users.info", &[("user", &e.alice.id)])
        .await;
    assert_eq!(resp.headers()["x-oauth-scopes"], "commands");
    assert_eq!(resp.headers()["x-accepted-oauth-scopes"], "users:read");
}

#[tokio::test]
async fn a_revoked_token_fails_with_token_revoked() {
    let e = env().await;
    e.slack.revoke_token(&e.token).unwrap();
    assert_error(&e.call("auth.test", &[]).await, "token_revoked");
}

#[tokio::test]
async fn posting_requires_membership_and_stores_the_message() {
    let e = env().await;
    assert_error(
        &e.call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("text", "hi")],
        )
        .await,
        "not_in_channel",
    );
    e.join(&e.general.id).await;
    let r = e
        .call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("text", "hello *world*")],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["channel"], e.general.id);
    let ts = r["ts"].as_str().unwrap();
    assert_eq!(r["message"]["ts"], ts);
    assert_eq!(r["message"]["user"], e.bot_user);
    assert!(r["message"]["bot_id"].as_str().unwrap().starts_with('B'));
    let stored = e.slack.messages(&e.general.id);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].text, "hello *world*");
    assert!(matches!(stored[0].origin, MessageOrigin::Api { .. }));
}

#[tokio::test]
async fn posting_by_channel_name_and_to_a_user_id_opens_the_app_dm() {
    let e = env().await;
    e.join(&e.general.id).await;
    let r = e
        .call(
            "chat.postMessage",
            &[("channel", "#general"), ("text", "by name")],
        )
        .await;
    assert_eq!(r["channel"], e.general.id);
    let dm = e
        .call(
            "chat.postMessage",
            &[("channel", &e.bob.id), ("text", "psst")],
        )
        .await;
    assert_eq!(dm["ok"], true, "{dm}");
    assert!(dm["channel"].as_str().unwrap().starts_with('D'));
    assert_error(
        &e.call(
            "chat.postMessage",
            &[("channel", "C0NOTREAL1"), ("text", "x")],
        )
        .await,
        "channel_not_found",
    );
}

#[tokio::test]
async fn posting_without_text_or_blocks_fails_with_no_text() {
    let e = env().await;
    e.join(&e.general.id).await;
    assert_error(
        &e.call("chat.postMessage", &[("channel", &e.general.id)])
            .await,
        "no_text",
    );
}

#[tokio::test]
async fn blocks_over_the_limits_fail_with_invalid_blocks_and_explain_why() {
    let e = env().await;
    e.join(&e.general.id).await;
    let too_many: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
    let r = e
        .call_json(
            "chat.postMessage",
            json!({"channel": e.general.id, "blocks": too_many}),
        )
        .await;
    assert_error(&r, "invalid_blocks");
    assert!(
        r["response_metadata"]["messages"][0]
            .as_str()
            .unwrap()
            .contains("no more than 50 items allowed")
    );

    let long_button = json!([{"type": "actions", "elements": [
        {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x".repeat(76)}}]}]);
    let r = e
        .call_json(
            "chat.postMessage",
            json!({"channel": e.general.id, "blocks": long_button}),
        )
        .await;
    assert_error(&r, "invalid_blocks");
    assert!(
        r["response_metadata"]["messages"][0]
            .as_str()
            .unwrap()
            .contains("/blocks/0/elements/0/text/text")
    );

    let r = e
        .call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("blocks", "not json")],
        )
        .await;
    assert_error(&r, "invalid_blocks_format");

    let ok_blocks =
        json!([{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}]).to_string();
    let r = e
        .call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("blocks", &ok_blocks)],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
}

#[tokio::test]
async fn chat_update_edits_our_message_and_keeps_history() {
    let e = env().await;
    e.join(&e.general.id).await;
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "v1"}}]);
    let posted = e
        .call_json(
            "chat.postMessage",
            json!({"channel": e.general.id, "text": "v1", "blocks": blocks}),
        )
        .await;
    let ts = posted["ts"].as_str().unwrap();
    let r = e
        .call_json(
            "chat.update",
            json!({"channel": e.general.id, "ts": ts, "text": "v2"}),
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["ts"], ts);
    assert_eq!(r["text"], "v2");
    assert_eq!(
        r["message"]["blocks"], posted["message"]["blocks"],
        "blocks are kept when omitted"
    );

    let m = &e.slack.messages(&e.general.id)[0];
    assert_eq!(m.text, "v2");
    assert_eq!(m.edits.len(), 1);
    assert_eq!(m.edits[0].text, "v1");

    assert_error(
        &e.call(
            "chat.update",
            &[
                ("channel", &e.general.id),
                ("ts", "1.000001"),
                ("text", "x"),
            ],
        )
        .await,
        "message_not_found",
    );
    let human = e
        .slack
        .post_as_user(&e.general.id, &e.alice.id, "mine")
        .unwrap();
    assert_error(
        &e.call(
            "chat.update",
            &[("channel", &e.general.id), ("ts", &human.ts), ("text", "x")],
        )
        .await,
        "cant_update_message",
    );
    let long = "x".repeat(4001);
    assert_error(
        &e.call(
            "chat.update",
            &[("channel", &e.general.id), ("ts", ts), ("text", &long)],
        )
        .await,
        "msg_too_long",
    );
}

#[tokio::test]
async fn ephemeral_messages_need_the_user_in_the_channel() {
    let e = env().await;
    e.join(&e.it_access.id).await;
    let r = e
        .call(
            "chat.postEphemeral",
            &[
                ("channel", &e.it_access.id),
                ("user", &e.alice.id),
                ("text", "only you"),
            ],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["message_ts"].as_str().is_some());
    assert_error(
        &e.call(
            "chat.postEphemeral",
            &[
                ("channel", &e.it_access.id),
                ("user", &e.carol.id),
                ("text", "x"),
            ],
        )
        .await,
        "user_not_in_channel",
    );
    let eph = e.slack.ephemerals();
    assert_eq!(eph.len(), 1);
    assert_eq!(eph[0].user, e.alice.id);
}

#[tokio::test]
async fn channel_names_follow_slacks_rules() {
    let e = env().await;
    assert_error(
        &e.call("conversations.create", &[("name", "Has Caps")])
            .await,
        "invalid_name_specials",
    );
    assert_error(
        &e.call("conversations.create", &[("name", "with space")])
            .await,
        "invalid_name_specials",
    );
    assert_error(
        &e.call("conversations.create", &[("name", &"a".repeat(81))])
            .await,
        "invalid_name_maxlength",
    );
    assert_error(
        &e.call("conversations.create", &[("name", "--")]).await,
        "invalid_name_punctuation",
    );
    assert_error(
        &e.call("conversations.create", &[]).await,
        "invalid_name_required",
    );
    assert_error(
        &e.call("conversations.create", &[("name", "general")]).await,
        "name_taken",
    );
    let r = e
        .call(
            "conversations.create",
            &[("name", "access-review_2026"), ("is_private", "true")],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let ch = &r["channel"];
    assert!(
        ch["id"].as_str().unwrap().starts_with('C'),
        "privacy is is_private, not the id prefix"
    );
    assert_eq!(ch["is_private"], true);
    assert_eq!(ch["is_member"], true);
    assert!(ch["created"].is_i64());
}

#[tokio::test]
async fn a_workspace_restricted_to_private_channels_refuses_a_public_one_with_restricted_action() {
    let e = env().await;
    e.slack.restrict_public_channels(&e.team.id, true);
    assert_error(
        &e.call("conversations.create", &[("name", "q4-review")])
            .await,
        "restricted_action",
    );
    let r = e
        .call(
            "conversations.create",
            &[("name", "q4-review"), ("is_private", "true")],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["channel"]["is_private"], true);
    e.slack.restrict_public_channels(&e.team.id, false);
    let r = e
        .call("conversations.create", &[("name", "q4-public")])
        .await;
    assert_eq!(r["ok"], true, "{r}");
}

#[tokio::test]
async fn joining_twice_warns_already_in_channel_and_private_channels_cannot_be_joined() {
    let e = env().await;
    e.join(&e.general.id).await;
    let r = e
        .call("conversations.join", &[("channel", &e.general.id)])
        .await;
    assert_eq!(r["ok"], true);
    assert_eq!(r["warning"], "already_in_channel");
    assert_eq!(
        r["response_metadata"]["warnings"],
        json!(["already_in_channel"])
    );
    let private = e
        .call(
            "conversations.create",
            &[("name", "secret"), ("is_private", "true")],
        )
        .await;
    let id = private["channel"]["id"].as_str().unwrap();
    assert_error(
        &e.call("conversations.join", &[("channel", id)]).await,
        "method_not_supported_for_channel_type",
    );
}

#[tokio::test]
async fn inviting_checks_membership_self_and_existing_members() {
    let e = env().await;
    let created = e.call("conversations.create", &[("name", "jit-123")]).await;
    let id = created["channel"]["id"].as_str().unwrap().to_owned();
    // JSON array (slack-morphism) and comma string (Slack docs) both work.
    let r = e
        .call_json(
            "conversations.invite",
            json!({"channel": id, "users": [e.alice.id]}),
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let r = e
        .call(
            "conversations.invite",
            &[
                ("channel", &id),
                ("users", &format!("{},{}", e.bob.id, e.carol.id)),
            ],
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    assert_error(
        &e.call(
            "conversations.invite",
            &[("channel", &id), ("users", &e.alice.id)],
        )
        .await,
        "already_in_channel",
    );
    assert_error(
        &e.call(
            "conversations.invite",
            &[("channel", &id), ("users", &e.bot_user)],
        )
        .await,
        "cant_invite_self",
    );
    assert_error(
        &e.call(
            "conversations.invite",
            &[("channel", &id), ("users", "U0NOBODY00")],
        )
        .await,
        "user_not_found",
    );
    assert_error(
        &e.call(
            "conversations.invite",
            &[("channel", &e.it_access.id), ("users", &e.carol.id)],
        )
        .await,
        "not_in_channel",
    );
    let members = e.slack.channel(&id).unwrap().members;
    assert!(members.contains(&e.alice.id) && members.contains(&e.carol.id));
}

#[tokio::test]
async fn set_purpose_rejects_more_than_250_characters() {
    let e = env().await;
    e.join(&e.general.id).await;
    assert_error(
        &e.call(
            "conversations.setPurpose",
            &[("channel", &e.general.id), ("purpose", &"p".repeat(251))],
        )
        .await,
        "too_long",
    );
    let r = e
        .call(
            "conversations.setPurpose",
            &[("channel", &e.general.id), ("purpose", "Access requests")],
        )
        .await;
    assert_eq!(r["ok"], true);
    assert_eq!(
        e.slack.channel(&e.general.id).unwrap().purpose.value,
        "Access requests"
    );
}

#[tokio::test]
async fn archived_channels_reject_posts_with_is_archived_and_general_cannot_be_archived() {
    let e = env().await;
    assert_error(
        &e.call("conversations.archive", &[("channel", &e.general.id)])
            .await,
        "cant_archive_general",
    );
    let c = e.call("conversations.create", &[("name", "old")]).await;
    let id = c["channel"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        e.call("conversations.archive", &[("channel", &id)]).await["ok"],
        true
    );
    assert_error(
        &e.call("conversations.archive", &[("channel", &id)]).await,
        "already_archived",
    );
    assert_error(
        &e.call("chat.postMessage", &[("channel", &id), ("text", "x")])
            .await,
        "is_archived",
    );
    assert_error(
        &e.call("conversations.join", &[("channel", &id)]).await,
        "is_archived",
    );
}

#[tokio::test]
async fn conversations_list_paginates_with_cursors() {
    let e = env().await;
    for i in 0..5 {
        e.call("conversations.create", &[("name", &format!("c{i}"))])
            .await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut args = vec![("limit", "3")];
        if !cursor.is_empty() {
            args.push(("cursor", cursor.as_str()));
        }
        let r = e.call("conversations.list", &args).await;
        assert_eq!(r["ok"], true, "{r}");
        for c in r["channels"].as_array().unwrap() {
            seen.push(c["name"].as_str().unwrap().to_owned());
        }
        cursor = r["response_metadata"]["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_error(
        &e.call("conversations.list", &[("cursor", "bogus")]).await,
        "invalid_cursor",
    );
}

#[tokio::test]
async fn users_lookup_by_email_and_users_info() {
    let e = env().await;
    let r = e
        .call("users.lookupByEmail", &[("email", "bob@acme.test")])
        .await;
    assert_eq!(r["user"]["id"], e.bob.id);
    assert_eq!(r["user"]["profile"]["email"], "bob@acme.test");
    assert_error(
        &e.call("users.lookupByEmail", &[("email", "nobody@acme.test")])
            .await,
        "users_not_found",
    );
    e.slack.deactivate_user(&e.carol.id).unwrap();
    assert_error(
        &e.call("users.lookupByEmail", &[("email", "carol@acme.test")])
            .await,
        "users_not_found",
    );
    let info = e.call("users.info", &[("user", &e.carol.id)]).await;
    assert_eq!(info["user"]["deleted"], true);
    assert_error(
        &e.call("users.info", &[("user", "U0NOBODY00")]).await,
        "user_not_found",
    );
}

#[tokio::test]
async fn form_only_methods_ignore_json_bodies_like_slack() {
    let e = env().await;
    let r = e.call_json("users.info", json!({"user": e.alice.id})).await;
    assert_error(&r, "user_not_found");
}

#[tokio::test]
async fn pins_add_pins_a_message_once() {
    let e = env().await;
    e.join(&e.general.id).await;
    let ts = e
        .call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("text", "pin me")],
        )
        .await["ts"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        e.call(
            "pins.add",
            &[("channel", &e.general.id), ("timestamp", &ts)]
        )
        .await["ok"],
        true
    );
    assert_error(
        &e.call(
            "pins.add",
            &[("channel", &e.general.id), ("timestamp", &ts)],
        )
        .await,
        "already_pinned",
    );
    assert_error(
        &e.call(
            "pins.add",
            &[("channel", &e.general.id), ("timestamp", "1.000001")],
        )
        .await,
        "message_not_found",
    );
    assert_error(
        &e.call("pins.add", &[("channel", &e.general.id)]).await,
        "no_item_specified",
    );
    assert_eq!(e.slack.pins().len(), 1);
}

fn modal(title: &str) -> Value {
    json!({"type": "modal", "title": {"type": "plain_text", "text": title}, "submit": {"type": "plain_text", "text": "Request"},
           "callback_id": "request", "blocks": [{"type": "input", "block_id": "why", "label": {"type": "plain_text", "text": "Why?"},
           "element": {"type": "plain_text_input", "action_id": "reason"}}]})
}

#[tokio::test]
async fn views_open_needs_a_fresh_single_use_trigger_id() {
    let mut c = crate::config();
    c.trigger_ttl = std::time::Duration::from_millis(100);
    let e = crate::env_with(c).await;
    let trigger = e.slack.issue_trigger_id(&e.team.id, &e.alice.id);
    let r = e
        .call_json(
            "views.open",
            json!({"trigger_id": trigger, "view": modal("Request access")}),
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let view = &r["view"];
    assert!(view["id"].as_str().unwrap().starts_with('V'));
    assert_eq!(view["team_id"], e.team.id);
    assert!(view["hash"].as_str().is_some());
    assert_eq!(view["type"], "modal");
    assert_error(
        &e.call_json(
            "views.open",
            json!({"trigger_id": trigger, "view": modal("x")}),
        )
        .await,
        "exchanged_trigger_id",
    );
    let stale = e.slack.issue_trigger_id(&e.team.id, &e.alice.id);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert_error(
        &e.call_json(
            "views.open",
            json!({"trigger_id": stale, "view": modal("x")}),
        )
        .await,
        "expired_trigger_id",
    );
    assert_error(
        &e.call_json(
            "views.open",
            json!({"trigger_id": "nonsense", "view": modal("x")}),
        )
        .await,
        "invalid_trigger_id",
    );
}

#[tokio::test]
async fn an_invalid_view_fails_with_invalid_arguments() {
    let e = env().await;
    let trigger = e.slack.issue_trigger_id(&e.team.id, &e.alice.id);
    let r = e
        .call_json(
            "views.open",
            json!({"trigger_id": trigger, "view": modal("This title is far too long for Slack")}),
        )
        .await;
    assert_error(&r, "invalid_arguments");
    assert!(
        r["response_metadata"]["messages"][0]
            .as_str()
            .unwrap()
            .contains("/view/title/text")
    );
}

#[tokio::test]
async fn views_publish_and_update_bump_the_hash_and_reject_stale_hashes() {
    let e = env().await;
    let home = json!({"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]});
    let r = e
        .call_json(
            "views.publish",
            json!({"user_id": e.alice.id, "view": home}),
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let hash = r["view"]["hash"].as_str().unwrap().to_owned();
    let id = r["view"]["id"].as_str().unwrap().to_owned();
    let r2 = e
        .call_json(
            "views.publish",
            json!({"user_id": e.alice.id, "view": home, "hash": hash}),
        )
        .await;
    assert_eq!(r2["ok"], true, "{r2}");
    assert_eq!(r2["view"]["id"], id);
    assert_ne!(r2["view"]["hash"], hash);
    assert_error(
        &e.call_json(
            "views.publish",
            json!({"user_id": e.alice.id, "view": home, "hash": hash}),
        )
        .await,
        "hash_conflict",
    );
    assert_eq!(e.slack.home_view(&e.alice.id).unwrap().history.len(), 1);

    let trigger = e.slack.issue_trigger_id(&e.team.id, &e.alice.id);
    let opened = e
        .call_json(
            "views.open",
            json!({"trigger_id": trigger, "view": modal("Request")}),
        )
        .await;
    let vid = opened["view"]["id"].as_str().unwrap();
    let up = e
        .call_json(
            "views.update",
            json!({"view_id": vid, "view": modal("Updated")}),
        )
        .await;
    assert_eq!(up["ok"], true, "{up}");
    assert_eq!(up["view"]["title"]["text"], "Updated");
    assert_error(
        &e.call_json(
            "views.update",
            json!({"view_id": vid, "view": modal("x"), "hash": "1.1"}),
        )
        .await,
        "hash_conflict",
    );
    assert_error(
        &e.call_json(
            "views.update",
            json!({"view_id": "V0NOPE0000", "view": modal("x")}),
        )
        .await,
        "not_found",
    );
}
