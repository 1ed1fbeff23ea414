//! The audit log holds up against a live server and against someone who can write the database:
//! `latch audit verify` reads one consistent snapshot, the head is signed with a key derived from
//! the secret key, and checkpoints kept elsewhere expose truncation and rewriting below them.

use sqlx::Row;

use app::domain::{AuditActor, AuditEvent, AuditEventId, Timestamp, UserId};
use app::ssr::access::audit::{self, Entry, Verification};

use crate::helpers::{TEST_SECRET_KEY, TestApp, spawn_app};

async fn append(app: &TestApp, n: usize) {
    for i in 0..n {
        let entry = Entry::new(AuditActor::System, "test.appended", format!("test:{i}"));
        audit::record(&app.db, app::ssr::access::now(), entry)
            .await
            .unwrap();
    }
}

/// `latch audit …` against the app's database, with the app's secret key.
fn latch_audit(app: &TestApp, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LATCH_DATA_DIR", dir.path())
        .env("LATCH_DATABASE_URL", &app.database_url)
        .env("LATCH_SECRET_KEY", TEST_SECRET_KEY)
        .arg("audit")
        .args(args)
        .output()
        .unwrap()
}

fn broken_message(verification: Verification) -> String {
    match verification {
        Verification::Broken { message, .. } => message,
        intact => panic!("tampering went unnoticed: {intact:?}"),
    }
}

async fn scalar_i64(app: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

/// The events in the log as the domain sees them, oldest first.
async fn stored_events(app: &TestApp) -> Vec<AuditEvent> {
    sqlx::query("SELECT seq, id, at, actor, action, target, before_json, after_json, rule FROM audit_events ORDER BY seq")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let actor: String = r.get("actor");
            AuditEvent {
                id: AuditEventId::new(r.get::<String, _>("id")),
                seq: u64::try_from(r.get::<i64, _>("seq")).unwrap(),
                at: Timestamp::from_unix_millis(r.get("at")),
                actor: match actor.strip_prefix("user:") {
                    Some(id) => AuditActor::User(UserId::new(id)),
                    None => AuditActor::System,
                },
                action: r.get("action"),
                target: r.get("target"),
                before: r.get("before_json"),
                after: r.get("after_json"),
                rule: r.get("rule"),
            }
        })
        .collect()
}

