//! Review notifications in Slack (issue 12 §3), through the real server, its `slack-delivery`
//! job and the stand-in: the kickoff only when the owner opts in, the reminders' schedule driven
//! with a fake clock (weekly → 3 days → 1 day → the due date → daily, each once, nothing once the
//! campaign is completed), the relative target date and **See my tasks** in the DM, the
//! reassignment notice to the new reviewer, the close message, and **Send reminders** / a
//! review's **Send reminder** from the console (a double click sends once; reviewers Latch cannot
//! reach in Slack are counted).
//!
//! The cast is the JIT loop's, in a connected workspace where Alice, Bob and Carol have Slack
//! accounts and Ada (the Super Admin owning the campaigns) has none. Alice's access is reviewed
//! by her manager Bob; Carol has no manager, so the owner Ada reviews hers.

use app::api::campaigns::{ChangeCampaignStatus, SendCampaignReminders, SendReviewReminder};
use app::domain::campaign::{
    CampaignFields, CampaignScope, CampaignSettings, CampaignState, OpenReviews, ReviewOutcome,
    ReviewPolicy, ReviewTask,
};
use app::domain::{
    AppId, EntitlementId, Grant, GrantId, GrantState, RequestId, RoleSet, Timestamp, UserId,
};
use app::ssr::access::{Actor, campaigns as repo, grants, new_id, now, user_id};
use app::ssr::flows::campaign_notifications::remind_due;
use app::ssr::flows::campaigns;
use slack_standin::Message;

use crate::access_fixtures::*;
use crate::helpers::call_server_fn;
use crate::slack_delivery::{World, outbox, world_with};

const DAY: i64 = 86_400_000;
const MINUTE: i64 = 60_000;

fn actor(p: &Person) -> Actor {
    Actor::for_user(user_id(p.user.id), RoleSet::new([p.user.role]))
}

/// Alice's access through the real loop, and Carol's written straight to the grants repository.
async fn grants_in_scope(w: &World) {
    w.l.granted(&w.app).await;
    let at = now();
    let app_id = app_id_of(&w.app, &w.l.entitlement_id).await;
    let g = Grant {
        id: GrantId::new(new_id()),
        subject: user_id(w.l.carol.user.id),
        app: AppId::new(app_id),
        entitlement: EntitlementId::new(w.l.entitlement_id.clone()),
        granted_at: at,
        period_start: at,
        expires_at: None,
        source_request: RequestId::new("seeded"),
        extensions: Vec::new(),
        state: GrantState::Active,
        version: 1,
    };
    let mut tx = w.app.db.begin().await.unwrap();
    grants::save_grant(&mut tx, None, &g, at).await.unwrap();
    tx.commit().await.unwrap();
    // The loop's own notifications are out of the way before campaigns start.
    w.settled().await;
}

/// A staged campaign over the loop's entitlement, owned by Ada, due `due_in_ms` from now.
async fn staged(w: &World, name: &str, due_in_ms: i64) -> String {
    let fields = CampaignFields {
        name: name.into(),
        description: String::new(),
        owners: vec![user_id(w.l.admin.user.id)],
        due_at: Some(now().plus_millis(due_in_ms)),
        instructions: String::new(),
        scope: CampaignScope {
            entitlements: vec![EntitlementId::new(w.l.entitlement_id.clone())],
            ..CampaignScope::default()
        },
        review_policy: ReviewPolicy::default(),
        settings: CampaignSettings::default(),
    };
    let admin = actor(&w.l.admin);
    let id = campaigns::create_draft(&w.app.db, &admin, fields)
        .await
        .unwrap()
        .id
        .to_string();
    campaigns::stage(&w.app.db, &admin, &id).await.unwrap();
    id
}

/// Starts campaign `id` from the console, ticking "Notify reviewers now" or not.
async fn start(w: &World, id: &str, notify: bool) -> String {
    call_server_fn(
        &w.app,
        &w.l.admin.client,
        ChangeCampaignStatus {
            id: id.into(),
            action: "start".into(),
            open_reviews: String::new(),
            notify_reviewers: notify.then(|| "on".to_string()),
        },
    )
    .await
    .unwrap()
}

