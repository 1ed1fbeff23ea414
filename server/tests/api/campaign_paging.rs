//! Big campaigns in the console: a reviewer asked for 1,230 reviews reads My reviews a page at a
//! time, in a stable order (by app or by holder), with counts over every page; pending decisions
//! made on one page are counted on every other and submitted together; the campaign page lists
//! the open reviews a page at a time too. Through the server functions and the rendered pages.

use std::collections::BTreeSet;

use app::api::campaigns::{CampaignOpenReviews, DecideReviews, MyReviews, SubmitReviews};
use app::domain::campaign::{CampaignFields, CampaignScope, CampaignSettings, ReviewPolicy};
use app::domain::{
    AppId, ApproverSource, EntitlementId, Grant, GrantId, GrantState, RequestId, RoleSet, Timestamp,
};
use app::shapes::{MyReviewList, REVIEWS_PAGE_SIZE, ReviewLine};
use app::ssr::access::{Actor, grants, new_id, now, user_id};
use app::ssr::flows::campaigns;
use sqlx::Row;

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};

/// Holders of the seeded grants, and grants per holder in each of the two apps.
const HOLDERS: usize = 41;
const GRANTS_PER_HOLDER_PER_APP: usize = 15;
const REVIEWS: u64 = (HOLDERS * GRANTS_PER_HOLDER_PER_APP * 2) as u64;

/// Directory users written straight to the table (no password: nobody signs in as them), named
/// so that their names sort differently from their row ids.
async fn holders(app: &TestApp) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..HOLDERS {
        let row = sqlx::query(
            "INSERT INTO users (email, display_name, role, status, created_at, updated_at) \
             VALUES ($1, $2, 'user', 'active', 0, 0) RETURNING id",
        )
        .bind(format!("holder{i}@example.com"))
        .bind(format!("Holder {:02}", (i * 17) % HOLDERS))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        ids.push(row.try_get::<i64, _>("id").unwrap());
    }
    ids
}