/// What someone with write access does after changing events: recompute every hash from the
/// first event on and point the head at the new last hash. `signing_key` is the head key when the
/// attacker also has the secret key.
async fn rehash_everything(app: &TestApp, events: &[AuditEvent], signing_key: Option<&[u8]>) {
    let mut prev = app::domain::GENESIS_HASH.to_string();
    for event in events {
        let hash = app::domain::chain_hash(&prev, event);
        sqlx::query(
            "UPDATE audit_events SET target = $1, prev_hash = $2, hash = $3 WHERE seq = $4",
        )
        .bind(&event.target)
        .bind(&prev)
        .bind(&hash)
        .bind(i64::try_from(event.seq).unwrap())
        .execute(&app.db.pool)
        .await
        .unwrap();
        prev = hash;
    }
    let seq = events.last().map_or(0, |e| e.seq);
    let signature = signing_key.map(|key| app::domain::audit::sign_head(key, seq, &prev));
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, signature = COALESCE($3, signature) WHERE id = 1")
        .bind(i64::try_from(seq).unwrap())
        .bind(&prev)
        .bind(signature)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

/// Removes every event after `keep` and rewinds the head to event `keep`, as someone who can
/// write the database would to hide the newest events.
async fn truncate_to(app: &TestApp, keep: i64, signing_key: Option<&[u8]>) {
    let hash: String = sqlx::query("SELECT hash FROM audit_events WHERE seq = $1")
        .bind(keep)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get("hash");
    sqlx::query("DELETE FROM audit_events WHERE seq > $1")
        .bind(keep)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let signature = signing_key
        .map(|key| app::domain::audit::sign_head(key, u64::try_from(keep).unwrap(), &hash));
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, signature = COALESCE($3, signature) WHERE id = 1")
        .bind(keep)
        .bind(&hash)
        .bind(signature)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

fn head_key() -> [u8; 32] {
    app::ssr::secret_key::derive(TEST_SECRET_KEY, app::ssr::secret_key::AUDIT_HEAD_PURPOSE)
}

/// The audit reported tampering in 17 of 20 runs of `latch audit verify` against a busy server.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verify_never_reports_tampering_while_a_live_server_appends() {
    let app = spawn_app().await;
    append(&app, 20).await;
    let writer = {
        let db = app.db.clone();
        tokio::spawn(async move {
            for i in 0..400 {
                let entry =
                    Entry::new(AuditActor::System, "test.appended", format!("test:busy{i}"));
                audit::record(&db, app::ssr::access::now(), entry)
                    .await
                    .unwrap();
            }
        })
    };
    let mut runs = 0;
    while !writer.is_finished() || runs < 20 {
        let verification = audit::verify(&app.db).await.unwrap();
        assert!(
            matches!(verification, Verification::Intact { .. }),
            "false alarm on run {runs}: {verification:?}"
        );
        runs += 1;
    }
    writer.await.unwrap();
    // The command line too, while appends continue.
    let writer = {
        let db = app.db.clone();
        tokio::spawn(async move {
            for i in 0..200 {
                let entry = Entry::new(AuditActor::System, "test.appended", format!("test:cli{i}"));
                audit::record(&db, app::ssr::access::now(), entry)
                    .await
                    .unwrap();
            }
        })
    };
    for _ in 0..3 {
        let output = latch_audit(&app, &["verify"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    writer.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_newest_events_and_rewinding_the_head_is_detected() {
    let app = spawn_app().await;
    append(&app, 10).await;
    crate::access_fixtures::chain_is_intact(&app).await;
    let head = scalar_i64(&app, "SELECT seq FROM audit_head").await;
    truncate_to(&app, head - 4, None).await;
    let message = broken_message(audit::verify(&app.db).await.unwrap());
    assert!(
        message.contains("not signed with this secret key"),
        "{message}"
    );
    let output = latch_audit(&app, &["verify"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("BROKEN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rehashing_the_whole_log_after_changing_an_event_is_detected_without_the_key() {
    let app = spawn_app().await;
    append(&app, 10).await;
    let mut events = stored_events(&app).await;
    events[3].target = "test:rewritten".into();
    rehash_everything(&app, &events, None).await;
    let message = broken_message(audit::verify(&app.db).await.unwrap());
    assert!(
        message.contains("not signed with this secret key"),
        "{message}"
    );
    // Signing with a key of one's own does not help either.
    let other_key = app::ssr::secret_key::derive(
        "another-secret-key-another-secret-key",
        app::ssr::secret_key::AUDIT_HEAD_PURPOSE,
    );
    rehash_everything(&app, &events, Some(&other_key)).await;
    assert!(broken_message(audit::verify(&app.db).await.unwrap()).contains("not signed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_kept_elsewhere_exposes_truncation_and_rewriting_even_with_the_key() {
    let app = spawn_app().await;
    append(&app, 10).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checkpoint.json");
    let output = latch_audit(&app, &["checkpoint", "--out", file.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let checkpoint: app::domain::audit::Checkpoint =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let at_checkpoint = i64::try_from(checkpoint.seq).unwrap();
    assert_eq!(
        at_checkpoint,
        scalar_i64(&app, "SELECT seq FROM audit_head").await
    );
    append(&app, 5).await;
    let output = latch_audit(&app, &["verify", "--against", file.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("matches the checkpoint"));

    // Someone with the secret key and the database rewrites an event before the checkpoint and
    // re-signs: the log alone verifies, the checkpoint does not.
    let mut events = stored_events(&app).await;
    events[2].target = "test:rewritten".into();
    rehash_everything(&app, &events, Some(&head_key())).await;
    assert!(matches!(
        audit::verify(&app.db).await.unwrap(),
        Verification::Intact { .. }
    ));
    let output = latch_audit(&app, &["verify", "--against", file.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("rewritten"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // …or cuts the log back to before the checkpoint.
    truncate_to(&app, at_checkpoint - 3, Some(&head_key())).await;
    assert!(matches!(
        audit::verify(&app.db).await.unwrap(),
        Verification::Intact { .. }
    ));
    let output = latch_audit(&app, &["verify", "--against", file.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("events were removed"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A checkpoint file someone edited is refused.
    let mut forged = checkpoint.clone();
    forged.seq = u64::try_from(at_checkpoint - 5).unwrap();
    let forged_file = dir.path().join("forged.json");
    std::fs::write(&forged_file, serde_json::to_string(&forged).unwrap()).unwrap();
    let output = latch_audit(
        &app,
        &["verify", "--against", forged_file.to_str().unwrap()],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("signature"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_starts_with_an_event_of_its_own_on_a_new_database() {
    let app = spawn_app().await;
    let first: String = sqlx::query("SELECT action FROM audit_events WHERE seq = 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
        .get("action");
    assert_eq!(first, "audit.head_signing_started");
    // A restart on the same database and key does not start it again.
    let _again = crate::helpers::spawn_on_database(&app.database_url).await;
    assert_eq!(
        scalar_i64(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'audit.head_signing_started'"
        )
        .await,
        1
    );
    crate::access_fixtures::chain_is_intact(&app).await;
}
