//! Expiry lag: how long after a grant's expiry the worker starts its revocation, with 100k active
//! grants in the table. Runs the same leased worker loop as `latch serve`.
//!
//! `cargo bench -p server --bench expiry_lag` (SQLite in a temp dir), or with
//! `LATCH_BENCH_POSTGRES_URL=postgres://…/postgres` to use a fresh PostgreSQL database there
//! (dropped afterwards).
//! Options (env): `LATCH_BENCH_GRANTS` (default 100000), `LATCH_BENCH_STEADY` (grants expiring
//! spread over 20 s, default 2000), `LATCH_BENCH_BURST` (grants expiring at the same instant,
//! default 1000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use app::ssr::clock::now_ms;
use sqlx::Row;
use support::{
    Bench, SEED_BATCH, active_grant, env_usize, insert_grants, insert_users,
    save_manual_entitlement,
};

mod support;

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
    let bench = Bench::start("latch_bench").await;
    let db = bench.db.clone();
    let engine = bench.engine;

    // An admin, 200 subjects, one app and a manually provisioned entitlement.
    let actor = support::seed_admin(&db).await;
    let subjects = insert_users(
        &db,
        &(0..200)
            .map(|i| (format!("user{i}@bench"), format!("User {i}"), None))
            .collect::<Vec<_>>(),
    )
    .await;
    let app_id = support::save_app(&db, &actor, "Bench".into()).await;
    let ent_id = save_manual_entitlement(&db, &actor, &app_id, "Admin".into(), String::new()).await;

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
    let mut t1: i64 = 0;
    let mut i = 0;
    while i < total {
        let n = SEED_BATCH.min(total - i);
        let mut grants = Vec::with_capacity(n);
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
            grants.push(active_grant(subject, &app_id, &ent_id, t0, Some(expires)));
        }
        insert_grants(&db, &grants, t0).await;
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
    bench.verify_audit().await;
    bench.finish().await;
}
