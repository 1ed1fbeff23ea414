//! Campaign staging: how long `flows::campaigns::stage` takes to snapshot 100,000 grants in scope
//! (one review task per grant, with its reviewers, in one transaction), and how much memory it
//! needs while doing so.
//!
//! `cargo bench -p server --bench campaign_staging` (SQLite in a temp dir), or with
//! `LATCH_BENCH_POSTGRES_URL=postgres://…/postgres` to use a fresh PostgreSQL database there
//! (dropped afterwards). `scripts/bench-campaign` runs both.
//! Options (env): `LATCH_BENCH_GRANTS` (default 100000), `LATCH_BENCH_SMALL` (the grants of the
//! smaller campaign staged first, to compare peak memory against; default 10000).
//!
//! What is timed is `stage` alone: the grants, people and catalog are seeded with bulk SQL first.
//! Memory is the process's peak resident set (`VmHWM` in /proc/self/status), reset just before
//! each staging (writing 5 to /proc/self/clear_refs), so each figure is that staging's own peak.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use app::domain::campaign::{CampaignFields, CampaignScope, CampaignSettings, ReviewPolicy};
use app::domain::{
    AppId, ApproverSource, EntitlementId, Grant, GrantId, GrantState, RequestId, Role, Timestamp,
    UserId,
};
use app::session::CurrentUser;
use app::ssr::Db;
use app::ssr::access::{self, Actor, catalog};
use app::ssr::clock::now_ms;
use app::ssr::flows::campaigns;
use sqlx::Row;

/// People holding the grants, and the managers who review them.
const SUBJECTS: usize = 2_000;
const MANAGERS: usize = 50;
/// Apps with their entitlements: the small campaign takes one app, the big one all of them.
const APPS: usize = 10;
const ENTITLEMENTS_PER_APP: usize = 5;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A database to seed, its engine's name, and what to clean up afterwards.
struct Bench {
    db: Db,
    engine: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// PostgreSQL: the server's admin URL and the database to drop.
    drop: Option<(String, String)>,
}

async fn database() -> Bench {
    match std::env::var("LATCH_BENCH_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("latch_bench_campaign_{}", uuid::Uuid::new_v4().simple());
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
    }
}

/// A `kB` line of /proc/self/status, in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Resets the peak resident set to the current one (Linux: "5" to clear_refs).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Inserts users in multi-row statements; returns their row ids in order.
async fn insert_users(db: &Db, rows: &[(String, String, Option<i64>)]) -> Vec<i64> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO users (email, display_name, role, status, manager_id, created_at, updated_at) VALUES ",
        );
        for k in 0..chunk.len() {
            let p = k * 3;
            sql.push_str(&format!(
                "{}(${}, ${}, 'user', 'active', ${}, 0, 0)",
                if k == 0 { "" } else { ", " },
                p + 1,
                p + 2,
                p + 3
            ));
        }
        sql.push_str(" RETURNING id");
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

/// Stages a draft over `scope` and prints what it took.
async fn stage_one(
    db: &Db,
    engine: &str,
    actor: &Actor,
    label: &str,
    scope: CampaignScope,
) -> (usize, f64, f64) {
    let draft = campaigns::create_draft(
        db,
        actor,
        CampaignFields {
            name: format!("Bench {label}"),
            description: String::new(),
            owners: vec![actor.id.clone()],
            due_at: Some(Timestamp::from_unix_millis(now_ms() + 14 * 86_400_000)),
            instructions: String::new(),
            scope,
            // The holder's manager reviews; the campaign owner when a holder has none.
            review_policy: ReviewPolicy {
                reviewers: vec![ApproverSource::Manager],
                ..ReviewPolicy::default()
            },
            settings: CampaignSettings::default(),
        },
    )
    .await
    .unwrap();
    let rss_before = status_mib("VmRSS");
    let reset = reset_peak();
    let started = Instant::now();
    let staged = campaigns::stage(db, actor, draft.id.as_str())
        .await
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    let peak = status_mib("VmHWM");
    let rss_after = status_mib("VmRSS");
    let tasks: i64 = sqlx::query("SELECT COUNT(*) FROM review_tasks WHERE campaign_id = $1")
        .bind(draft.id.as_str())
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let reviewers: i64 = sqlx::query(
        "SELECT COUNT(*) FROM review_task_reviewers r JOIN review_tasks t ON t.id = r.task_id WHERE t.campaign_id = $1",
    )
    .bind(draft.id.as_str())
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(tasks as u64, staged.review_tasks);
    println!(
        "{engine} {label}: staged {} review tasks ({reviewers} reviewer rows) in {secs:.2} s \
         ({:.0} tasks/s); RSS {rss_before:.1} MiB before, {rss_after:.1} MiB after, peak during \
         staging {peak:.1} MiB{}",
        staged.review_tasks,
        staged.review_tasks as f64 / secs,
        if reset {
            ""
        } else {
            " (peak not reset: it is the process's)"
        }
    );
    (staged.review_tasks as usize, secs, peak - rss_before)
}

