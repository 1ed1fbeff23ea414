//! `conversations.open` (a DM per person, as the Slack front door sends its
//! notifications) and `conversations.history` with message `metadata` (how the
//! notifier finds what it already posted after a crash). Sources: DOCS-M
//! conversations.open / conversations.history / chat.postMessage (docs.slack.dev
//! method metadata), the 2020 OpenAPI error enums in tests/fixtures.

use crate::contracts::allowed;
use crate::{Env, assert_error, env};
use slack_standin::NewUser;

fn dm_id(resp: &serde_json::Value) -> String {
    assert_eq!(resp["ok"], true, "{resp}");
    resp["channel"]["id"].as_str().unwrap().to_owned()
}

/// DOCS-M conversations.open: "If only one user is included, this creates a 1:1
/// DM"; the typical answer is `{"channel":{"id":"D…"}}`. Opening again resumes
/// the same DM, and it is the DM `chat.postMessage` to the user id posts into.
#[tokio::test]
async fn opening_a_dm_twice_gives_the_same_channel_that_posting_to_the_user_uses() {
    let e = env().await;
    let first = e.call("conversations.open", &[("users", &e.bob.id)]).await;
    let id = dm_id(&first);
    assert!(id.starts_with('D'), "{first}");
    assert_eq!(
        first["channel"].as_object().unwrap().len(),
        1,
        "without return_im only the id: {first}"
    );
    assert!(first.get("already_open").is_none(), "{first}");
    let again = e.call("conversations.open", &[("users", &e.bob.id)]).await;
    assert_eq!(dm_id(&again), id);
    let posted = e
        .call(
            "chat.postMessage",
            &[("channel", &e.bob.id), ("text", "hi")],
        )
        .await;
    assert_eq!(posted["channel"], id.as_str(), "{posted}");
    assert_eq!(e.slack.app_dm(&e.bob.id).unwrap().id, id);
    // slack-morphism sends `users` as a JSON array in a JSON body.
    let json = e
        .call_json(
            "conversations.open",
            serde_json::json!({"users": [e.bob.id]}),
        )
        .await;
    assert_eq!(dm_id(&json), id);
    // Resuming by the DM's id works too.
    let resumed = e.call("conversations.open", &[("channel", &id)]).await;
    assert_eq!(dm_id(&resumed), id);
}

/// DOCS-M conversations.open example `success_with_return_im`: the IM object
/// (`id`, integer `created`, `is_im`, `user`, `is_open`…) with `no_op` and
/// `already_open` when the DM existed.
#[tokio::test]
async fn return_im_describes_the_dm_and_says_when_it_was_already_open() {
    let e = env().await;
    let new = e
        .call(
            "conversations.open",
            &[("users", &e.carol.id), ("return_im", "true")],
        )
        .await;
    let ch = &new["channel"];
    assert_eq!(ch["is_im"], true, "{new}");
    assert_eq!(ch["user"], e.carol.id.as_str());
    assert!(ch["created"].is_i64(), "{new}");
    assert_eq!(ch["is_open"], true);
    assert!(new.get("already_open").is_none(), "a new DM: {new}");
    let again = e
        .call(
            "conversations.open",
            &[("users", &e.carol.id), ("return_im", "true")],
        )
        .await;
    assert_eq!(again["channel"]["id"], ch["id"]);
    assert_eq!(again["already_open"], true, "{again}");
    assert_eq!(again["no_op"], true, "{again}");
}

async fn other_workspace_token(e: &Env, scopes: &[&str]) -> (String, String) {
    let beta = e.slack.add_workspace("Beta", "beta").unwrap();
    let dora = e
        .slack
        .add_user(&beta.id, NewUser::new("dora", "dora@beta.test"))
        .unwrap();
    let tokens = e.slack.install(&beta.id, scopes).unwrap();
    (tokens.bot_token, dora.id)
}

