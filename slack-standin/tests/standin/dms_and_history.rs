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
