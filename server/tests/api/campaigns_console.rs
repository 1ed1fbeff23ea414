//! Access review campaigns through the console's server functions and the report download, as a
//! browser calls them: the Super Admin creates a campaign, validates its scope, stages and starts
//! it; the reviewer (Alice's manager Bob, as `jit_loop` sets the directory) denies, submits; the owner edits the instructions while
//! it runs, ends and completes it; the report's SHA-256 on the campaign page is that of the bytes
//! downloaded. A plain user sees none of it.

use app::api::campaigns::{
    CampaignDetail, CampaignOpenReviews, ChangeCampaignStatus, CheckCampaignScope, CreateCampaign,
    DecideReviews, EditCampaign, ListCampaigns, MyReviews, ReassignReview, SearchPeople,
    SubmitReviews,
};
use app::api::directory::set_directory_role::SetDirectoryRole;
use app::domain::{AppId, EntitlementId, Grant, GrantId, GrantState, RequestId, Role};
use app::ssr::access::{grants, new_id, now, user_id};
use sha2::{Digest, Sha256};

use crate::access_fixtures::*;
use crate::helpers::{TestApp, spawn_app};

/// An active grant of the loop's entitlement to `subject`, written through the grants
/// repository (no request behind it).
async fn grant_to(app: &TestApp, l: &Loop, subject: &Person) -> String {
    let at = now();
    let app_id = app_id_of(app, &l.entitlement_id).await;
    let g = Grant {
        id: GrantId::new(new_id()),
        subject: user_id(subject.user.id),
        app: AppId::new(app_id),
        entitlement: EntitlementId::new(l.entitlement_id.clone()),
        granted_at: at,
        period_start: at,
        expires_at: None,
        source_request: RequestId::new("seeded"),
        extensions: Vec::new(),
        state: GrantState::Active,
        version: 1,
    };
    let mut tx = app.db.begin().await.unwrap();
    grants::save_grant(&mut tx, None, &g, at).await.unwrap();
    tx.commit().await.unwrap();
    g.id.to_string()
}

/// The campaign form over the loop's entitlement, reviewed by managers (a reason required to
/// deny), owned by its creator.
fn campaign_form() -> CreateCampaign {
    CreateCampaign {
        name: "Q4 SOC 2 review".into(),
        description: "Production database".into(),
        owners: String::new(),
        due_date: "2030-03-31".into(),
        instructions: "Deny what you **do not** recognise.".into(),
        apps: String::new(),
        entitlements: "Prod DB / Admin".into(),
        users: String::new(),
        groups: String::new(),
        managers: String::new(),
        grant_type: "any".into(),
        granted_within_days: String::new(),
        reviewer_manager: Some("on".into()),
        reviewer_app_owners: None,
        reviewer_entitlement_owners: None,
        reviewer_users: String::new(),
        reviewer_group: String::new(),
        require_certify_reason: None,
        require_deny_reason: Some("on".into()),
        allow_reassignment: Some("on".into()),
        use_entitlement_policies: None,
        remediate_immediately: None,
        auto_end: String::new(),
    }
}

/// The first page of My reviews, by app.
fn first_page() -> MyReviews {
    MyReviews {
        by: String::new(),
        page: 1,
    }
}

