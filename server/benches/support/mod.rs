//! What the benchmarks share: a database of either engine (a temp SQLite file or a fresh
//! PostgreSQL database, dropped afterwards), the knobs read from the environment, and the bulk
//! seeding of people, the catalog and active grants, written as multi-row SQL so that seeding
//! 100,000 grants takes seconds and never counts in what a benchmark measures.
//!
//! Each benchmark is its own crate and includes this file with `mod support;`.

use app::domain::{
    AppId, EntitlementId, Grant, GrantId, GrantState, RequestId, Role, Timestamp, UserId,
};
use app::session::CurrentUser;
use app::ssr::Db;
use app::ssr::access::{self, Actor, catalog};
use sqlx::Row;

/// Rows per multi-row INSERT when seeding.
pub const SEED_BATCH: usize = 200;

/// A number from the environment, or `default` when unset or not a number.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A database to seed, its engine's name, and what to clean up afterwards.
pub struct Bench {
    pub db: Db,
    pub engine: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server's admin URL and the database to drop.
    drop: Option<(String, String)>,
}

impl Bench {
    /// A migrated database: a fresh PostgreSQL database named `{prefix}_{uuid}` on
    /// `LATCH_BENCH_POSTGRES_URL`'s server when it is set and not empty, else SQLite in a temp dir.
    pub async fn start(prefix: &str) -> Bench {
        let bench = match std::env::var("LATCH_BENCH_POSTGRES_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
                let admin = Db::connect(&admin_url).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin.pool)
                    .await
                    .unwrap();
                admin.pool.close().await;
                let (base, _) = admin_url.rsplit_once('/').unwrap();
                let url = format!("{base}/{name}");
                Bench {
                    db: Db::connect(&url).await.unwrap(),
                    engine: "PostgreSQL",
                    _dir: None,
                    drop: Some((admin_url, name)),
                }
            }
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                Bench {
                    db: Db::connect(&url).await.unwrap(),
                    engine: "SQLite",
                    _dir: Some(dir),
                    drop: None,
                }
            }
        };
        bench.db.migrate().await.unwrap();
        bench
    }

    /// Verifies the audit chain the run wrote and prints its length; panics if it is broken.
    pub async fn verify_audit(&self) {
        match access::audit::verify(&self.db).await.unwrap() {
            access::audit::Verification::Intact { events } => {
                println!("{}: audit chain intact ({events} events)", self.engine)
            }
            other => panic!("audit chain broken: {other:?}"),
        }
    }

    /// Closes the pool and drops the PostgreSQL database (the temp dir goes with `self`).
    pub async fn finish(self) {
        self.db.pool.close().await;
        if let Some((admin_url, name)) = self.drop {
            let admin = Db::connect(&admin_url).await.unwrap();
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&admin.pool)
                .await
                .unwrap();
        }
    }
}

/// The Super Admin `admin@bench`, who owns the catalog (and campaigns), as an actor.
pub async fn seed_admin(db: &Db) -> Actor {
    let admin_id: i64 = sqlx::query(
        "INSERT INTO users (email, display_name, role, status, created_at, updated_at) VALUES ('admin@bench', 'Admin', 'super_admin', 'active', 0, 0) RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap();
    Actor::new(CurrentUser {
        id: admin_id,
        email: "admin@bench".into(),
        name: "Admin".into(),
        role: Role::SuperAdmin,
        granted_roles: Vec::new(),
    })
}

/// Inserts active users (email, display name, manager) in multi-row statements; returns their row
/// ids in order.
pub async fn insert_users(db: &Db, rows: &[(String, String, Option<i64>)]) -> Vec<i64> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(SEED_BATCH) {
        let sql = format!(
            "INSERT INTO users (email, display_name, manager_id, role, status, created_at, updated_at) \
             VALUES {} RETURNING id",
            values(chunk.len(), 3, ", 'user', 'active', 0, 0")
        );
        let mut q = sqlx::query(&sql);
        for (email, name, manager) in chunk {
            q = q.bind(email).bind(name).bind(*manager);
        }
        let mut got: Vec<i64> = q
            .fetch_all(&db.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<i64, _>("id").unwrap())
            .collect();
        got.sort_unstable();
        ids.extend(got);
    }
    ids
}

/// An app named `name`, owned by the admin; returns its id.
pub async fn save_app(db: &Db, actor: &Actor, name: String) -> String {
    catalog::save_app(
        db,
        actor,
        None,
        app::shapes::AppInput {
            name,
            owners: "admin@bench".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// A manually provisioned entitlement of `app_id` (90 days at most, the admin provisions), with
/// `review_policy` (a policy id, or empty for none); returns its id.
pub async fn save_manual_entitlement(
    db: &Db,
    actor: &Actor,
    app_id: &str,
    display_name: String,
    review_policy: String,
) -> String {
    catalog::save_entitlement(
        db,
        actor,
        None,
        app::shapes::EntitlementInput {
            app_id: app_id.to_owned(),
            display_name,
            max_duration: "90d".into(),
            provisioning: "manual".into(),
            provisioners: "admin@bench".into(),
            review_policy,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// An active grant of `entitlement` to the user with row id `subject`, granted at `t0`.
pub fn active_grant(
    subject: i64,
    app_id: &str,
    entitlement: &str,
    t0: i64,
    expires_at: Option<i64>,
) -> Grant {
    Grant {
        id: GrantId::new(access::new_id()),
        subject: UserId::new(subject.to_string()),
        app: AppId::new(app_id.to_owned()),
        entitlement: EntitlementId::new(entitlement.to_owned()),
        granted_at: Timestamp::from_unix_millis(t0),
        period_start: Timestamp::from_unix_millis(t0),
        expires_at: expires_at.map(Timestamp::from_unix_millis),
        source_request: RequestId::new(access::new_id()),
        extensions: Vec::new(),
        state: GrantState::Active,
        version: 1,
    }
}

/// Writes `grants` (at most a few hundred: one statement) as active rows created at `t0`.
pub async fn insert_grants(db: &Db, grants: &[Grant], t0: i64) {
    let sql = format!(
        "INSERT INTO grants (id, subject_id, app_id, entitlement_id, source_request_id, state, \
         expires_at, version, body, created_at, updated_at) VALUES {}",
        values(grants.len(), 11, "")
    );
    let mut q = sqlx::query(&sql);
    for g in grants {
        let subject: i64 = g.subject.as_str().parse().unwrap();
        q = q
            .bind(g.id.to_string())
            .bind(subject)
            .bind(g.app.to_string())
            .bind(g.entitlement.to_string())
            .bind(g.source_request.to_string())
            .bind("active")
            .bind(g.expires_at.map(|t| t.as_unix_millis()))
            .bind(1_i64)
            .bind(serde_json::to_string(g).unwrap())
            .bind(t0)
            .bind(t0);
    }
    q.execute(&db.pool).await.unwrap();
}

/// The VALUES rows of a multi-row INSERT: `rows` rows of `binds` numbered parameters each
/// (`$1` onwards, as both engines accept), each followed by `literals` (the columns every row
/// has alike).
fn values(rows: usize, binds: usize, literals: &str) -> String {
    (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=binds).map(|c| format!("${}", r * binds + c)).collect();
            format!("({}{literals})", params.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