/// When campaign `id` started.
async fn started_at(w: &World, id: &str) -> Timestamp {
    match repo::load(&w.app.db, id).await.unwrap().state {
        CampaignState::Running { started, .. } => started.at,
        other => panic!("not running: {other:?}"),
    }
}

/// The open reviews of campaign `id`.
async fn open_reviews(w: &World, id: &str) -> Vec<ReviewTask> {
    repo::tasks_page(&w.app.db, id, ReviewOutcome::Open, "", 100)
        .await
        .unwrap()
}

/// The occasions of the campaign notifications of `kind` to `email` about campaign `id`, in
/// order (from their dedupe keys).
async fn occasions(w: &World, id: &str, kind: &str, email: &str) -> Vec<String> {
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT o.dedupe_key FROM outbox o JOIN users u ON u.id = o.recipient_id \
         WHERE o.campaign_id = $1 AND o.kind = $2 AND u.email = $3 ORDER BY o.id",
    )
    .bind(id)
    .bind(kind)
    .bind(email)
    .fetch_all(&w.app.db.pool)
    .await
    .unwrap();
    let prefix = format!("{kind}:campaign:{id}:");
    keys.iter()
        .map(|k| {
            let rest = k.strip_prefix(&prefix).unwrap_or_else(|| panic!("{k}"));
            // The occasion, without its instant and the recipient.
            rest.split(['@', ':']).next().unwrap_or_default().to_owned()
        })
        .collect()
}

fn blocks(m: &Message) -> String {
    serde_json::to_string(&m.blocks).unwrap()
}

