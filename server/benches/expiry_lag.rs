//! Expiry lag: how long after a grant's expiry the worker starts its revocation, with 100k active
//! grants in the table. Runs the same leased worker loop as `latch serve`.
//!
//! `cargo bench -p server --bench expiry_lag` (SQLite in a temp dir), or with
//! `LATCH_BENCH_POSTGRES_URL=postgres://…/postgres` to use a fresh PostgreSQL database there.
//! Options (env): `LATCH_BENCH_GRANTS` (default 100000), `LATCH_BENCH_STEADY` (grants expiring
//! spread over 20 s, default 2000), `LATCH_BENCH_BURST` (grants expiring at the same instant,
//! default 1000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use app::domain::Role;
use app::domain::{AppId, EntitlementId, Grant, GrantId, GrantState, RequestId, Timestamp, UserId};
use app::session::CurrentUser;
use app::ssr::Db;
use app::ssr::access::{self, Actor, catalog};
use app::ssr::clock::now_ms;
use sqlx::Row;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn database() -> (Db, String, Option<tempfile::TempDir>) {
    match std::env::var("LATCH_BENCH_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("latch_bench_{}", uuid::Uuid::new_v4().simple());
            let admin = Db::connect(&admin_url).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin.pool)
                .await
                .unwrap();
            let (base, _) = admin_url.rsplit_once('/').unwrap();
            let url = format!("{base}/{name}");
            (Db::connect(&url).await.unwrap(), "PostgreSQL".into(), None)
        }
        _ => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            (Db::connect(&url).await.unwrap(), "SQLite".into(), Some(dir))
        }
    }
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let total = env_usize("LATCH_BENCH_GRANTS", 100_000);
    let steady = env_usize("LATCH_BENCH_STEADY", 2_000);
    let burst = env_usize("LATCH_BENCH_BURST", 1_000);
    let (db, engine, _dir) = database().await;
    db.migrate().await.unwrap();

    // An admin, 200 subjects, one app and a manually provisioned entitlement.
    let admin_id: i64 = sqlx::query(
        "INSERT INTO users (email, display_name, role, status, created_at, updated_at) VALUES ('admin@bench', 'Admin', 'super_admin', 'active', 0, 0) RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap();
    let mut subjects = Vec::new();
    for i in 0..200 {
        let id: i64 = sqlx::query(
            "INSERT INTO users (email, display_name, role, status, created_at, updated_at) VALUES ($1, $2, 'user', 'active', 0, 0) RETURNING id",
        )
        .bind(format!("user{i}@bench"))
        .bind(format!("User {i}"))
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
        subjects.push(id);
    }
    let actor = Actor::new(CurrentUser {
        id: admin_id,
        email: "admin@bench".into(),
        name: "Admin".into(),
        role: Role::SuperAdmin,
        granted_roles: Vec::new(),
    });
    let app_id = catalog::save_app(
        &db,
        &actor,
        None,
        app::shapes::AppInput {
            name: "Bench".into(),
            owners: "admin@bench".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let ent_id = catalog::save_entitlement(
        &db,
        &actor,
        None,
        app::shapes::EntitlementInput {
            app_id: app_id.clone(),
            display_name: "Admin".into(),
            max_duration: "90d".into(),
            provisioning: "manual".into(),
            provisioners: "admin@bench".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // 100k active grants: `steady` expire spread over 20 s starting 5 s from now, `burst` at the
    // same instant 25 s after they are written, the rest weeks away.
    let t0 = now_ms();
    let setup = Instant::now();
    let mut rng_state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next_rand = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    let batch = 200;
    let mut t1: i64 = 0;
    let mut i = 0;
    while i < total {
        let n = batch.min(total - i);
        let mut sql = String::from(
            "INSERT INTO grants (id, subject_id, app_id, entitlement_id, source_request_id, state, expires_at, version, body, created_at, updated_at) VALUES ",
        );
        let mut rows = Vec::new();
        for k in 0..n {
            // The expiring grants go in last, timed from when they are written, so the time the
            // bulk insert takes never counts as lag.
            let idx = total - 1 - (i + k);
            if idx == steady + burst - 1 || (idx < steady + burst && t1 == 0) {
                t1 = now_ms();
            }
            let expires = if idx < steady {
                t1 + 3_000 + (next_rand() % 20_000) as i64
            } else if idx < steady + burst {
                t1 + 25_000
            } else {
                t0 + 7 * 86_400_000 + (next_rand() % (80 * 86_400_000)) as i64
            };
            let subject = subjects[idx % subjects.len()];
            let g = Grant {
                id: GrantId::new(access::new_id()),
                subject: UserId::new(subject.to_string()),
                app: AppId::new(app_id.clone()),
                entitlement: EntitlementId::new(ent_id.clone()),
                granted_at: Timestamp::from_unix_millis(t0),
                period_start: Timestamp::from_unix_millis(t0),
                expires_at: Some(Timestamp::from_unix_millis(expires)),
                source_request: RequestId::new(access::new_id()),
                extensions: Vec::new(),
                state: GrantState::Active,
                version: 1,
            };
            let p = k * 11;
            sql.push_str(&format!(
                "{}(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                if k == 0 { "" } else { ", " },
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 9,
                p + 10,
                p + 11
            ));
            rows.push((g, subject, expires));
        }
        let mut q = sqlx::query(&sql);
        for (g, subject, expires) in &rows {
            q = q
                .bind(g.id.to_string())
                .bind(*subject)
                .bind(app_id.clone())
                .bind(ent_id.clone())
                .bind(g.source_request.to_string())
                .bind("active")
                .bind(*expires)
                .bind(1_i64)
                .bind(serde_json::to_string(g).unwrap())
                .bind(t0)
                .bind(t0);
        }
        q.execute(&db.pool).await.unwrap();
        i += n;
    }
    println!(
        "{engine}: inserted {total} active grants in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    if now_ms() > t1 + 3_000 {
        println!("warning: the expiring grants took longer than their 3 s head start to write");
    }

    // Lag is observed from outside, as a reader of the database sees it: every 20 ms an observer
    // looks for grants that have left "active" and stamps each with the time it first saw it. So a
    // revocation counts only once its transaction has committed, and the figures include up to one
    // polling interval on top of the true lag.
    let expected = steady + burst;
    let observer_db = db.clone();
    let observer = tokio::spawn(async move {
        let mut seen: std::collections::HashMap<String, (i64, i64)> =
            std::collections::HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(180);
        while seen.len() < expected && Instant::now() < deadline {
            let rows = sqlx::query(
                // Expired grants wait in "pending_removal" (nobody completes the tasks here); the
                // (state, expires_at) index keeps this poll from competing with the worker.
                "SELECT id, expires_at FROM grants WHERE state = 'pending_removal' AND expires_at >= $1",
            )
            .bind(t1)
            .fetch_all(&observer_db.pool)
            .await
            .unwrap();
            let observed_at = now_ms();
            for r in rows {
                let id: String = r.try_get("id").unwrap();
                let expires: i64 = r.try_get("expires_at").unwrap();
                seen.entry(id).or_insert((expires, observed_at - expires));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        seen
    });

    // The same worker `latch serve` runs.
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let worker_db = db.clone();
    let worker = latch_server::background::spawn_leased(
        db.clone(),
        "bench".into(),
        "grant-expiry",
        latch_server::startup::EXPIRY_SWEEP_EVERY,
        stop_rx,
        move || {
            let db = worker_db.clone();
            async move {
                let started = Instant::now();
                let revoked = app::ssr::flows::sweeps::expire_all_due(&db)
                    .await
                    .map_err(|e| e.to_string())?;
                if revoked >= 100 {
                    println!(
                        "sweep: {revoked} grants revoked in {} ms",
                        started.elapsed().as_millis()
                    );
                }
                Ok(())
            }
        },
    );
    let seen = observer.await.unwrap();
    let _ = stop.send(true);
    let _ = worker.await;

    let burst_at = t1 + 25_000;
    let lags_where = |burst: bool| {
        let mut lags: Vec<i64> = seen
            .values()
            .filter(|(expires, _)| (*expires == burst_at) == burst)
            .map(|(_, lag)| *lag)
            .collect();
        lags.sort_unstable();
        lags
    };
    let steady_lags = lags_where(false);
    let burst_lags = lags_where(true);
    let untouched: i64 = sqlx::query("SELECT COUNT(*) FROM grants WHERE state = 'active'")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let tasks: i64 =
        sqlx::query("SELECT COUNT(*) FROM provisioning_tasks WHERE kind = 'deprovision'")
            .fetch_one(&db.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    for (name, lags) in [
        ("steady (spread over 20 s)", &steady_lags),
        ("burst (same instant)", &burst_lags),
    ] {
        println!(
            "{engine} {name}: n={} p50={} ms p95={} ms p99={} ms max={} ms",
            lags.len(),
            percentile(lags, 0.50),
            percentile(lags, 0.95),
            percentile(lags, 0.99),
            lags.last().copied().unwrap_or(0)
        );
    }
    println!(
        "{engine}: {tasks} deprovisioning tasks for {} expiries; {untouched} grants still active",
        steady_lags.len() + burst_lags.len()
    );
    match access::audit::verify(&db).await.unwrap() {
        access::audit::Verification::Intact { events } => {
            println!("{engine}: audit chain intact ({events} events)")
        }
        other => panic!("audit chain broken: {other:?}"),
    }
}