fn status(id: &str, action: &str, open_reviews: &str) -> ChangeCampaignStatus {
    ChangeCampaignStatus {
        id: id.into(),
        action: action.into(),
        open_reviews: open_reviews.into(),
        notify_reviewers: None,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The report file in `format`, as `who` downloads it: (status, SHA-256 header, bytes).
async fn download(
    app: &TestApp,
    who: &Person,
    id: &str,
    format: &str,
) -> (u16, Option<String>, Vec<u8>) {
    let response = who
        .client
        .get(app.url(&format!(
            "/reports/access-review?campaign={id}&format={format}"
        )))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let header = response
        .headers()
        .get("x-content-sha256")
        .map(|v| v.to_str().unwrap().to_string());
    (status, header, response.bytes().await.unwrap().to_vec())
}

/// A console page as `who` sees it (it must answer 200).
async fn page(app: &TestApp, who: &Person, path: &str) -> String {
    let response = who.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_runs_a_campaign_from_draft_to_completed_and_the_report_matches_its_hash() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let grant = grant_to(&app, &l, &l.alice).await;

    // Validate scope: one grant, Alice's.
    let check = l
        .admin
        .ok(
            &app,
            CheckCampaignScope {
                apps: String::new(),
                entitlements: "Prod DB / Admin".into(),
                users: String::new(),
                groups: String::new(),
                managers: String::new(),
                grant_type: "any".into(),
                granted_within_days: "30".into(),
            },
        )
        .await;
    assert_eq!(check.count, 1, "{check:?}");
    assert_eq!(check.sample[0].subject, "Alice Requester");
    assert_eq!(check.sample[0].app, "Prod DB");

    let id = l.admin.ok(&app, campaign_form()).await;
    let list = l.admin.ok(&app, ListCampaigns {}).await;
    assert!(list.can_create);
    let row = list.campaigns.iter().find(|c| c.id == id).unwrap();
    assert_eq!(
        (row.status.as_str(), row.owners.clone()),
        ("draft", vec!["Ada Admin".to_string()])
    );

    // The draft is listed under Drafts, not Running (the data of both is in the page's hydration
    // state, so look for the row).
    let row_marker = format!("data-campaign=\"{id}\"");
    let drafts = page(&app, &l.admin, "/access-reviews?tab=drafts").await;
    assert!(drafts.contains(&row_marker) && drafts.contains("New campaign"));
    assert!(
        !page(&app, &l.admin, "/access-reviews")
            .await
            .contains(&row_marker)
    );

    let staged = l.admin.ok(&app, status(&id, "stage", "")).await;
    assert_eq!(staged, "Staged: 1 review in the snapshot.");
    l.admin.ok(&app, status(&id, "start", "")).await;
    let d = l.admin.ok(&app, CampaignDetail { id: id.clone() }).await;
    assert_eq!((d.status.as_str(), d.done, d.total), ("running", 0, 1));
    assert!(d.actions.end && !d.actions.stage && !d.actions.start);
    assert!(d.editable.instructions && !d.editable.remediate_immediately);
    assert!(
        d.instructions_html.contains("<strong>do not</strong>"),
        "{}",
        d.instructions_html
    );

    // The instructions stay editable while it runs.
    l.admin
        .ok(
            &app,
            edit_of(&d, |e| e.instructions = "Check with the team first.".into()),
        )
        .await;

    // Bob, Alice's manager, reviews: a denial needs a reason; it stays pending until submitted.
    let mine = l.bob.ok(&app, first_page()).await.campaigns;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(
        mine[0].instructions_html.trim(),
        "<p>Check with the team first.</p>"
    );
    let review = mine[0].reviews[0].clone();
    assert_eq!(
        (review.subject.as_str(), review.outcome.as_str()),
        ("Alice Requester", "open")
    );
    assert!(review.actions.decide && review.actions.reassign);
    let deny = |reason: &str| DecideReviews {
        ids: review.id.clone(),
        verdict: "deny".into(),
        reason: reason.into(),
    };
    let refused = l.bob.call(&app, deny("")).await.unwrap_err();
    assert_eq!(refused.status, 422, "{refused:?}");
    assert_eq!(l.bob.ok(&app, deny("Left the team")).await, 1);
    let mine = l.bob.ok(&app, first_page()).await.campaigns;
    assert_eq!(
        mine[0].reviews[0].pending,
        Some(("deny".to_string(), Some("Left the team".to_string())))
    );
    let d = l.admin.ok(&app, CampaignDetail { id: id.clone() }).await;
    assert_eq!(d.done, 0, "a pending decision is not a review done");

    let html = page(&app, &l.bob, "/access-reviews/mine").await;
    assert!(
        html.contains("Alice Requester")
            && html.contains("Submit 1 decision: 0 certified, 1 denied?"),
        "{html}"
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
        (1, 0, 1)
    );
    let mine = l.bob.ok(&app, first_page()).await.campaigns;
    let decided = &mine[0].reviews[0];
    assert_eq!(decided.outcome, "denied");
    assert_eq!(decided.decided_by.as_deref(), Some("Bob Manager"));
    assert!(!decided.actions.decide);

    // Progress, and the report: the page's SHA-256 is that of the bytes downloaded.
    let d = l.admin.ok(&app, CampaignDetail { id: id.clone() }).await;
    assert_eq!((d.done, d.total), (1, 1));
    assert_eq!(d.by_reviewer[0].label, "Bob Manager");
    assert_eq!(d.by_app[0].label, "Prod DB");
    let report = d.report.clone().unwrap();
    let (code, header, csv) = download(&app, &l.admin, &id, "csv").await;
    assert_eq!(code, 200);
    assert_eq!(sha256_hex(&csv), report.csv_sha256);
    assert_eq!(header.as_deref(), Some(report.csv_sha256.as_str()));
    let text = String::from_utf8(csv).unwrap();
    let line = text.lines().find(|l| l.contains(&grant)).unwrap();
    for part in [
        "\"Alice Requester\"",
        "\"denied\"",
        "\"Bob Manager\"",
        "\"Left the team\"",
    ] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
    let html = page(&app, &l.admin, &format!("/access-reviews/{id}")).await;
    assert!(
        html.contains(&report.csv_sha256) && html.contains("End campaign"),
        "{html}"
    );
    let html = page(
        &app,
        &l.admin,
        &format!("/access-reviews/{id}?tab=configuration"),
    )
    .await;
    assert!(
        html.contains("Check with the team first.")
            && html.contains("Keeps running past its due date until an owner ends it."),
        "{html}"
    );
    let (code, _, xlsx) = download(&app, &l.admin, &id, "xlsx").await;
    assert_eq!(code, 200);
    assert!(xlsx.starts_with(b"PK"), "an XLSX file is a zip archive");
    assert_eq!(sha256_hex(&xlsx), report.xlsx_sha256);

    // End (open reviews skipped: there are none) and complete: read-only.
    let ended = l.admin.ok(&app, status(&id, "end", "skip")).await;
    assert!(
        ended.starts_with("Ended: 0 skipped, 0 revoked; removal started for 1 grant."),
        "{ended}"
    );
    l.admin.ok(&app, status(&id, "complete", "")).await;
    let d = l.admin.ok(&app, CampaignDetail { id: id.clone() }).await;
    assert_eq!(d.status, "completed");
    assert_eq!(d.actions, Default::default());
    assert!(!d.editable.any());
    let list = l.admin.ok(&app, ListCampaigns {}).await;
    assert_eq!(list.campaigns[0].status, "completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_user_can_neither_create_nor_see_a_campaign_nor_its_report() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    grant_to(&app, &l, &l.alice).await;
    let dave = person(&app, "dave@example.com", "Dave Plain", Role::BasicUser).await;
    let id = l.admin.ok(&app, campaign_form()).await;
    l.admin.ok(&app, status(&id, "stage", "")).await;

    let refused = dave.call(&app, campaign_form()).await.unwrap_err();
    assert_eq!(refused.status, 403, "{refused:?}");
    let list = dave.ok(&app, ListCampaigns {}).await;
    assert!(!list.can_create && list.campaigns.is_empty(), "{list:?}");
    let refused = dave
        .call(&app, CampaignDetail { id: id.clone() })
        .await
        .unwrap_err();
    assert_eq!(refused.status, 404, "{refused:?}");
    let refused = dave.call(&app, status(&id, "start", "")).await.unwrap_err();
    assert_eq!(refused.status, 404, "{refused:?}");
    let (code, _, body) = download(&app, &dave, &id, "csv").await;
    assert_eq!(code, 404);
    assert!(!String::from_utf8_lossy(&body).contains("Alice"));
    let page = dave
        .client
        .get(app.url(&format!("/access-reviews/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 404);
    assert!(!page.text().await.unwrap().contains("Q4 SOC 2 review"));
    // Nothing started: nothing for anyone to review yet.
    assert!(l.bob.ok(&app, first_page()).await.campaigns.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_reassigned_with_a_reason_moves_to_the_new_reviewer() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    grant_to(&app, &l, &l.alice).await;
    let id = l.admin.ok(&app, campaign_form()).await;
    l.admin.ok(&app, status(&id, "stage", "")).await;
    l.admin.ok(&app, status(&id, "start", "")).await;
    let review = l.bob.ok(&app, first_page()).await.campaigns[0].reviews[0]
        .id
        .clone();

    let to_carol = |reason: &str| ReassignReview {
        id: review.clone(),
        to_email: "carol@example.com".into(),
        reason: reason.into(),
    };
    let refused = l.bob.call(&app, to_carol("")).await.unwrap_err();
    assert_eq!(refused.status, 422, "{refused:?}");
    l.bob.ok(&app, to_carol("Carol owns the app")).await;
    assert!(l.bob.ok(&app, first_page()).await.campaigns.is_empty());
    let carols = l.carol.ok(&app, first_page()).await.campaigns;
    assert_eq!(carols[0].reviews[0].id, review);
    let d = l.admin.ok(&app, CampaignDetail { id: id.clone() }).await;
    assert_eq!(d.by_reviewer[0].label, "Carol Owner");

    // The campaign's manager follows open reviews on its page and reassigns them too.
    let open = l
        .admin
        .ok(
            &app,
            CampaignOpenReviews {
                id: id.clone(),
                page: 1,
            },
        )
        .await
        .rows;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].reviewers, vec!["Carol Owner".to_string()]);
    assert!(open[0].actions.reassign && !open[0].actions.decide);
    l.admin
        .ok(
            &app,
            ReassignReview {
                id: review.clone(),
                to_email: "bob@example.com".into(),
                reason: "Bob is back".into(),
            },
        )
        .await;
    let open = l
        .admin
        .ok(
            &app,
            CampaignOpenReviews {
                id: id.clone(),
                page: 1,
            },
        )
        .await
        .rows;
    assert_eq!(open[0].reviewers, vec!["Bob Manager".to_string()]);
    let refused = l
        .alice
        .call(&app, CampaignOpenReviews { id, page: 1 })
        .await
        .unwrap_err();
    assert_eq!(refused.status, 404, "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_decided_by_another_reviewer_first_says_who_and_is_not_applied_twice() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    grant_to(&app, &l, &l.alice).await;
    let id = l
        .admin
        .ok(
            &app,
            CreateCampaign {
                reviewer_manager: None,
                reviewer_users: "bob@example.com, carol@example.com".into(),
                ..campaign_form()
            },
        )
        .await;
    l.admin.ok(&app, status(&id, "stage", "")).await;
    l.admin.ok(&app, status(&id, "start", "")).await;
    let review = l.bob.ok(&app, first_page()).await.campaigns[0].reviews[0]
        .id
        .clone();
    let certify = DecideReviews {
        ids: review.clone(),
        verdict: "certify".into(),
        reason: String::new(),
    };
    l.bob.ok(&app, certify.clone()).await;
    l.carol.ok(&app, certify).await;
    let first = l
        .carol
        .ok(
            &app,
            SubmitReviews {
                campaign_id: id.clone(),
            },
        )
        .await;
    assert_eq!((first.submitted, first.certified), (1, 1));

    let mine = l.bob.ok(&app, first_page()).await.campaigns;
    let line = &mine[0].reviews[0];
    assert_eq!(line.outcome, "certified");
    assert_eq!(line.decided_by.as_deref(), Some("Carol Owner"));
    assert_eq!(line.pending, None);
    let second = l.bob.ok(&app, SubmitReviews { campaign_id: id }).await;
    assert_eq!((second.submitted, second.certified), (1, 0));
    assert_eq!(
        second.decided_elsewhere,
        vec!["Alice Requester's access was already certified by Carol Owner".to_string()]
    );
}

/// An edit of `d` that changes nothing but what `change` sets.
fn edit_of(
    d: &app::shapes::CampaignDetail,
    change: impl FnOnce(&mut EditCampaign),
) -> EditCampaign {
    let f = d.scope_form.clone().unwrap_or_default();
    let on = |b: bool| b.then(|| "on".to_string());
    let mut edit = EditCampaign {
        id: d.id.clone(),
        version: d.version,
        name: d.name.clone(),
        description: d.description.clone(),
        owners: d.owner_emails.clone(),
        due_date: "2030-03-31".into(),
        instructions: d.instructions.clone(),
        remediate_immediately: on(d.remediate_immediately),
        auto_end: d.auto_end.clone().unwrap_or_default(),
        with_scope: on(d.scope_form.is_some()),
        apps: f.apps,
        entitlements: f.entitlements,
        users: f.users,
        groups: f.groups,
        managers: f.managers,
        grant_type: f.grant_type,
        granted_within_days: f.granted_within_days,
        reviewer_manager: on(f.reviewer_manager),
        reviewer_app_owners: on(f.reviewer_app_owners),
        reviewer_entitlement_owners: on(f.reviewer_entitlement_owners),
        reviewer_users: f.reviewer_users,
        reviewer_group: f.reviewer_group,
        require_certify_reason: on(f.require_certify_reason),
        require_deny_reason: on(f.require_deny_reason),
        allow_reassignment: on(f.allow_reassignment),
        use_entitlement_policies: on(f.use_entitlement_policies),
    };
    change(&mut edit);
    edit
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drafts_scope_and_reviewers_are_edited_on_its_page_and_frozen_once_staged() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    grant_to(&app, &l, &l.alice).await;
    let id = l.admin.ok(&app, campaign_form()).await;
    let d = l.admin.ok(&app, CampaignDetail { id: id.clone() }).await;
    let f = d.scope_form.clone().unwrap();
    assert_eq!(f.entitlements, "Prod DB / Admin");
    assert!(f.reviewer_manager && !f.reviewer_app_owners && f.require_deny_reason);

    l.admin
        .ok(
            &app,
            edit_of(&d, |e| {
                e.entitlements = String::new();
                e.apps = "Prod DB".into();
                e.grant_type = "temporary".into();
                e.reviewer_manager = None;
                e.reviewer_app_owners = Some("on".into());
            }),
        )
        .await;
    let d = l.admin.ok(&app, CampaignDetail { id: id.clone() }).await;
    let f = d.scope_form.clone().unwrap();
    assert_eq!(
        (
            f.apps.as_str(),
            f.entitlements.as_str(),
            f.grant_type.as_str()
        ),
        ("Prod DB", "", "temporary")
    );
    assert!(!f.reviewer_manager && f.reviewer_app_owners);
    assert!(
        d.scope.contains(&"Temporary grants only".to_string()),
        "{:?}",
        d.scope
    );

    // Alice's grant is permanent: the temporary-only scope stages no review.
    let staged = l.admin.ok(&app, status(&id, "stage", "")).await;
    assert_eq!(staged, "Staged: 0 reviews in the snapshot.");
    let d = l.admin.ok(&app, CampaignDetail { id: id.clone() }).await;
    assert_eq!(d.scope_form, None);
    // A posted scope is ignored once staged: the snapshot was taken with the one it has.
    l.admin
        .ok(
            &app,
            edit_of(&d, |e| {
                e.with_scope = Some("on".into());
                e.grant_type = "any".into();
                e.apps = "Prod DB".into();
            }),
        )
        .await;
    let d = l.admin.ok(&app, CampaignDetail { id }).await;
    assert!(
        d.scope.contains(&"Temporary grants only".to_string()),
        "{:?}",
        d.scope
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_administrator_manages_only_the_campaigns_they_own() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    grant_to(&app, &l, &l.alice).await;
    let cara = person(&app, "cara@example.com", "Cara Campaigns", Role::BasicUser).await;
    l.admin
        .ok(
            &app,
            SetDirectoryRole {
                id: cara.user.id,
                role: "campaign_admin".into(),
                granted: Some("true".into()),
            },
        )
        .await;
    let admins = l.admin.ok(&app, campaign_form()).await;

    // Cara's sessions see the role at once: she creates a campaign, which she owns.
    let hers = cara
        .ok(
            &app,
            CreateCampaign {
                name: "Cara's review".into(),
                ..campaign_form()
            },
        )
        .await;
    let list = cara.ok(&app, ListCampaigns {}).await;
    assert!(list.can_create);
    let ids: Vec<&str> = list.campaigns.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec![hers.as_str()], "only her own campaign is listed");
    assert_eq!(list.campaigns[0].owners, vec!["Cara Campaigns".to_string()]);
    let staged = cara.ok(&app, status(&hers, "stage", "")).await;
    assert_eq!(staged, "Staged: 1 review in the snapshot.");
    let (code, _, _) = download(&app, &cara, &hers, "csv").await;
    assert_eq!(code, 200);

    // The Super Admin's campaign does not exist for her.
    let refused = cara
        .call(&app, CampaignDetail { id: admins.clone() })
        .await
        .unwrap_err();
    assert_eq!(refused.status, 404, "{refused:?}");
    let refused = cara
        .call(&app, status(&admins, "stage", ""))
        .await
        .unwrap_err();
    assert_eq!(refused.status, 404, "{refused:?}");
    // The Super Admin manages every campaign.
    let d = l.admin.ok(&app, CampaignDetail { id: hers }).await;
    assert!(d.actions.start);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_decides_several_reviews_at_once_and_submits_them_in_batches() {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    grant_to(&app, &l, &l.alice).await;
    grant_to(&app, &l, &l.carol).await;
    let dave = person(&app, "dave@example.com", "Dave Plain", Role::BasicUser).await;
    grant_to(&app, &l, &dave).await;
    let id = l
        .admin
        .ok(
            &app,
            CreateCampaign {
                reviewer_manager: None,
                reviewer_users: "bob@example.com".into(),
                require_deny_reason: None,
                ..campaign_form()
            },
        )
        .await;
    l.admin.ok(&app, status(&id, "stage", "")).await;
    l.admin.ok(&app, status(&id, "start", "")).await;
    let reviews = l.bob.ok(&app, first_page()).await.campaigns[0]
        .reviews
        .clone();
    let holders: Vec<&str> = reviews.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(holders.len(), 3, "{holders:?}");

    // Bulk: the first two certified in one call; the third denied and submitted later.
    let bulk = format!("{},{}", reviews[0].id, reviews[1].id);
    let decided = l
        .bob
        .ok(
            &app,
            DecideReviews {
                ids: bulk,
                verdict: "certify".into(),
                reason: "Still on the team".into(),
            },
        )
        .await;
    assert_eq!(decided, 2);
    let first = l
        .bob
        .ok(
            &app,
            SubmitReviews {
                campaign_id: id.clone(),
            },
        )
        .await;
    assert_eq!((first.submitted, first.certified, first.denied), (2, 2, 0));
    l.bob
        .ok(
            &app,
            DecideReviews {
                ids: reviews[2].id.clone(),
                verdict: "deny".into(),
                reason: String::new(),
            },
        )
        .await;
    let second = l
        .bob
        .ok(
            &app,
            SubmitReviews {
                campaign_id: id.clone(),
            },
        )
        .await;
    assert_eq!(
        (second.submitted, second.certified, second.denied),
        (1, 0, 1)
    );
    let d = l.admin.ok(&app, CampaignDetail { id }).await;
    assert_eq!((d.done, d.total), (3, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_campaign_forms_pickers_offer_directory_people_and_an_unknown_one_is_named_in_the_error()
 {
    let app = spawn_app().await;
    let l = jit_loop(&app).await;
    let people = |query: &str, owners: &str| SearchPeople {
        query: query.into(),
        owners: owners.into(),
    };
    let found = l.admin.ok(&app, people("BOB", "")).await;
    assert_eq!(
        found
            .iter()
            .map(|p| (p.name.as_str(), p.email.as_str()))
            .collect::<Vec<_>>(),
        [("Bob Manager", "bob@example.com")]
    );
    // Owners: only people who may own a campaign (here the Super Admin).
    let owners = l.admin.ok(&app, people("example.com", "on")).await;
    assert_eq!(
        owners.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Ada Admin"]
    );
    assert_eq!(l.admin.ok(&app, people("example.com", "")).await.len(), 4);
    // The directory is not for everyone to search.
    let refused = l.alice.call(&app, people("bob", "")).await.unwrap_err();
    assert_eq!(refused.status, 403, "{refused:?}");

    // A named reviewer nobody has: the error names the entry, nothing is created.
    let refused = l
        .admin
        .call(
            &app,
            CreateCampaign {
                reviewer_users: "bob@example.com, nobody@example.com".into(),
                ..campaign_form()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.status, 422, "{refused:?}");
    assert!(
        refused.message.contains("\"nobody@example.com\"")
            && refused
                .message
                .contains("nobody in the directory has this email"),
        "{refused:?}"
    );
    assert!(
        l.admin
            .ok(&app, ListCampaigns {})
            .await
            .campaigns
            .is_empty()
    );
}
