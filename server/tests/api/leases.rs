use app::ssr::lease;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_process_holds_a_lease_until_it_lapses_or_is_released() {
    let app = spawn_app().await;
    let db = &app.db;
    assert!(
        lease::try_acquire(db, "expiry", "process-a", 60_000)
            .await
            .unwrap()
    );
    assert!(
        !lease::try_acquire(db, "expiry", "process-b", 60_000)
            .await
            .unwrap()
    );
    assert!(
        lease::try_acquire(db, "expiry", "process-a", 60_000)
            .await
            .unwrap(),
        "the holder renews"
    );

    lease::release(db, "expiry", "process-a").await.unwrap();
    assert!(
        lease::try_acquire(db, "expiry", "process-b", 1)
            .await
            .unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(
        lease::try_acquire(db, "expiry", "process-a", 60_000)
            .await
            .unwrap(),
        "a lapsed lease is taken over"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_on_a_free_lease_have_one_winner() {
    let app = spawn_app().await;
    let mut handles = Vec::new();
    for n in 0..8 {
        let db = app.db.clone();
        handles.push(tokio::spawn(async move {
            lease::try_acquire(&db, "outbox", &format!("process-{n}"), 60_000)
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for handle in handles {
        if handle.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_starting_together_on_one_database_migrate_it_once() {
    let first = spawn_app().await;
    // A fresh database for the race: the first app's URL already migrated, so use a new one.
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database_url(dir.path()).await;
    let (a, b, c) = tokio::join!(
        crate::helpers::spawn_on_database(&url),
        crate::helpers::spawn_on_database(&url),
        crate::helpers::spawn_on_database(&url),
    );
    let apps = [a, b, c];
    for app in &apps {
        let response = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let applied: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&apps[0].db.pool)
        .await
        .unwrap();
    let expected: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&first.db.pool)
        .await
        .unwrap();
    assert_eq!(
        applied.0, expected.0,
        "every migration applied exactly once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_expires_by_the_databases_clock() {
    let app = spawn_app().await;
    let held = lease::acquire(&app.db, "expiry", "process-a", 60_000)
        .await
        .unwrap()
        .unwrap();
    let expires_at: i64 = sqlx::query_scalar("SELECT expires_at FROM leases WHERE name = 'expiry'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let db_now = lease::db_now_ms(&app.db).await.unwrap();
    assert!(
        (59_000..=60_500).contains(&(expires_at - db_now)),
        "{expires_at} vs the database's {db_now}"
    );
    assert_eq!(held.token, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewing_keeps_the_fencing_token_and_taking_a_lapsed_lease_moves_it_on() {
    let app = spawn_app().await;
    let db = &app.db;
    let first = lease::acquire(db, "expiry", "process-a", 60_000)
        .await
        .unwrap()
        .unwrap();
    let renewed = lease::acquire(db, "expiry", "process-a", 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renewed.token, first.token, "a renewal is the same holding");

    sqlx::query("UPDATE leases SET expires_at = 0")
        .execute(&db.pool)
        .await
        .unwrap();
    let taken = lease::acquire(db, "expiry", "process-b", 60_000)
        .await
        .unwrap()
        .unwrap();
    assert!(taken.token > first.token);
    assert!(
        !lease::renew(db, &first).await.unwrap(),
        "the old holding cannot renew"
    );
    assert!(lease::renew(db, &taken).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_lost_its_lease_commits_nothing() {
    let app = spawn_app().await;
    let db = app.db.clone();
    let stalled = lease::acquire(&db, "test-job", "process-a", 60_000)
        .await
        .unwrap()
        .unwrap();
    // Process A stalls past its lease; process B takes over.
    sqlx::query("UPDATE leases SET expires_at = 0")
        .execute(&db.pool)
        .await
        .unwrap();
    let current = lease::acquire(&db, "test-job", "process-b", 60_000)
        .await
        .unwrap()
        .unwrap();

    let late_write = lease::fenced(stalled, async {
        let mut tx = db.begin().await?;
        sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('fenced', 'a', 0)")
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })
    .await;
    let error = late_write.expect_err("the stalled holder's transaction is refused");
    assert!(error.to_string().contains("lease was lost"), "{error}");

    lease::fenced(current, async {
        let mut tx = db.begin().await.unwrap();
        sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('fenced', 'b', 0)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    })
    .await;
    let value: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'fenced'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(value, "b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_longer_than_its_lease_renews_it_so_no_other_process_takes_over() {
    let app = spawn_app().await;
    let db = app.db.clone();
    // Generous times, so a busy machine's slow renewal is not mistaken for a lost lease: the
    // round (3 s) outlives its lease (1.2 s, three rounds' worth as `spawn_leased` takes it) by far.
    let every = std::time::Duration::from_millis(400);
    let held = lease::acquire(&db, "test-job", "process-a", 1_200)
        .await
        .unwrap()
        .unwrap();
    let rival_db = db.clone();
    let rival = tokio::spawn(async move {
        let mut stolen = false;
        for _ in 0..9 {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            stolen |= lease::try_acquire(&rival_db, "test-job", "process-b", 1_200)
                .await
                .unwrap();
        }
        stolen
    });
    let long_round = async {
        tokio::time::sleep(std::time::Duration::from_millis(3_000)).await;
        Ok(())
    };
    latch_server::background::run_round(&db, held, every, long_round)
        .await
        .unwrap();
    assert!(
        !rival.await.unwrap(),
        "the lease was taken while its holder was still working"
    );
}
