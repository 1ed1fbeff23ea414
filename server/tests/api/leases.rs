use app::ssr::lease;

use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_process_holds_a_lease_until_it_lapses_or_is_released() {
    let app = spawn_app().await;
    let db = &app.db;
    assert!(lease::try_acquire(db, "expiry", "process-a", 60_000).await.unwrap());
    assert!(!lease::try_acquire(db, "expiry", "process-b", 60_000).await.unwrap());
    assert!(lease::try_acquire(db, "expiry", "process-a", 60_000).await.unwrap(), "the holder renews");

    lease::release(db, "expiry", "process-a").await.unwrap();
    assert!(lease::try_acquire(db, "expiry", "process-b", 1).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(lease::try_acquire(db, "expiry", "process-a", 60_000).await.unwrap(), "a lapsed lease is taken over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_on_a_free_lease_have_one_winner() {
    let app = spawn_app().await;
    let mut handles = Vec::new();
    for n in 0..8 {
        let db = app.db.clone();
        handles.push(tokio::spawn(async move {
            lease::try_acquire(&db, "outbox", &format!("process-{n}"), 60_000).await.unwrap()
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
    assert_eq!(applied.0, expected.0, "every migration applied exactly once");
}
