//! The stand-in's state kept in a file (`StandinConfig::state_file`): what a run leaves is
//! there on the next start (workspace, people, messages with their edits, threads and pins,
//! DMs, the installation and its token, the timestamp clock), a file that cannot be used is
//! refused with its path, and without a state file nothing is written.

use crate::{Behaviour, Env, FakeApp, assert_error, config, env, env_with};
use serde_json::Value;
use slack_standin::{SlackStandin, SlashCommand, StandinConfig};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A directory of its own under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "slack-standin-test-{}",
            slack_standin::ids::secret(16)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn kept_config(path: &Path) -> StandinConfig {
    StandinConfig {
        state_file: Some(path.to_path_buf()),
        ..config()
    }
}

fn ts_of(resp: &Value) -> String {
    assert_eq!(resp["ok"], true, "{resp}");
    resp["ts"].as_str().unwrap().to_owned()
}

/// The ts as a number of microseconds, for ordering.
fn micros(ts: &str) -> u128 {
    let (secs, frac) = ts.split_once('.').unwrap();
    secs.parse::<u128>().unwrap() * 1_000_000 + frac.parse::<u128>().unwrap()
}

async fn call_with(
    slack: &SlackStandin,
    token: &str,
    method: &str,
    args: &[(&str, &str)],
) -> Value {
    reqwest::Client::new()
        .post(format!("{}/{method}", slack.api_url()))
        .bearer_auth(token)
        .form(args)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_message_posted_and_edited_a_thread_a_pin_a_dm_an_open_modal_and_the_token_survive_a_restart()
 {
    let dir = TempDir::new();
    let path = dir.path().join("slack-standin.json");
    let e = env_with(kept_config(&path)).await;
    assert!(!e.slack.restored(), "no file yet: a fresh Slack");
    e.join(&e.it_access.id).await;
    let ts = ts_of(
        &e.call(
            "chat.postMessage",
            &[("channel", &e.it_access.id), ("text", "first version")],
        )
        .await,
    );
    let edited = e
        .call(
            "chat.update",
            &[
                ("channel", &e.it_access.id),
                ("ts", &ts),
                ("text", "second version"),
            ],
        )
        .await;
    assert_eq!(edited["ok"], true, "{edited}");
    let reply = ts_of(
        &e.call(
            "chat.postMessage",
            &[
                ("channel", &e.it_access.id),
                ("text", "a reply"),
                ("thread_ts", &ts),
            ],
        )
        .await,
    );
    let pinned = e
        .call(
            "pins.add",
            &[("channel", &e.it_access.id), ("timestamp", &ts)],
        )
        .await;
    assert_eq!(pinned["ok"], true, "{pinned}");
    let dm = e
        .call(
            "chat.postMessage",
            &[
                ("channel", &e.bob.id),
                ("text", "Your request was approved"),
            ],
        )
        .await;
    let dm_ts = ts_of(&dm);
    let dm_channel = dm["channel"].as_str().unwrap().to_owned();
    // Bob has a modal open with something typed into it.
    let trigger = e.slack.issue_trigger_id(&e.team.id, &e.bob.id);
    let opened = e
        .call_json(
            "views.open",
            serde_json::json!({"trigger_id": trigger, "view": {
                "type": "modal",
                "title": {"type": "plain_text", "text": "Request"},
                "submit": {"type": "plain_text", "text": "Send"},
                "blocks": [{"type": "input", "block_id": "why",
                    "label": {"type": "plain_text", "text": "Why"},
                    "element": {"type": "plain_text_input", "action_id": "reason"}}],
            }}),
        )
        .await;
    assert_eq!(opened["ok"], true, "{opened}");
    let view_id = opened["view"]["id"].as_str().unwrap().to_owned();
    let app = FakeApp::start(Behaviour::default()).await;
    e.slack
        .person(&e.bob.id, &app.url)
        .type_text(&view_id, "why", "reason", "INC-42")
        .await
        .unwrap();
    let installs = e.slack.installs();
    let Env {
        slack,
        token,
        team,
        bob,
        it_access,
        ..
    } = e;
    slack.stop().await;
    assert!(path.exists(), "stop saved the state");

    let slack = SlackStandin::start(kept_config(&path)).await.unwrap();
    assert!(slack.restored());
    assert_eq!(slack.workspaces().len(), 1);
    assert_eq!(slack.workspaces()[0].id, team.id);
    assert_eq!(
        slack.users().len(),
        4,
        "alice, bob, carol and the app's bot"
    );
    let restored_installs = slack.installs();
    assert_eq!(restored_installs.len(), 1);
    assert_eq!(restored_installs[0].id, installs[0].id);
    assert_eq!(restored_installs[0].bot_user_id, installs[0].bot_user_id);

    // The token works through the Web API, and history answers as before.
    let auth = call_with(&slack, &token, "auth.test", &[]).await;
    assert_eq!(auth["ok"], true, "{auth}");
    assert_eq!(auth["team_id"], team.id.as_str());
    let messages = slack.messages(&it_access.id);
    let parent = messages.iter().find(|m| m.ts == ts).unwrap();
    assert_eq!(parent.text, "second version");
    assert_eq!(parent.edits.len(), 1);
    assert_eq!(parent.edits[0].text, "first version");
    let thread: Vec<&str> = messages
        .iter()
        .filter(|m| m.thread_ts.as_deref() == Some(ts.as_str()))
        .map(|m| m.ts.as_str())
        .collect();
    assert_eq!(
        thread,
        vec![reply.as_str()],
        "the reply is still in the thread"
    );
    assert!(
        slack
            .pins()
            .iter()
            .any(|p| p.channel == it_access.id && p.ts == ts)
    );
    assert_eq!(slack.app_dm(&bob.id).unwrap().id, dm_channel, "the same DM");
    let dm_history = slack.messages(&dm_channel);
    assert_eq!(dm_history.len(), 1);
    assert_eq!(dm_history[0].ts, dm_ts);
    assert_eq!(dm_history[0].text, "Your request was approved");

    let modal = slack.top_modal(&bob.id).unwrap();
    assert_eq!(modal.id, view_id, "the modal is still open");
    assert_eq!(
        modal.state_values["why"]["reason"]["value"], "INC-42",
        "with what Bob typed"
    );

    // The app edits its earlier message in place after the restart, and a new one comes after.
    let again = call_with(
        &slack,
        &token,
        "chat.update",
        &[
            ("channel", &dm_channel),
            ("ts", &dm_ts),
            ("text", "Granted"),
        ],
    )
    .await;
    assert_eq!(again["ok"], true, "{again}");
    let next = ts_of(
        &call_with(
            &slack,
            &token,
            "chat.postMessage",
            &[("channel", &it_access.id), ("text", "after the restart")],
        )
        .await,
    );
    assert!(micros(&next) > micros(&reply), "{next} after {reply}");
    slack.stop().await;
}

async fn post_json(url: &str, body: Value) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// `url` on the restarted stand-in (its port is a new one; the path is what Slack keeps).
fn on(slack: &SlackStandin, url: &str) -> String {
    let path = url.splitn(4, '/').nth(3).unwrap();
    format!("{}/{path}", slack.base_url())
}

/// A slash command's `response_url`, as the app under test gets it.
async fn response_url(e: &Env) -> String {
    let app = FakeApp::start(Behaviour::default()).await;
    e.slack
        .send_slash_command(
            &app.url,
            SlashCommand {
                team_id: e.team.id.clone(),
                channel_id: e.general.id.clone(),
                user_id: e.bob.id.clone(),
                command: "/c1".into(),
                text: String::new(),
            },
        )
        .await
        .unwrap()
        .response_url
        .unwrap()
}

#[tokio::test]
async fn a_response_url_handed_out_before_a_restart_works_after_it_and_still_expires() {
    let dir = TempDir::new();
    let path = dir.path().join("state.json");
    let short = StandinConfig {
        response_url_ttl: Duration::from_secs(3),
        ..kept_config(&path)
    };
    let e = env_with(short.clone()).await;
    let live = response_url(&e).await;
    assert_eq!(
        post_json(&live, serde_json::json!({"text": "first use"})).await,
        (200, "ok".to_owned())
    );
    let Env { slack, bob, .. } = e;
    slack.stop().await;

    let slack = SlackStandin::start(short.clone()).await.unwrap();
    assert_eq!(
        post_json(
            &on(&slack, &live),
            serde_json::json!({"text": "after the restart"})
        )
        .await,
        (200, "ok".to_owned())
    );
    let seen: Vec<String> = slack
        .ephemerals()
        .into_iter()
        .filter(|m| m.user == bob.id)
        .map(|m| m.text)
        .collect();
    assert_eq!(seen, vec!["first use", "after the restart"]);
    slack.stop().await;

    // Its lifetime counts the time the stand-in was stopped.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let slack = SlackStandin::start(short).await.unwrap();
    assert_eq!(
        post_json(&on(&slack, &live), serde_json::json!({"text": "too late"})).await,
        (404, "expired_url".to_owned())
    );
    slack.stop().await;
}

#[tokio::test]
async fn the_timestamp_clock_carries_on_from_the_file_so_no_ts_is_issued_twice() {
    let dir = TempDir::new();
    let path = dir.path().join("state.json");
    let e = env_with(kept_config(&path)).await;
    e.join(&e.general.id).await;
    ts_of(
        &e.call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("text", "before")],
        )
        .await,
    );
    let Env {
        slack,
        token,
        general,
        ..
    } = e;
    slack.stop().await;

    // Put the saved clock an hour ahead of now: only a restored clock can issue after it.
    let mut file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let ahead = slack_standin::ids::unix_micros() + 3_600_000_000;
    file["clock"]["last_micros"] = serde_json::json!(ahead);
    std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();

    let slack = SlackStandin::start(kept_config(&path)).await.unwrap();
    let after = ts_of(
        &call_with(
            &slack,
            &token,
            "chat.postMessage",
            &[("channel", &general.id), ("text", "after")],
        )
        .await,
    );
    assert_eq!(micros(&after), ahead + 1);
    slack.stop().await;
}