async fn audit_count(w: &World, action: &str) -> i64 {
    scalar(
        &w.app,
        &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kickoff_goes_to_each_reviewer_only_when_the_owner_opts_in_with_a_relative_target_date_and_see_my_tasks()
 {
    let w = world_with(&["alice", "bob", "carol"]).await;
    grants_in_scope(&w).await;
    let bob_before = w.dm("bob").len();

    let quiet = staged(&w, "Quiet review", 10 * DAY).await;
    assert_eq!(
        start(&w, &quiet, false).await,
        "Started: reviewers can review."
    );
    w.settled().await;
    assert_eq!(
        w.dm("bob").len(),
        bob_before,
        "no kickoff without opting in"
    );
    assert!(
        occasions(&w, &quiet, "review_input_required", "bob@example.com")
            .await
            .is_empty()
    );

    // Due a day and two hours from now: tomorrow, whatever the time of day.
    let loud = staged(&w, "Q4 SOC 2 review", DAY + 2 * 60 * MINUTE).await;
    let said = start(&w, &loud, true).await;
    assert!(said.contains("each was sent a message"), "{said}");
    w.settled().await;
    let bob = w.dm("bob");
    assert_eq!(bob.len(), bob_before + 1, "{bob:?}");
    let kickoff = bob.last().unwrap();
    assert!(
        kickoff.text.starts_with("Access Review Input Required"),
        "{}",
        kickoff.text
    );
    let b = blocks(kickoff);
    assert!(b.contains("Please complete your assigned tasks."), "{b}");
    assert!(b.contains("has started"), "{b}");
    assert!(b.contains("*Target completion date*\\nTomorrow, "), "{b}");
    assert!(b.contains("You have *1 open review*"), "{b}");
    assert!(b.contains("See my tasks"), "{b}");
    assert!(b.contains("/access-reviews/mine\""), "{b}");
    // Ada reviews Carol's access but has no Slack account: recorded as such, not retried.
    let rows = outbox(&w.app).await;
    let adas: Vec<_> = rows
        .iter()
        .filter(|r| r.recipient == "admin@example.com" && r.kind == "review_input_required")
        .collect();
    assert_eq!(adas.len(), 1, "{rows:?}");
    assert_eq!(adas[0].state, "failed");
    // Alice and Carol review nothing: nothing for them.
    assert!(
        rows.iter()
            .filter(|r| r.kind == "review_input_required")
            .all(|r| r.recipient == "bob@example.com" || r.recipient == "admin@example.com")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_follow_the_schedule_on_a_fake_clock_each_once_and_stop_once_the_campaign_is_completed()
 {
    let w = world_with(&["alice", "bob", "carol"]).await;
    grants_in_scope(&w).await;
    let id = staged(&w, "Quarterly review", 12 * DAY).await;
    start(&w, &id, false).await;
    let started = started_at(&w, &id).await;
    let due = repo::load(&w.app.db, &id)
        .await
        .unwrap()
        .fields
        .due_at
        .unwrap();
    let db = &w.app.db;

    // Nothing before the first week is out.
    assert_eq!(
        remind_due(db, started.plus_millis(6 * DAY)).await.unwrap(),
        0
    );
    let schedule = [
        started.plus_millis(7 * DAY + MINUTE),
        due.plus_millis(-3 * DAY + MINUTE),
        due.plus_millis(-DAY + MINUTE),
        due.plus_millis(MINUTE),
        due.plus_millis(DAY + MINUTE),
        due.plus_millis(2 * DAY + MINUTE),
    ];
    for at in schedule {
        assert_eq!(remind_due(db, at).await.unwrap(), 1, "at {at}");
        // The job's next round (or another process) at the same moment sends nothing more.
        assert_eq!(remind_due(db, at).await.unwrap(), 0, "twice at {at}");
        assert_eq!(
            remind_due(db, at.plus_millis(2 * 60 * MINUTE))
                .await
                .unwrap(),
            0
        );
    }
    assert_eq!(
        occasions(&w, &id, "review_input_required", "bob@example.com").await,
        [
            "weekly-1",
            "3-days-before",
            "1-day-before",
            "due-date",
            "overdue-1",
            "overdue-2"
        ]
    );
    assert_eq!(audit_count(&w, "campaign.reminders_sent").await, 6);
    w.settled().await;
    let bob: Vec<Message> = w
        .dm("bob")
        .into_iter()
        .filter(|m| m.text.starts_with("Access Review Input Required"))
        .collect();
    assert_eq!(bob.len(), 6, "each reminder posted once: {bob:?}");
    for m in &bob {
        let b = blocks(m);
        assert!(b.contains("A reminder about the access review"), "{b}");
        assert!(b.contains("Target completion date"), "{b}");
        // Delivered now, on the real clock: the due date is still ahead.
        assert!(
            b.contains("in 1 week and 5 days") || b.contains("in 1 week and 4 days"),
            "{b}"
        );
    }

    // Ended and completed: everyone hears it once; no reminder after that.
    let admin = actor(&w.l.admin);
    campaigns::end(db, &admin, &id, OpenReviews::Skip)
        .await
        .unwrap();
    campaigns::complete(db, &admin, &id).await.unwrap();
    assert_eq!(remind_due(db, due.plus_millis(5 * DAY)).await.unwrap(), 0);
    w.settled().await;
    let closed = w.dm("bob");
    let last = closed.last().unwrap();
    assert!(
        last.text.starts_with("Access review ended"),
        "{}",
        last.text
    );
    assert!(blocks(last).contains("were skipped"));
    assert_eq!(
        occasions(&w, &id, "campaign_closed", "bob@example.com").await,
        ["closed"]
    );
    assert_eq!(
        occasions(&w, &id, "campaign_closed", "admin@example.com").await,
        ["closed"],
        "the owner too, once although ended and then completed"
    );
    assert_eq!(
        occasions(&w, &id, "review_input_required", "bob@example.com")
            .await
            .len(),
        6
    );
    chain_is_intact(&w.app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reassigned_review_is_announced_to_its_new_reviewer_only() {
    let w = world_with(&["alice", "bob", "carol"]).await;
    grants_in_scope(&w).await;
    let id = staged(&w, "Reassignment review", 10 * DAY).await;
    start(&w, &id, false).await;
    let carols = open_reviews(&w, &id)
        .await
        .into_iter()
        .find(|t| t.grant.subject == user_id(w.l.carol.user.id))
        .unwrap();
    let bob = UserId::new(w.l.bob.user.id.to_string());
    let bob_before = w.dm("bob").len();
    campaigns::reassign(
        &w.app.db,
        &actor(&w.l.admin),
        carols.id.as_str(),
        std::slice::from_ref(&bob),
        "Bob runs the team now",
    )
    .await
    .unwrap();
    w.settled().await;
    let dm = w.dm("bob");
    assert_eq!(dm.len(), bob_before + 1);
    let b = blocks(dm.last().unwrap());
    assert!(
        b.contains("Ada Admin reassigned to you the review of *Carol Owner*'s access to *Prod DB"),
        "{b}"
    );
    assert!(b.contains("Bob runs the team now"), "{b}");
    assert!(b.contains("You have *2 open reviews*"), "{b}");
    assert!(b.contains("See my tasks"));
    assert_eq!(
        occasions(&w, &id, "review_reassigned", "bob@example.com").await,
        ["reassigned"]
    );
    assert!(
        occasions(&w, &id, "review_reassigned", "admin@example.com")
            .await
            .is_empty(),
        "the former reviewer is not told"
    );

    // In a campaign not started yet nobody can review: its kickoff tells them when they can.
    let not_yet = staged(&w, "Next quarter", 10 * DAY).await;
    let carols = open_reviews(&w, &not_yet)
        .await
        .into_iter()
        .find(|t| t.grant.subject == user_id(w.l.carol.user.id))
        .unwrap();
    campaigns::reassign(
        &w.app.db,
        &actor(&w.l.admin),
        carols.id.as_str(),
        std::slice::from_ref(&bob),
        "Bob runs the team now",
    )
    .await
    .unwrap();
    assert!(
        occasions(&w, &not_yet, "review_reassigned", "bob@example.com")
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_reminders_and_a_reviews_send_reminder_remind_once_per_double_click_and_count_reviewers_without_slack()
 {
    let w = world_with(&["alice", "bob", "carol"]).await;
    grants_in_scope(&w).await;
    let id = staged(&w, "On-demand review", 10 * DAY).await;
    start(&w, &id, false).await;
    let alices = open_reviews(&w, &id)
        .await
        .into_iter()
        .find(|t| t.grant.subject == user_id(w.l.alice.user.id))
        .unwrap()
        .id
        .to_string();
    let bob_before = w.dm("bob").len();

    // A review's Send reminder, double-clicked: Bob is reminded once.
    let click = || {
        call_server_fn(
            &w.app,
            &w.l.admin.client,
            SendReviewReminder {
                review: alices.clone(),
            },
        )
    };
    let (first, second) = tokio::join!(click(), click());
    let mut answers = [first.unwrap(), second.unwrap()];
    answers.sort();
    assert_eq!(
        answers,
        [
            "Reminded 0 reviewers. 1 reviewer was reminded less than 10 minutes ago and not again."
                .to_string(),
            "Reminded 1 reviewer.".to_string()
        ]
    );
    w.settled().await;
    let dm = w.dm("bob");
    assert_eq!(dm.len(), bob_before + 1);
    let b = blocks(dm.last().unwrap());
    assert!(
        b.contains("Ada Admin asks you to complete your reviews"),
        "{b}"
    );
    assert!(
        b.contains("in 1 week and 3 days") || b.contains("in 1 week and 2 days"),
        "{b}"
    );

    // Send reminders, campaign-wide: Ada (no Slack) is reminded and counted; Bob was just
    // reminded and is not reminded again.
    let said = call_server_fn(
        &w.app,
        &w.l.admin.client,
        SendCampaignReminders { id: id.clone() },
    )
    .await
    .unwrap();
    assert_eq!(
        said,
        "Reminded 1 reviewer. 1 reviewer is not linked to Slack and gets no message. \
         1 reviewer was reminded less than 10 minutes ago and not again."
    );
    w.settled().await;
    assert_eq!(w.dm("bob").len(), bob_before + 1);
    assert_eq!(audit_count(&w, "campaign.reminders_sent").await, 2);

    // Someone who does not manage the campaign is told it does not exist.
    let refused = call_server_fn(
        &w.app,
        &w.l.bob.client,
        SendCampaignReminders { id: id.clone() },
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status, 404, "{}", refused.message);

    // Completed: nothing more is sent.
    let admin = actor(&w.l.admin);
    campaigns::end(&w.app.db, &admin, &id, OpenReviews::Skip)
        .await
        .unwrap();
    campaigns::complete(&w.app.db, &admin, &id).await.unwrap();
    let late = call_server_fn(
        &w.app,
        &w.l.admin.client,
        SendCampaignReminders { id: id.clone() },
    )
    .await
    .unwrap_err();
    assert!(late.message.contains("completed"), "{}", late.message);
    assert_eq!(
        occasions(&w, &id, "review_input_required", "bob@example.com")
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_notifications_obey_the_notification_settings_like_every_kind() {
    use app::api::slack::{GetNotificationSettings, SetNotificationKind, SetNotificationsEnabled};
    let w = world_with(&["alice", "bob", "carol"]).await;
    grants_in_scope(&w).await;
    // Listed in Settings > Notifications, in words, each with its switch.
    let listed = w.app.call(GetNotificationSettings {}).await.unwrap();
    let kinds: Vec<&str> = listed.kinds.iter().map(|k| k.kind.as_str()).collect();
    for kind in [
        "review_input_required",
        "review_reassigned",
        "campaign_closed",
    ] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    w.app
        .call(SetNotificationKind {
            kind: "review_input_required".into(),
            on: "off".into(),
        })
        .await
        .unwrap();
    let id = staged(&w, "Silenced review", 10 * DAY).await;
    start(&w, &id, true).await;
    let started = started_at(&w, &id).await;
    remind_due(&w.app.db, started.plus_millis(7 * DAY + MINUTE))
        .await
        .unwrap();
    assert!(
        occasions(&w, &id, "review_input_required", "bob@example.com")
            .await
            .is_empty(),
        "a kind turned off is not queued"
    );
    // The kill switch silences the rest.
    w.app
        .call(SetNotificationsEnabled { on: "off".into() })
        .await
        .unwrap();
    let admin = actor(&w.l.admin);
    campaigns::end(&w.app.db, &admin, &id, OpenReviews::Revoke)
        .await
        .unwrap();
    assert!(
        occasions(&w, &id, "campaign_closed", "bob@example.com")
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kickoff_and_each_reminder_are_also_announced_in_the_campaigns_slack_channel() {
    use app::api::campaigns::AddCampaignChannel;
    let w = world_with(&["alice", "bob", "carol"]).await;
    grants_in_scope(&w).await;
    let id = staged(&w, "Channel review", 12 * DAY).await;
    call_server_fn(
        &w.app,
        &w.l.admin.client,
        AddCampaignChannel {
            id: id.clone(),
            channel: "q4-review".into(),
            description: String::new(),
        },
    )
    .await
    .unwrap();
    start(&w, &id, true).await;
    let started = started_at(&w, &id).await;
    let at = started.plus_millis(7 * DAY + MINUTE);
    assert_eq!(remind_due(&w.app.db, at).await.unwrap(), 1);
    assert_eq!(remind_due(&w.app.db, at).await.unwrap(), 0);
    let posts: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, body FROM campaign_channel_posts WHERE campaign_id = $1 ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&w.app.db.pool)
    .await
    .unwrap();
    let kinds: Vec<&str> = posts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["kickoff", "reminder"], "{posts:?}");
    // Due 12 days after the start, reminded 7 days in: "in 5 days", in words, never negative.
    assert!(
        posts[1].1.contains("in 5 days") || posts[1].1.contains("in 4 days"),
        "{posts:?}"
    );
}
