use app::ssr::lease;

use crate::helpers::spawn_app;

#[tokio::test]
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

#[tokio::test]
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
