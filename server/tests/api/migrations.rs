//! Upgrading a database that already holds data: each migration must carry existing rows forward.

use std::borrow::Cow;

use sqlx::Row;
use sqlx::migrate::Migrator;

use crate::helpers::fresh_database_url;
use app::ssr::Db;
use app::ssr::db::Engine;

/// The engine's migrations up to and including `version`, as an older Latch would have run them.
fn migrator_up_to(engine: Engine, version: i64) -> Migrator {
    let all = match engine {
        Engine::Sqlite => sqlx::migrate!("../migrations/sqlite"),
        Engine::Postgres => sqlx::migrate!("../migrations/postgres"),
    };
    let migrations: Vec<_> = all
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect();
    let mut older = all;
    older.migrations = Cow::Owned(migrations);
    older
}

async fn insert_entitlement(db: &Db, id: &str, alias: Option<&str>) {
    let body = serde_json::json!({ "id": id, "alias": alias, "display_name": id }).to_string();
    sqlx::query(
        "INSERT INTO entitlements (id, app_id, slug, display_name, body, created_at, updated_at) VALUES ($1, 'app1', $1, $1, $2, 0, 0)",
    )
    .bind(id)
    .bind(body)
    .execute(&db.pool)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrading_keeps_entitlements_and_indexes_the_aliases_that_were_unique() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let db = Db::connect(&url).await.unwrap();
    migrator_up_to(db.engine, 3).run(&db.pool).await.unwrap();
    sqlx::query("INSERT INTO apps (id, slug, name, body, created_at, updated_at) VALUES ('app1', 'app1', 'App', '{}', 0, 0)")
        .execute(&db.pool)
        .await
        .unwrap();
    insert_entitlement(&db, "solo", Some("aws-prod")).await;
    insert_entitlement(&db, "twin-a", Some("shared")).await;
    insert_entitlement(&db, "twin-b", Some("shared")).await;
    insert_entitlement(&db, "plain", None).await;

    db.migrate().await.unwrap();

    let rows = sqlx::query("SELECT id, alias, version FROM entitlements ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let got: Vec<(String, Option<String>, i64)> = rows
        .iter()
        .map(|r| (r.get("id"), r.get("alias"), r.get("version")))
        .collect();
    assert_eq!(
        got,
        vec![
            ("plain".into(), None, 1),
            ("solo".into(), Some("aws-prod".into()), 1),
            // A duplicate from before aliases were enforced is left for the next save to settle.
            ("twin-a".into(), None, 1),
            ("twin-b".into(), None, 1),
        ]
    );
    let apps: i64 = sqlx::query("SELECT version FROM apps")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get("version");
    assert_eq!(apps, 1);
    // From now on the index refuses a second holder.
    let taken = sqlx::query("UPDATE entitlements SET alias = 'aws-prod' WHERE id = 'plain'")
        .execute(&db.pool)
        .await;
    assert!(taken.is_err(), "the alias index must refuse a duplicate");
}