/// `n` active grants of `entitlement` to each holder, through the grants repository.
async fn grant_all(app: &TestApp, holders: &[i64], app_id: &str, entitlement: &str, n: usize) {
    let at = now();
    let mut tx = app.db.begin().await.unwrap();
    for holder in holders {
        for _ in 0..n {
            let g = Grant {
                id: GrantId::new(new_id()),
                subject: user_id(*holder),
                app: AppId::new(app_id),
                entitlement: EntitlementId::new(entitlement),
                granted_at: at,
                period_start: at,
                expires_at: None,
                source_request: RequestId::new("seeded"),
                extensions: Vec::new(),
                state: GrantState::Active,
                version: 1,
            };
            grants::save_grant(&mut tx, None, &g, at).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
}

/// The loop's catalog plus a second app ("Analytics", entitlement "Reader"), 1,230 grants over
/// both, and a running campaign over both apps that Bob reviews entirely. Returns its id.
async fn big_campaign(app: &TestApp, l: &Loop) -> String {
    let prod_db = app_id_of(app, &l.entitlement_id).await;
    let analytics = l.admin.ok(app, app_form("Analytics")).await;
    let reader = l
        .admin
        .ok(
            app,
            SaveEntitlement {
                max_duration: Some("30d".into()),
                provisioning: Some("manual".into()),
                provisioners: Some("carol@example.com".into()),
                ..entitlement_form(&analytics, "Reader")
            },
        )
        .await;
    let holders = holders(app).await;
    grant_all(
        app,
        &holders,
        &prod_db,
        &l.entitlement_id,
        GRANTS_PER_HOLDER_PER_APP,
    )
    .await;
    grant_all(
        app,
        &holders,
        &analytics,
        &reader,
        GRANTS_PER_HOLDER_PER_APP,
    )
    .await;
    let admin = Actor::for_user(user_id(l.admin.user.id), RoleSet::new([l.admin.user.role]));
    let draft = campaigns::create_draft(
        &app.db,
        &admin,
        CampaignFields {
            name: "Quarterly review".into(),
            description: String::new(),
            owners: vec![admin.id.clone()],
            due_at: Some(Timestamp::from_unix_millis(
                now().as_unix_millis() + 7 * 86_400_000,
            )),
            instructions: String::new(),
            scope: CampaignScope {
                apps: vec![AppId::new(prod_db), AppId::new(analytics)],
                ..CampaignScope::default()
            },
            review_policy: ReviewPolicy {
                reviewers: vec![ApproverSource::Users(vec![user_id(l.bob.user.id)])],
                ..ReviewPolicy::default()
            },
            settings: CampaignSettings::default(),
        },
    )
    .await
    .unwrap();
    let id = draft.id.to_string();
    let staged = campaigns::stage(&app.db, &admin, &id).await.unwrap();
    assert_eq!(staged.review_tasks, REVIEWS);
    campaigns::start(&app.db, &admin, &id, false).await.unwrap();
    id
}

async fn my_page(app: &TestApp, who: &Person, by: &str, page: u64) -> MyReviewList {
    who.ok(
        app,
        MyReviews {
            by: by.into(),
            page,
        },
    )
    .await
}

/// Every page of `who`'s reviews grouped `by`, in order, checking each page's counts.
async fn every_review(app: &TestApp, who: &Person, by: &str) -> Vec<ReviewLine> {
    let pages = REVIEWS.div_ceil(REVIEWS_PAGE_SIZE);
    let mut all = Vec::new();
    for page in 1..=pages {
        let p = my_page(app, who, by, page).await;
        assert_eq!(p.page, page);
        assert_eq!(p.total, REVIEWS);
        assert_eq!(p.campaigns.len(), 1, "one campaign on page {page}");
        let c = &p.campaigns[0];
        assert_eq!(c.total, REVIEWS, "the campaign's count is over every page");
        let expected = if page < pages {
            REVIEWS_PAGE_SIZE
        } else {
            REVIEWS - REVIEWS_PAGE_SIZE * (pages - 1)
        };
        assert_eq!(c.reviews.len() as u64, expected, "page {page}");
        all.extend(c.reviews.iter().cloned());
    }
    all
}

fn keys(rows: &[ReviewLine], key: impl Fn(&ReviewLine) -> String) -> Vec<String> {
    rows.iter().map(key).collect()
}

fn is_sorted(values: &[String]) -> bool {
    values.windows(2).all(|w| w[0] <= w[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_pages_through_more_than_a_thousand_reviews_in_a_stable_order_with_counts_over_every_page()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let id = big_campaign(&app, &l).await;

    // By app: every review exactly once across the pages, apps then holders in name order.
    let by_app = every_review(&app, &l.bob, "app").await;
    let ids: BTreeSet<&str> = by_app.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len() as u64, REVIEWS, "no review repeated or skipped");
    assert!(is_sorted(&keys(&by_app, |r| format!(
        "{}\u{0}{}",
        r.app.to_lowercase(),
        r.subject.to_lowercase()
    ))));
    assert_eq!(by_app[0].app, "Analytics");
    assert_eq!(by_app.last().unwrap().app, "Prod DB");
    // The same pages again give the same reviews in the same order.
    assert_eq!(by_app, every_review(&app, &l.bob, "app").await);

    // By holder: the same reviews, holders in name order.
    let by_holder = every_review(&app, &l.bob, "holder").await;
    let holder_ids: BTreeSet<&str> = by_holder.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(holder_ids, ids);
    assert!(is_sorted(&keys(&by_holder, |r| r.subject.to_lowercase())));
    assert_eq!(by_holder[0].subject, "Holder 00");

    // A page past the end shows the last one.
    let last = my_page(&app, &l.bob, "app", 1 + REVIEWS.div_ceil(REVIEWS_PAGE_SIZE)).await;
    assert_eq!(last.page, REVIEWS.div_ceil(REVIEWS_PAGE_SIZE));
    assert_eq!(
        last.campaigns[0].reviews,
        by_app[(REVIEWS_PAGE_SIZE * (last.page - 1)) as usize..]
    );

    // Two certified on the first page, one denied on the last: every page counts all three as
    // pending, and "Submit reviews" submits them together.
    let first_two = format!("{},{}", by_app[0].id, by_app[1].id);
    let decided = |ids: &str, verdict: &str| DecideReviews {
        ids: ids.into(),
        verdict: verdict.into(),
        reason: "Left the team".into(),
    };
    assert_eq!(l.bob.ok(&app, decided(&first_two, "certify")).await, 2);
    let last_id = by_app.last().unwrap().id.clone();
    assert_eq!(l.bob.ok(&app, decided(&last_id, "deny")).await, 1);
    let middle = my_page(&app, &l.bob, "app", 3).await;
    let c = &middle.campaigns[0];
    assert_eq!((c.pending_certify, c.pending_deny), (2, 1));
    assert!(c.reviews.iter().all(|r| r.pending.is_none()));
    let first = my_page(&app, &l.bob, "app", 1).await;
    assert_eq!(
        first.campaigns[0].reviews[0].pending,
        Some(("certify".to_string(), Some("Left the team".to_string())))
    );
    let submitted = l
        .bob
        .ok(
            &app,
            SubmitReviews {
                campaign_id: id.clone(),
            },
        )
        .await;
    assert_eq!(
        (submitted.submitted, submitted.certified, submitted.denied),
        (3, 2, 1)
    );
    let after = my_page(&app, &l.bob, "app", 1).await;
    let c = &after.campaigns[0];
    assert_eq!((c.total, c.open), (REVIEWS, REVIEWS - 3));
    assert_eq!((c.pending_certify, c.pending_deny), (0, 0));
    // Decided reviews stay in the list, where they were.
    assert_eq!(c.reviews[0].id, by_app[0].id);
    assert_eq!(c.reviews[0].outcome, "certified");

    // The rendered page says which reviews it shows of how many, and links to the next page.
    let html = page_html(&app, &l.bob, "/access-reviews/mine?page=2").await;
    assert!(
        html.contains(&format!("Reviews 201–400 of {REVIEWS}")),
        "{html}"
    );
    assert!(html.contains("/access-reviews/mine?page=3"));
    assert!(html.contains("/access-reviews/mine?page=1"));
    assert!(html.contains(&format!("{} open of {REVIEWS} reviews", REVIEWS - 3)));
    let html = page_html(&app, &l.bob, "/access-reviews/mine?by=holder&page=7").await;
    assert!(
        html.contains(&format!("Reviews 1201–{REVIEWS} of {REVIEWS}")),
        "{html}"
    );
    assert!(html.contains("/access-reviews/mine?by=holder&amp;page=6"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_page_lists_more_than_a_thousand_open_reviews_a_page_at_a_time() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let id = big_campaign(&app, &l).await;
    let decided = l
        .bob
        .ok(
            &app,
            DecideReviews {
                ids: my_page(&app, &l.bob, "app", 1).await.campaigns[0].reviews[0]
                    .id
                    .clone(),
                verdict: "certify".into(),
                reason: String::new(),
            },
        )
        .await;
    assert_eq!(decided, 1);
    l.bob
        .ok(
            &app,
            SubmitReviews {
                campaign_id: id.clone(),
            },
        )
        .await;

    let open = REVIEWS - 1;
    let pages = open.div_ceil(REVIEWS_PAGE_SIZE);
    let mut seen = Vec::new();
    for page in 1..=pages {
        let p = l
            .admin
            .ok(
                &app,
                CampaignOpenReviews {
                    id: id.clone(),
                    page,
                },
            )
            .await;
        assert_eq!((p.page, p.total), (page, open));
        assert!(p.rows.iter().all(|r| r.outcome == "open"));
        seen.extend(p.rows);
    }
    let ids: BTreeSet<&str> = seen.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len() as u64, open, "every open review once");
    assert!(is_sorted(&keys(&seen, |r| format!(
        "{}\u{0}{}",
        r.app.to_lowercase(),
        r.subject.to_lowercase()
    ))));
    assert!(seen.iter().all(|r| r.reviewers == vec!["Bob Manager"]));

    let html = page_html(&app, &l.admin, &format!("/access-reviews/{id}?open_page=2")).await;
    assert!(
        html.contains(&format!("Open reviews 201–400 of {open}")),
        "{html}"
    );
    assert!(html.contains(&format!("/access-reviews/{id}?open_page=3")));

    // Someone who does not manage the campaign gets no page of it.
    let refused = l
        .bob
        .call(&app, CampaignOpenReviews { id, page: 2 })
        .await
        .unwrap_err();
    assert_eq!(refused.status, 404, "{refused:?}");
}

/// A console page as `who` sees it (it must answer 200).
async fn page_html(app: &TestApp, who: &Person, path: &str) -> String {
    let response = who.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}