/// DOCS-M conversations.open errors: `users_list_not_supplied`, `user_not_found`
/// ("Value(s) passed for `users` was invalid"), `user_disabled`, `too_many_users`
/// (more than 8), `channel_not_found`, `method_not_supported_for_channel_type`
/// (a channel that is not a DM); bot scopes `channels:manage`, `groups:write`,
/// `im:write`, `mpim:write`. A bot user → `cannot_dm_bot`. Each code is one the
/// fixture documents for the method.
#[tokio::test]
async fn opening_a_dm_with_nobody_a_stranger_a_bot_or_a_deactivated_person_fails_as_on_slack() {
    let e = env().await;
    let (beta_token, dora) = other_workspace_token(&e, &["chat:write"]).await;
    let dave = e
        .slack
        .add_user(&e.team.id, NewUser::new("dave", "dave@acme.test"))
        .unwrap();
    e.slack.deactivate_user(&dave.id).unwrap();
    let nine: Vec<String> = (0..9).map(|_| e.bob.id.clone()).collect();
    let nine = nine.join(",");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "users_list_not_supplied"),
        (vec![("users", "U0GHOST000")], "user_not_found"),
        (vec![("users", dora.as_str())], "user_not_found"),
        (vec![("users", dave.id.as_str())], "user_disabled"),
        (vec![("users", e.bot_user.as_str())], "cannot_dm_bot"),
        (vec![("users", nine.as_str())], "too_many_users"),
        (vec![("channel", "D0NOPE0000")], "channel_not_found"),
        (
            vec![("channel", e.general.id.as_str())],
            "method_not_supported_for_channel_type",
        ),
    ];
    for (args, code) in cases {
        let r = e.call("conversations.open", &args).await;
        assert_error(&r, code);
        assert!(allowed("conversations.open", code), "{code} undocumented");
    }
    let r = e
        .call_with(&beta_token, "conversations.open", &[("users", &dora)])
        .await;
    assert_error(&r, "missing_scope");
    assert_eq!(
        r["needed"],
        "channels:manage,groups:write,im:write,mpim:write"
    );
    assert!(
        e.slack
            .channels()
            .iter()
            .all(|c| c.im_user.as_deref() != Some(dave.id.as_str()))
    );
}

/// The test workspace with the app (re)installed with the history scopes too:
/// `e.token` / `e.bot_user` are the new install's, returned also as the token.
async fn env_with_history() -> (Env, String) {
    let mut e = env().await;
    let mut scopes = crate::ALL_SCOPES.to_vec();
    scopes.extend(["im:history", "channels:history", "groups:history"]);
    let install = e.slack.install(&e.team.id, &scopes).unwrap();
    e.token = install.bot_token.clone();
    e.bot_user = install.bot_user_id;
    (e, install.bot_token)
}

