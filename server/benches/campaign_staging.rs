//! Campaign staging: how long `flows::campaigns::stage` takes to snapshot 100,000 grants in scope
//! (one review task per grant, with its reviewers, in one transaction), and how much memory it
//! needs while doing so.
//!
//! `cargo bench -p server --bench campaign_staging` (SQLite in a temp dir), or with
//! `LATCH_BENCH_POSTGRES_URL=postgres://…/postgres` to use a fresh PostgreSQL database there
//! (dropped afterwards). `scripts/bench-campaign` runs both.
//! Options (env): `LATCH_BENCH_GRANTS` (default 100000), `LATCH_BENCH_SMALL` (the grants of the
//! smaller campaign staged first, to compare peak memory against; default 10000),
//! `LATCH_BENCH_OWN_POLICIES` (set to 1: every entitlement has a review policy naming the
//! holder's manager and the campaigns use the entitlements' own policies, so staging also loads
//! those; the reviewers are the same).
//!
//! What is timed is `stage` alone: the grants, people and catalog are seeded with bulk SQL first.
//! Memory is the process's peak resident set (`VmHWM` in /proc/self/status), reset just before
//! each staging (writing 5 to /proc/self/clear_refs), so each figure is that staging's own peak.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use app::domain::campaign::{CampaignFields, CampaignScope, CampaignSettings, ReviewPolicy};
use app::domain::{AppId, ApproverSource, Timestamp};
use app::ssr::Db;
use app::ssr::access::{self, Actor};
use app::ssr::clock::now_ms;
use app::ssr::flows::campaigns;
use sqlx::Row;
use support::{
    Bench, SEED_BATCH, active_grant, env_usize, insert_grants, insert_users,
    save_manual_entitlement,
};

mod support;

/// People holding the grants, and the managers who review them.
const SUBJECTS: usize = 2_000;
const MANAGERS: usize = 50;
/// Apps with their entitlements: the small campaign takes one app, the big one all of them.
const APPS: usize = 10;
const ENTITLEMENTS_PER_APP: usize = 5;

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

/// Stages a draft over `scope` and prints what it took.
async fn stage_one(
    db: &Db,
    engine: &str,
    actor: &Actor,
    label: &str,
    scope: CampaignScope,
    use_entitlement_policies: bool,
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
                use_entitlement_policies,
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
    let own_policies = env_usize("LATCH_BENCH_OWN_POLICIES", 0) == 1;
    let bench = Bench::start("latch_bench_campaign").await;
    let db = bench.db.clone();
    let engine = bench.engine;

    // An admin (the campaign owner), 50 managers, 2,000 holders each reporting to one of them.
    let actor = support::seed_admin(&db).await;
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

    // Ten apps of five manually provisioned entitlements (with LATCH_BENCH_OWN_POLICIES, each
    // with the review policy "the holder's manager").
    let review_policy = if own_policies {
        access::policies::save(
            &db,
            &actor,
            None,
            app::shapes::PolicyInput {
                name: "Manager reviews".into(),
                steps: vec![app::shapes::StepInput {
                    manager: true,
                    ..Default::default()
                }],
            },
            None,
        )
        .await
        .unwrap()
    } else {
        String::new()
    };
    let mut apps = Vec::new();
    let mut entitlements = Vec::new();
    for a in 0..APPS {
        let app_id = support::save_app(&db, &actor, format!("Bench app {a}")).await;
        for e in 0..ENTITLEMENTS_PER_APP {
            let ent_id = save_manual_entitlement(
                &db,
                &actor,
                &app_id,
                format!("Role {e}"),
                review_policy.clone(),
            )
            .await;
            entitlements.push((app_id.clone(), ent_id));
        }
        apps.push(app_id);
    }

    // `total` active grants spread over the entitlements: the first app holds the first `small`
    // of them (the small campaign), the other apps share the rest.
    let seed = Instant::now();
    let t0 = now_ms();
    let mut i = 0;
    while i < total {
        let n = SEED_BATCH.min(total - i);
        let mut grants = Vec::with_capacity(n);
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
            grants.push(active_grant(subject, app_id, ent_id, t0, expires));
        }
        insert_grants(&db, &grants, t0).await;
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
        own_policies,
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
        own_policies,
    )
    .await;
    println!(
        "{engine}: peak growth over RSS while staging: {small_growth:.1} MiB for {small} grants, \
         {big_growth:.1} MiB for {n}; {n} in {secs:.2} s (target 10 s: {})",
        if secs <= 10.0 { "met" } else { "missed" }
    );
    bench.verify_audit().await;
    bench.finish().await;
}
