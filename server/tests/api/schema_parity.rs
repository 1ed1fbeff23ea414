//! The SQLite and PostgreSQL migration trees must describe one schema: queries are written once
//! for both engines, so a column or index that exists in only one tree is a bug waiting for the
//! other engine. Runs when `LATCH_TEST_POSTGRES_URL` is set (the suite's PostgreSQL pass); it
//! migrates a fresh database on each engine and compares tables, columns (name, coarse type,
//! NOT NULL) and the indexes created by the migrations (name, unique).

use std::collections::BTreeMap;

use sqlx::Row;

use app::ssr::Db;

/// table → column → (type class, not null)
type Columns = BTreeMap<String, BTreeMap<String, (String, bool)>>;
/// index name → (table, unique)
type Indexes = BTreeMap<String, (String, bool)>;

fn type_class(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("blob") || t.contains("bytea") {
        "bytes"
    } else if t.contains("real")
        || t.contains("double")
        || t.contains("float")
        || t.contains("numeric")
    {
        "real"
    } else {
        return t;
    }
    .to_string()
}

/// Tables that belong to the tools, not to Latch's schema. tower-sessions' store wants its own
/// layout per engine (`tower_sessions` in SQLite, schema `tower_sessions` in PostgreSQL).
fn ours(table: &str) -> bool {
    !table.starts_with("sqlite_") && table != "_sqlx_migrations" && table != "tower_sessions"
}

async fn sqlite_schema(db: &Db) -> (Columns, Indexes) {
    let tables: Vec<String> =
        sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&db.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("name"))
            .filter(|t| ours(t))
            .collect();
    let mut columns = Columns::new();
    let mut indexes = Indexes::new();
    for table in tables {
        let rows = sqlx::query(&format!(
            "SELECT name, type, \"notnull\" AS nn, pk FROM pragma_table_info('{table}')"
        ))
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let cols = columns.entry(table.clone()).or_default();
        for r in rows {
            // A primary key column is NOT NULL in PostgreSQL whether or not SQLite says so.
            let not_null = r.get::<i64, _>("nn") != 0 || r.get::<i64, _>("pk") != 0;
            cols.insert(
                r.get("name"),
                (type_class(&r.get::<String, _>("type")), not_null),
            );
        }
        let rows = sqlx::query(&format!(
            "SELECT name, \"unique\" AS uq, origin FROM pragma_index_list('{table}')"
        ))
        .fetch_all(&db.pool)
        .await
        .unwrap();
        for r in rows {
            // 'c': made by CREATE INDEX; 'u'/'pk' come from column constraints, named by the engine.
            if r.get::<String, _>("origin") == "c" {
                indexes.insert(r.get("name"), (table.clone(), r.get::<i64, _>("uq") != 0));
            }
        }
    }
    (columns, indexes)
}

async fn postgres_schema(db: &Db) -> (Columns, Indexes) {
    let mut columns = Columns::new();
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, is_nullable::text AS nullable \
         FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for r in rows {
        let table: String = r.get("t");
        if ours(&table) {
            columns.entry(table).or_default().insert(
                r.get("c"),
                (
                    type_class(&r.get::<String, _>("ty")),
                    r.get::<String, _>("nullable") == "NO",
                ),
            );
        }
    }
    let mut indexes = Indexes::new();
    let rows = sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS t, CASE WHEN x.indisunique THEN 1 ELSE 0 END AS uq \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for r in rows {
        let table: String = r.get("t");
        if ours(&table) {
            indexes.insert(r.get("name"), (table, r.get::<i32, _>("uq") != 0));
        }
    }
    (columns, indexes)
}

fn differences<V: PartialEq + std::fmt::Debug>(
    what: &str,
    sqlite: &BTreeMap<String, V>,
    postgres: &BTreeMap<String, V>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (key, value) in sqlite {
        match postgres.get(key) {
            None => out.push(format!("{what} {key}: only in SQLite")),
            Some(other) if other != value => out.push(format!(
                "{what} {key}: SQLite {value:?}, PostgreSQL {other:?}"
            )),
            Some(_) => {}
        }
    }
    for key in postgres.keys().filter(|k| !sqlite.contains_key(*k)) {
        out.push(format!("{what} {key}: only in PostgreSQL"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_and_postgresql_migrations_describe_the_same_schema() {
    if std::env::var("LATCH_TEST_POSTGRES_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("schema parity is checked in the PostgreSQL pass (LATCH_TEST_POSTGRES_URL)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&format!(
        "sqlite://{}",
        dir.path().join("parity.db").display()
    ))
    .await
    .unwrap();
    sqlite.migrate().await.unwrap();
    let postgres = Db::connect(&crate::helpers::fresh_database_url(dir.path()).await)
        .await
        .unwrap();
    postgres.migrate().await.unwrap();

    let (sqlite_columns, sqlite_indexes) = sqlite_schema(&sqlite).await;
    let (pg_columns, pg_indexes) = postgres_schema(&postgres).await;
    assert!(sqlite_columns.len() > 10, "{sqlite_columns:?}");

    let mut problems = differences(
        "table",
        &sqlite_columns.keys().map(|k| (k.clone(), ())).collect(),
        &pg_columns.keys().map(|k| (k.clone(), ())).collect(),
    );
    for (table, columns) in &sqlite_columns {
        if let Some(other) = pg_columns.get(table) {
            problems.extend(differences(&format!("column of {table}:"), columns, other));
        }
    }
    problems.extend(differences("index", &sqlite_indexes, &pg_indexes));
    assert!(
        problems.is_empty(),
        "the migration trees disagree:\n{}",
        problems.join("\n")
    );
}