/// `conversations.history` as slack-morphism calls it: GET with query arguments.
async fn history(e: &Env, token: &str, args: &[(&str, &str)]) -> serde_json::Value {
    let resp = e
        .http
        .get(format!("{}/conversations.history", e.slack.api_url()))
        .bearer_auth(token)
        .query(args)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn post_notification(e: &Env, user: &str, id: &str) -> serde_json::Value {
    let r = e
        .call_json(
            "chat.postMessage",
            serde_json::json!({
                "channel": user,
                "text": format!("Request {id} needs you"),
                "metadata": {"event_type": "latch_notification", "event_payload": {"id": id}},
            }),
        )
        .await;
    assert_eq!(r["ok"], true, "{r}");
    r
}

/// The crash-recovery path of the notifier: DMs posted with `metadata` are found
/// again through `conversations.history` with `include_all_metadata=true`
/// (DOCS-M chat.postMessage `metadata`, conversations.history
/// `include_all_metadata`). Without the flag only `event_type` comes back, as in
/// the poster's own `chat.postMessage` answer (python-slack-sdk#1501: payloads of
/// event types not declared in the manifest are stripped).
#[tokio::test]
async fn dms_posted_with_metadata_are_found_again_in_history_with_include_all_metadata() {
    let (e, token) = env_with_history().await;
    let first = post_notification(&e, &e.bob.id, "n-1").await;
    assert_eq!(
        first["message"]["metadata"],
        serde_json::json!({"event_type": "latch_notification"}),
        "{first}"
    );
    post_notification(&e, &e.bob.id, "n-2").await;
    let dm = first["channel"].as_str().unwrap().to_owned();
    let full = history(
        &e,
        &token,
        &[("channel", &dm), ("include_all_metadata", "true")],
    )
    .await;
    assert_eq!(full["ok"], true, "{full}");
    let ids: Vec<&str> = full["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metadata"]["event_payload"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["n-2", "n-1"], "newest first: {full}");
    assert_eq!(full["has_more"], false);
    assert!(full.get("response_metadata").is_none(), "last page: {full}");
    assert_eq!(
        full["messages"][0]["bot_id"], first["message"]["bot_id"],
        "{full}"
    );
    let plain = history(&e, &token, &[("channel", &dm)]).await;
    assert_eq!(
        plain["messages"][0]["metadata"],
        serde_json::json!({"event_type": "latch_notification"}),
        "{plain}"
    );
    // The stored message keeps the whole metadata for inspection.
    assert_eq!(
        e.slack.messages(&dm)[0].metadata.as_ref().unwrap()["event_payload"]["id"],
        "n-1"
    );
}

/// DOCS-M conversations.history: `limit` ("Fewer than the requested number of
/// items may be returned"), `cursor` from `response_metadata.next_cursor` with
/// `has_more`, `oldest` / `latest` ("Only messages after/before this Unix
/// timestamp") and `inclusive` ("Include messages with oldest or latest
/// timestamps in results"). Thread replies are not part of the history.
#[tokio::test]
async fn history_pages_newest_first_and_honours_oldest_latest_and_inclusive() {
    let (e, token) = env_with_history().await;
    e.join(&e.general.id).await;
    let mut ts = Vec::new();
    for i in 0..5 {
        let r = e
            .call(
                "chat.postMessage",
                &[("channel", &e.general.id), ("text", &format!("m{i}"))],
            )
            .await;
        ts.push(r["ts"].as_str().unwrap().to_owned());
    }
    let reply = e
        .call(
            "chat.postMessage",
            &[
                ("channel", &e.general.id),
                ("text", "a reply"),
                ("thread_ts", &ts[0]),
            ],
        )
        .await;
    assert_eq!(reply["ok"], true);
    let texts = |r: &serde_json::Value| -> Vec<String> {
        r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let page1 = history(&e, &token, &[("channel", &e.general.id), ("limit", "2")]).await;
    assert_eq!(texts(&page1), ["m4", "m3"]);
    assert_eq!(page1["has_more"], true);
    let cursor = page1["response_metadata"]["next_cursor"].as_str().unwrap();
    let page2 = history(
        &e,
        &token,
        &[
            ("channel", &e.general.id),
            ("limit", "2"),
            ("cursor", cursor),
        ],
    )
    .await;
    assert_eq!(texts(&page2), ["m2", "m1"]);
    let cursor = page2["response_metadata"]["next_cursor"].as_str().unwrap();
    let page3 = history(
        &e,
        &token,
        &[
            ("channel", &e.general.id),
            ("limit", "2"),
            ("cursor", cursor),
        ],
    )
    .await;
    assert_eq!(texts(&page3), ["m0"], "no thread reply: {page3}");
    assert_eq!(page3["has_more"], false);
    let between = history(
        &e,
        &token,
        &[
            ("channel", &e.general.id),
            ("oldest", &ts[1]),
            ("latest", &ts[3]),
        ],
    )
    .await;
    assert_eq!(texts(&between), ["m2"]);
    let inclusive = history(
        &e,
        &token,
        &[
            ("channel", &e.general.id),
            ("oldest", &ts[1]),
            ("latest", &ts[3]),
            ("inclusive", "true"),
        ],
    )
    .await;
    assert_eq!(texts(&inclusive), ["m3", "m2", "m1"]);
}

/// DOCS-M / OpenAPI conversations.history errors: `channel_not_found` (unknown
/// id, a name, a private channel the caller is not in), `not_in_channel` ("Only
/// user tokens can access public channels they are not in"), `missing_scope`
/// per conversation type, `invalid_ts_oldest`, `invalid_ts_latest`,
/// `invalid_cursor`. Each is documented for the method.
#[tokio::test]
async fn history_refuses_what_slack_refuses() {
    let (e, token) = env_with_history().await;
    let general = e.general.id.as_str();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("channel", "C0NOPE0000")], "channel_not_found"),
        (vec![("channel", "general")], "channel_not_found"),
        (vec![("channel", general)], "not_in_channel"),
    ];
    for (args, code) in &cases {
        assert_error(&history(&e, &token, args).await, code);
        assert!(allowed("conversations.history", code), "{code}");
    }
    e.join(general).await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("channel", general), ("oldest", "yesterday")],
            "invalid_ts_oldest",
        ),
        (
            vec![("channel", general), ("latest", "1.2.3")],
            "invalid_ts_latest",
        ),
        (
            vec![("channel", general), ("cursor", "bm9wZQ==")],
            "invalid_cursor",
        ),
    ];
    for (args, code) in &cases {
        assert_error(&history(&e, &token, args).await, code);
        assert!(allowed("conversations.history", code), "{code}");
    }
    // A DM needs im:history, which the Beta install lacks.
    let (beta_token, dora) = other_workspace_token(&e, &["chat:write", "channels:history"]).await;
    let dm = e
        .call_with(
            &beta_token,
            "chat.postMessage",
            &[("channel", &dora), ("text", "hi")],
        )
        .await["channel"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = history(&e, &beta_token, &[("channel", &dm)]).await;
    assert_error(&r, "missing_scope");
    assert_eq!(r["needed"], "im:history");
    assert!(allowed("conversations.history", "missing_scope"));
}