#[tokio::test]
async fn a_running_stand_in_saves_its_changes_within_seconds_without_leaving_temporary_files() {
    let dir = TempDir::new();
    let path = dir.path().join("state.json");
    let e = env_with(kept_config(&path)).await;
    e.join(&e.general.id).await;
    ts_of(
        &e.call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("text", "kept while running")],
        )
        .await,
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let saved = std::fs::read_to_string(&path).unwrap_or_default();
        if saved.contains("kept while running") {
            break;
        }
        assert!(Instant::now() < deadline, "not saved within 5 s: {saved}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(names, vec![path.clone()], "only the state file");
    // Nothing changes: the file is not written again.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    e.slack.stop().await;
}

#[tokio::test]
async fn a_corrupt_state_file_is_refused_with_its_path_and_left_as_it_was() {
    let dir = TempDir::new();
    let path = dir.path().join("slack-standin.json");
    std::fs::write(&path, "{\"format\": \"slack-standin-state\", \"vers").unwrap();
    let refused = SlackStandin::start(kept_config(&path)).await.unwrap_err();
    let message = refused.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("not valid JSON"), "{message}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"format\": \"slack-standin-state\", \"vers"
    );
}

#[tokio::test]
async fn a_state_file_from_another_format_version_or_another_app_is_refused() {
    let dir = TempDir::new();
    let path = dir.path().join("state.json");
    let e = env_with(kept_config(&path)).await;
    e.slack.stop().await;
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["format"], "slack-standin-state");
    assert_eq!(saved["version"], slack_standin::persist::VERSION);

    let mut newer = saved.clone();
    newer["version"] = serde_json::json!(slack_standin::persist::VERSION + 1);
    std::fs::write(&path, serde_json::to_vec(&newer).unwrap()).unwrap();
    let message = SlackStandin::start(kept_config(&path))
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(&format!(
            "format version {}",
            slack_standin::persist::VERSION + 1
        )),
        "{message}"
    );

    std::fs::write(&path, serde_json::to_vec(&saved).unwrap()).unwrap();
    let other_app = StandinConfig {
        client_id: "1111111111.222222222222".into(),
        ..kept_config(&path)
    };
    let message = SlackStandin::start(other_app)
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("client id"), "{message}");
}

#[tokio::test]
async fn without_a_state_file_a_stand_in_writes_nothing_and_starts_empty_each_time() {
    let cwd = std::env::current_dir().unwrap();
    let listing = || {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&cwd)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    let e = env().await;
    assert!(e.slack.config().state_file.is_none());
    e.join(&e.general.id).await;
    ts_of(
        &e.call(
            "chat.postMessage",
            &[("channel", &e.general.id), ("text", "in memory only")],
        )
        .await,
    );
    e.slack.save_state().await.unwrap();
    e.slack.stop().await;
    assert_eq!(listing(), before, "nothing written next to the tests");

    let again = SlackStandin::start(config()).await.unwrap();
    assert!(!again.restored());
    assert!(again.workspaces().is_empty());
    assert_error(
        &call_with(&again, "xoxb-unknown", "auth.test", &[]).await,
        "invalid_auth",
    );
    again.stop().await;
}