#[tokio::main]
async fn main() {
    let total = env_usize("LATCH_BENCH_GRANTS", 100_000);
    let small = env_usize("LATCH_BENCH_SMALL", 10_000).min(total);
    let bench = database().await;
    let db = bench.db.clone();
    let engine = bench.engine;
    db.migrate().await.unwrap();

    // An admin (the campaign owner), 50 managers, 2,000 holders each reporting to one of them.
    let admin_id: i64 = sqlx::query(
        "INSERT INTO users (email, display_name, role, status, created_at, updated_at) VALUES ('admin@bench', 'Admin', 'super_admin', 'active', 0, 0) RETURNING id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
    .try_get("id")
    .unwrap();
    let managers = insert_users(
        &db,
        &(0..MANAGERS)
            .map(|i| (format!("manager{i}@bench"), format!("Manager {i}"), None))
            .collect::<Vec<_>>(),
    )
    .await;
    let subjects = insert_users(
        &db,
        &(0..SUBJECTS)
            .map(|i| {
                (
                    format!("user{i}@bench"),
                    format!("User {i}"),
                    Some(managers[i % MANAGERS]),
                )
            })
            .collect::<Vec<_>>(),
    )
    .await;
    let actor = Actor::new(CurrentUser {
        id: admin_id,
        email: "admin@bench".into(),
        name: "Admin".into(),
        role: Role::SuperAdmin,
        granted_roles: Vec::new(),
    });

    // Ten apps of five manually provisioned entitlements.
    let mut apps = Vec::new();
    let mut entitlements = Vec::new();
    for a in 0..APPS {
        let app_id = catalog::save_app(
            &db,
            &actor,
            None,
            app::shapes::AppInput {
                name: format!("Bench app {a}"),
                owners: "admin@bench".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        for e in 0..ENTITLEMENTS_PER_APP {
            let ent_id = catalog::save_entitlement(
                &db,
                &actor,
                None,
                app::shapes::EntitlementInput {
                    app_id: app_id.clone(),
                    display_name: format!("Role {e}"),
                    max_duration: "90d".into(),
                    provisioning: "manual".into(),
                    provisioners: "admin@bench".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            entitlements.push((app_id.clone(), ent_id));
        }
        apps.push(app_id);
    }

    // `total` active grants spread over the entitlements: the first app holds the first `small`
    // of them (the small campaign), the other apps share the rest.
    let seed = Instant::now();
    let t0 = now_ms();
    let batch = 200;
    let mut i = 0;
    while i < total {
        let n = batch.min(total - i);
        let mut sql = String::from(
            "INSERT INTO grants (id, subject_id, app_id, entitlement_id, source_request_id, state, expires_at, version, body, created_at, updated_at) VALUES ",
        );
        let mut rows = Vec::with_capacity(n);
        for k in 0..n {
            let idx = i + k;
            let (app_id, ent_id) = if idx < small {
                &entitlements[idx % ENTITLEMENTS_PER_APP]
            } else {
                &entitlements[ENTITLEMENTS_PER_APP
                    + idx % (entitlements.len() - ENTITLEMENTS_PER_APP).max(1)]
            };
            let subject = subjects[idx % subjects.len()];
            // Half temporary (90 days), half permanent.
            let expires = (idx % 2 == 0).then_some(t0 + 90 * 86_400_000);
            let g = Grant {
                id: GrantId::new(access::new_id()),
                subject: UserId::new(subject.to_string()),
                app: AppId::new(app_id.clone()),
                entitlement: EntitlementId::new(ent_id.clone()),
                granted_at: Timestamp::from_unix_millis(t0),
                period_start: Timestamp::from_unix_millis(t0),
                expires_at: expires.map(Timestamp::from_unix_millis),
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
                .bind(g.app.to_string())
                .bind(g.entitlement.to_string())
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
        "{engine}: seeded {total} active grants ({SUBJECTS} holders, {MANAGERS} managers, {APPS} apps, {} entitlements) in {:.1} s",
        entitlements.len(),
        seed.elapsed().as_secs_f64()
    );

    // The small campaign first (one app), then the big one (every app): if staging held the
    // snapshot in memory, the big one's peak would grow with its size.
    let (_, _, small_growth) = stage_one(
        &db,
        engine,
        &actor,
        "small campaign (one app)",
        CampaignScope {
            apps: vec![AppId::new(apps[0].clone())],
            ..CampaignScope::default()
        },
    )
    .await;
    let (n, secs, big_growth) = stage_one(
        &db,
        engine,
        &actor,
        "big campaign (every app)",
        CampaignScope {
            apps: apps.iter().cloned().map(AppId::new).collect(),
            ..CampaignScope::default()
        },
    )
    .await;
    println!(
        "{engine}: peak growth over RSS while staging: {small_growth:.1} MiB for {small} grants, \
         {big_growth:.1} MiB for {n}; {n} in {secs:.2} s (target 10 s: {})",
        if secs <= 10.0 { "met" } else { "missed" }
    );
    match access::audit::verify(&db).await.unwrap() {
        access::audit::Verification::Intact { events } => {
            println!("{engine}: audit chain intact ({events} events)")
        }
        other => panic!("audit chain broken: {other:?}"),
    }

    db.pool.close().await;
    if let Some((admin_url, name)) = bench.drop {
        let admin = Db::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&admin.pool)
            .await
            .unwrap();
    }
}