/// DOCS-M chat.postMessage `metadata` errors: `invalid_metadata_format`,
/// `invalid_metadata_schema`, `metadata_too_large`. An `event_type` with a `.`
/// posts the message without its metadata (bolt-python#863).
#[tokio::test]
async fn message_metadata_is_checked_like_slack_checks_it() {
    let e = env().await;
    let bob = e.bob.id.as_str();
    let big = "x".repeat(slack_standin::limits::METADATA_MAX_BYTES);
    let cases: Vec<(String, &str)> = vec![
        ("{not json".to_owned(), "invalid_metadata_format"),
        ("[1,2]".to_owned(), "invalid_metadata_format"),
        (
            r#"{"event_payload":{"id":"1"}}"#.to_owned(),
            "invalid_metadata_schema",
        ),
        (
            r#"{"event_type":"latch_notification","event_payload":"id"}"#.to_owned(),
            "invalid_metadata_schema",
        ),
        (
            format!(r#"{{"event_type":"latch_notification","event_payload":{{"id":"{big}"}}}}"#),
            "metadata_too_large",
        ),
    ];
    for (metadata, code) in &cases {
        let r = e
            .call(
                "chat.postMessage",
                &[("channel", bob), ("text", "x"), ("metadata", metadata)],
            )
            .await;
        assert_error(&r, code);
        assert!(allowed("chat.postMessage", code), "{code}");
    }
    let dotted = e
        .call(
            "chat.postMessage",
            &[
                ("channel", bob),
                ("text", "x"),
                (
                    "metadata",
                    r#"{"event_type":"latch.notification","event_payload":{"id":"1"}}"#,
                ),
            ],
        )
        .await;
    assert_eq!(dotted["ok"], true, "{dotted}");
    assert!(dotted["message"].get("metadata").is_none(), "{dotted}");
    let dm = dotted["channel"].as_str().unwrap();
    assert!(e.slack.messages(dm).iter().all(|m| m.metadata.is_none()));
}

/// DOCS-M chat.update: `metadata` is an argument with the same errors as on
/// `chat.postMessage`. New metadata replaces the old; an update without it keeps
/// what the message was posted with, so the notifier's later edits (approved,
/// expired) leave the message findable by its id.
#[tokio::test]
async fn updating_a_message_keeps_its_metadata_unless_new_metadata_is_given() {
    let (e, token) = env_with_history().await;
    let posted = post_notification(&e, &e.bob.id, "n-1").await;
    let dm = posted["channel"].as_str().unwrap().to_owned();
    let ts = posted["ts"].as_str().unwrap().to_owned();
    let payload_id =
        |h: &serde_json::Value| h["messages"][0]["metadata"]["event_payload"]["id"].clone();
    let edited = e
        .call(
            "chat.update",
            &[("channel", &dm), ("ts", &ts), ("text", "Approved")],
        )
        .await;
    assert_eq!(edited["ok"], true, "{edited}");
    let h = history(
        &e,
        &token,
        &[("channel", &dm), ("include_all_metadata", "true")],
    )
    .await;
    assert_eq!(h["messages"][0]["text"], "Approved");
    assert_eq!(payload_id(&h), "n-1");
    let replaced = e
        .call_json(
            "chat.update",
            serde_json::json!({
                "channel": dm, "ts": ts, "text": "Expired",
                "metadata": {"event_type": "latch_notification", "event_payload": {"id": "n-1", "state": "expired"}},
            }),
        )
        .await;
    assert_eq!(replaced["ok"], true, "{replaced}");
    let h = history(
        &e,
        &token,
        &[("channel", &dm), ("include_all_metadata", "true")],
    )
    .await;
    assert_eq!(
        h["messages"][0]["metadata"]["event_payload"]["state"],
        "expired"
    );
    let bad = e
        .call(
            "chat.update",
            &[
                ("channel", &dm),
                ("ts", &ts),
                ("text", "x"),
                ("metadata", "{nope"),
            ],
        )
        .await;
    assert_error(&bad, "invalid_metadata_format");
    assert!(allowed("chat.update", "invalid_metadata_format"));
}

/// `conversations.replies` as slack-morphism's GET calls it.
async fn replies(e: &Env, token: &str, args: &[(&str, &str)]) -> serde_json::Value {
    let resp = e
        .http
        .get(format!("{}/conversations.replies", e.slack.api_url()))
        .bearer_auth(token)
        .query(args)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// DOCS-M conversations.replies: the thread of `ts` ("Unique identifier of either
/// a thread's parent message or a message in the thread"), the parent first then
/// the replies; `ts` is required and a bad one is `thread_not_found`; metadata as
/// history's (`include_all_metadata`). How Latch finds a thread line it may have
/// posted before a crash.
#[tokio::test]
async fn replies_list_a_thread_parent_first_with_its_metadata_and_refuse_an_unknown_ts() {
    let (e, token) = env_with_history().await;
    let parent = post_notification(&e, &e.bob.id, "n-1").await;
    let dm = parent["channel"].as_str().unwrap().to_owned();
    let parent_ts = parent["ts"].as_str().unwrap().to_owned();
    for line in ["7", "8"] {
        let r = e
            .call_json(
                "chat.postMessage",
                serde_json::json!({
                    "channel": dm,
                    "thread_ts": parent_ts,
                    "text": format!("line {line}"),
                    "metadata": {"event_type": "latch_thread", "event_payload": {"line": line}},
                }),
            )
            .await;
        assert_eq!(r["ok"], true, "{r}");
    }
    post_notification(&e, &e.bob.id, "n-2").await;
    let thread = replies(
        &e,
        &token,
        &[
            ("channel", &dm),
            ("ts", &parent_ts),
            ("include_all_metadata", "true"),
        ],
    )
    .await;
    assert_eq!(thread["ok"], true, "{thread}");
    let messages = thread["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        3,
        "the parent and its two replies: {thread}"
    );
    assert_eq!(messages[0]["ts"], parent_ts.as_str());
    let lines: Vec<&str> = messages[1..]
        .iter()
        .map(|m| m["metadata"]["event_payload"]["line"].as_str().unwrap())
        .collect();
    assert_eq!(lines, ["7", "8"], "oldest first: {thread}");
    assert_eq!(thread["has_more"], false);
    // A reply's ts gives its thread too.
    let reply_ts = messages[2]["ts"].as_str().unwrap().to_owned();
    let same = replies(&e, &token, &[("channel", &dm), ("ts", &reply_ts)]).await;
    assert_eq!(same["messages"].as_array().unwrap().len(), 3, "{same}");
    assert_eq!(
        same["messages"][1]["metadata"],
        serde_json::json!({"event_type": "latch_thread"}),
        "only the event type without include_all_metadata: {same}"
    );
    for args in [
        vec![("channel", dm.as_str())],
        vec![("channel", dm.as_str()), ("ts", "1.000001")],
        vec![("channel", dm.as_str()), ("ts", "not-a-ts")],
    ] {
        let refused = replies(&e, &token, &args).await;
        assert_eq!(refused["error"], "thread_not_found", "{args:?}: {refused}");
    }
}
