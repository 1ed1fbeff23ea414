//! Access review campaigns for the console: the list (campaigns the viewer manages), one
//! campaign's page with its progress by app and by reviewer, "Validate scope" in names, a
//! reviewer's own reviews, the report (CSV and XLSX, with their SHA-256), and the campaign form
//! turned into `CampaignFields` (names and emails resolved against the directory and catalog).
//! Everything here only reads; changes go through `ssr::flows::campaigns`.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::domain::campaign::{
    Campaign, CampaignFields, CampaignScope, CampaignSettings, CampaignState, CampaignStatus,
    Field, GrantTypeFilter, OpenReviews, ReviewOutcome, ReviewPolicy, ReviewState, ReviewTask,
    ReviewVerdict, SubjectFilter,
};
use crate::domain::{
    AppId, ApproverSource, DomainError, EntitlementId, GroupId, Timestamp, UserId,
};
use crate::shapes::{
    CampaignDetail, CampaignList, CampaignRow, EditableFields, MyCampaignReviews, MyReviewList,
    OpenReviewsPage, PersonOption, ProgressLine, REVIEWS_PAGE_SIZE, ReportFiles, ReviewLine,
    ScopeCheck, ScopeSampleLine, page_span,
};
use crate::ssr::access::campaigns::TaskOrder;
use crate::ssr::access::{
    AccessError, AccessResult, Actor, campaigns as repo, catalog, directory, user_row,
};
use crate::ssr::db::Db;

/// Review tasks read per page while building a report.
const REPORT_PAGE: i64 = 1_000;

/// Names of people, apps and entitlements, read once per answer.
struct Names {
    users: BTreeMap<String, String>,
    emails: BTreeMap<String, String>,
    apps: BTreeMap<String, String>,
    entitlements: BTreeMap<String, String>,
    /// The app name of each entitlement.
    entitlement_apps: BTreeMap<String, String>,
    groups: BTreeMap<String, String>,
}

impl Names {
    async fn load(db: &Db) -> AccessResult<Names> {
        let dir = directory::snapshot(db).await?;
        let mut apps = BTreeMap::new();
        let mut entitlements = BTreeMap::new();
        let mut entitlement_apps = BTreeMap::new();
        for stored in catalog::list(db).await? {
            for (ent, _) in &stored.entitlements {
                entitlements.insert(ent.id.to_string(), ent.display_name.clone());
                entitlement_apps.insert(ent.id.to_string(), stored.app.name.clone());
            }
            apps.insert(stored.app.id.to_string(), stored.app.name.clone());
        }
        Ok(Names {
            users: dir
                .users
                .values()
                .map(|u| (u.id.to_string(), u.display_name.clone()))
                .collect(),
            emails: dir
                .users
                .values()
                .map(|u| (u.id.to_string(), u.email.to_string()))
                .collect(),
            groups: dir
                .groups
                .values()
                .map(|g| (g.id.to_string(), g.name.clone()))
                .collect(),
            apps,
            entitlements,
            entitlement_apps,
        })
    }

    fn user(&self, id: &UserId) -> String {
        self.users
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| format!("user {id}"))
    }

    fn email(&self, id: &UserId) -> String {
        self.emails.get(id.as_str()).cloned().unwrap_or_default()
    }

    fn app(&self, id: &AppId) -> String {
        self.apps
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn entitlement(&self, id: &EntitlementId) -> String {
        self.entitlements
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn group(&self, id: &GroupId) -> String {
        self.groups
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn users_list(&self, ids: &[UserId]) -> String {
        ids.iter()
            .map(|u| self.user(u))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every campaign, newest first.
async fn all_campaigns(db: &Db) -> AccessResult<Vec<Campaign>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT body FROM campaigns ORDER BY created_at DESC, id")
            .fetch_all(&db.pool)
            .await?;
    rows.iter()
        .map(|(body,)| Ok(serde_json::from_str(body)?))
        .collect()
}

/// Review counts by campaign: (closed, total).
async fn progress_by_campaign(db: &Db) -> AccessResult<BTreeMap<String, (u64, u64)>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT campaign_id, state, COUNT(*) AS n FROM review_tasks GROUP BY campaign_id, state",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (campaign, state, n) in rows {
        let n = u64::try_from(n).unwrap_or_default();
        let e = out.entry(campaign).or_default();
        e.1 += n;
        if state != ReviewOutcome::Open.as_str() {
            e.0 += n;
        }
    }
    Ok(out)
}

/// The Access reviews page: the campaigns `actor` manages.
pub async fn list(db: &Db, actor: &Actor) -> AccessResult<CampaignList> {
    let can_create = crate::domain::campaign::check_can_create(&actor.roles).is_ok();
    let my_open_reviews = open_reviews_of(db, &actor.id).await?;
    let campaigns: Vec<Campaign> = all_campaigns(db)
        .await?
        .into_iter()
        .filter(|c| c.can_manage(&actor.id, &actor.roles))
        .collect();
    if campaigns.is_empty() {
        return Ok(CampaignList {
            can_create,
            campaigns: Vec::new(),
            my_open_reviews,
        });
    }
    let names = Names::load(db).await?;
    let progress = progress_by_campaign(db).await?;
    Ok(CampaignList {
        can_create,
        my_open_reviews,
        campaigns: campaigns
            .into_iter()
            .map(|c| {
                let (done, total) = progress.get(c.id.as_str()).copied().unwrap_or_default();
                CampaignRow {
                    id: c.id.to_string(),
                    name: c.fields.name.clone(),
                    status: c.status().as_str().to_string(),
                    owners: c.fields.owners.iter().map(|o| names.user(o)).collect(),
                    due_at: c.fields.due_at.map(Timestamp::as_unix_millis),
                    done,
                    total,
                }
            })
            .collect(),
    })
}

async fn open_reviews_of(db: &Db, user: &UserId) -> AccessResult<u64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM review_tasks t JOIN review_task_reviewers r ON r.task_id = t.id \
         JOIN campaigns c ON c.id = t.campaign_id \
         WHERE r.user_id = $1 AND t.state = 'open' AND c.status = 'running'",
    )
    .bind(user_row(user)?)
    .fetch_one(&db.pool)
    .await?;
    Ok(u64::try_from(n).unwrap_or_default())
}

/// The campaign `id` if `actor` manages it; to anyone else it does not exist.
pub async fn managed(db: &Db, actor: &Actor, id: &str) -> AccessResult<Campaign> {
    let c = repo::load(db, id).await?;
    if c.can_manage(&actor.id, &actor.roles) {
        Ok(c)
    } else {
        Err(AccessError::NotFound("The campaign".into()))
    }
}

fn editable(status: CampaignStatus) -> EditableFields {
    EditableFields {
        name: Field::Name.editable_in(status),
        description: Field::Description.editable_in(status),
        owners: Field::Owners.editable_in(status),
        due_date: Field::DueDate.editable_in(status),
        instructions: Field::Instructions.editable_in(status),
        remediate_immediately: Field::RemediateImmediately.editable_in(status),
        auto_end: Field::AutoEnd.editable_in(status),
    }
}

fn scope_lines(scope: &CampaignScope, names: &Names) -> Vec<String> {
    let mut lines = Vec::new();
    if !scope.apps.is_empty() {
        let apps: Vec<String> = scope.apps.iter().map(|a| names.app(a)).collect();
        lines.push(format!("Every entitlement of: {}", apps.join(", ")));
    }
    if !scope.entitlements.is_empty() {
        let ents: Vec<String> = scope
            .entitlements
            .iter()
            .map(|e| names.entitlement(e))
            .collect();
        lines.push(format!("Entitlements: {}", ents.join(", ")));
    }
    let s = &scope.subjects;
    if s.is_empty() {
        lines.push("Held by anyone".into());
    } else {
        let mut who = Vec::new();
        if !s.users.is_empty() {
            who.push(names.users_list(&s.users));
        }
        if !s.groups.is_empty() {
            let groups: Vec<String> = s.groups.iter().map(|g| names.group(g)).collect();
            who.push(format!("members of {}", groups.join(", ")));
        }
        if !s.managers.is_empty() {
            who.push(format!("reports of {}", names.users_list(&s.managers)));
        }
        lines.push(format!("Held by: {}", who.join("; ")));
    }
    lines.push(match scope.grant_type {
        GrantTypeFilter::Any => "Temporary and permanent grants".into(),
        GrantTypeFilter::Temporary => "Temporary grants only".into(),
        GrantTypeFilter::Permanent => "Permanent grants only".into(),
    });
    if let Some(days) = scope.granted_within_days {
        lines.push(format!("Granted within the last {days} days"));
    }
    lines
}

fn reviewer_lines(policy: &ReviewPolicy, names: &Names) -> Vec<String> {
    let mut lines: Vec<String> = if policy.reviewers.is_empty() {
        vec!["The campaign owners review everything".into()]
    } else {
        policy
            .reviewers
            .iter()
            .map(|s| match s {
                ApproverSource::Manager => "The holder's manager".into(),
                ApproverSource::AppOwners => "The app's owners".into(),
                ApproverSource::EntitlementOwners => "The entitlement's owners".into(),
                ApproverSource::Users(users) => format!("Named: {}", names.users_list(users)),
                ApproverSource::GroupMembers(g) => format!("Members of {}", names.group(g)),
            })
            .collect()
    };
    lines.push("When nobody else can, the campaign owners review".into());
    if policy.use_entitlement_policies {
        lines.push("An entitlement's own review policy is used when it has one".into());
    }
    lines.push(format!(
        "A reason is {} to certify and {} to deny",
        if policy.require_certify_reason {
            "required"
        } else {
            "optional"
        },
        if policy.require_deny_reason {
            "required"
        } else {
            "optional"
        },
    ));
    lines.push(if policy.allow_reassignment {
        "Reviewers may reassign their reviews".into()
    } else {
        "Only campaign managers may reassign reviews".into()
    });
    lines
}

fn milestones(state: &CampaignState, names: &Names) -> Vec<(String, i64, String)> {
    let by = |m: &crate::domain::campaign::Milestone| {
        m.by.as_ref()
            .map(|u| names.user(u))
            .unwrap_or_else(|| "Latch".into())
    };
    let mut out = Vec::new();
    let mut push = |label: &str, m: &crate::domain::campaign::Milestone| {
        out.push((label.to_string(), m.at.as_unix_millis(), by(m)));
    };
    match state {
        CampaignState::Draft => {}
        CampaignState::Staged { staged } => push("Staged", staged),
        CampaignState::Running { staged, started } => {
            push("Staged", staged);
            push("Started", started);
        }
        CampaignState::Ended {
            staged,
            started,
            ended,
            ..
        } => {
            push("Staged", staged);
            push("Started", started);
            push("Ended", ended);
        }
        CampaignState::Completed {
            staged,
            started,
            ended,
            completed,
            ..
        } => {
            push("Staged", staged);
            push("Started", started);
            push("Ended", ended);
            push("Completed", completed);
        }
    }
    out
}

/// Lines of (label, closed, total) from (key, state, count) rows.
fn progress_lines(
    rows: Vec<(String, String, i64)>,
    label: impl Fn(&str) -> String,
) -> Vec<ProgressLine> {
    let mut by: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (key, state, n) in rows {
        let n = u64::try_from(n).unwrap_or_default();
        let e = by.entry(label(&key)).or_default();
        e.1 += n;
        if state != ReviewOutcome::Open.as_str() {
            e.0 += n;
        }
    }
    by.into_iter()
        .map(|(label, (done, total))| ProgressLine { label, done, total })
        .collect()
}

/// A draft's scope and reviewers as the form writes them.
fn scope_form(fields: &CampaignFields, names: &Names) -> crate::shapes::ScopeFormValues {
    let emails = |ids: &[UserId]| {
        ids.iter()
            .map(|u| names.email(u))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let scope = &fields.scope;
    let policy = &fields.review_policy;
    let has = |source: &ApproverSource| policy.reviewers.contains(source);
    let named: Vec<UserId> = policy
        .reviewers
        .iter()
        .filter_map(|s| match s {
            ApproverSource::Users(users) => Some(users.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let group = policy.reviewers.iter().find_map(|s| match s {
        ApproverSource::GroupMembers(g) => Some(names.group(g)),
        _ => None,
    });
    crate::shapes::ScopeFormValues {
        apps: scope
            .apps
            .iter()
            .map(|a| names.app(a))
            .collect::<Vec<_>>()
            .join(", "),
        entitlements: scope
            .entitlements
            .iter()
            .map(|e| {
                let app = names
                    .entitlement_apps
                    .get(e.as_str())
                    .cloned()
                    .unwrap_or_default();
                format!("{app} / {}", names.entitlement(e))
            })
            .collect::<Vec<_>>()
            .join(", "),
        users: emails(&scope.subjects.users),
        groups: scope
            .subjects
            .groups
            .iter()
            .map(|g| names.group(g))
            .collect::<Vec<_>>()
            .join(", "),
        managers: emails(&scope.subjects.managers),
        grant_type: scope.grant_type.as_str().to_string(),
        granted_within_days: scope
            .granted_within_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
        reviewer_manager: has(&ApproverSource::Manager),
        reviewer_app_owners: has(&ApproverSource::AppOwners),
        reviewer_entitlement_owners: has(&ApproverSource::EntitlementOwners),
        reviewer_users: emails(&named),
        reviewer_group: group.unwrap_or_default(),
        require_certify_reason: policy.require_certify_reason,
        require_deny_reason: policy.require_deny_reason,
        allow_reassignment: policy.allow_reassignment,
        use_entitlement_policies: policy.use_entitlement_policies,
    }
}

/// One campaign's page, for those who manage it.
pub async fn detail(db: &Db, actor: &Actor, id: &str) -> AccessResult<CampaignDetail> {
    let c = managed(db, actor, id).await?;
    let names = Names::load(db).await?;
    let counts = repo::counts(db, id).await?;
    let total: u64 = counts.values().sum();
    let open = counts
        .get(&ReviewOutcome::Open)
        .copied()
        .unwrap_or_default();
    let by_app = progress_lines(
        sqlx::query_as(
            "SELECT app_id, state, COUNT(*) AS n FROM review_tasks WHERE campaign_id = $1 GROUP BY app_id, state",
        )
        .bind(id)
        .fetch_all(&db.pool)
        .await?,
        |app| names.app(&AppId::new(app)),
    );
    let reviewer_rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT r.user_id, t.state, COUNT(*) AS n FROM review_task_reviewers r \
         JOIN review_tasks t ON t.id = r.task_id WHERE t.campaign_id = $1 GROUP BY r.user_id, t.state",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let by_reviewer = progress_lines(
        reviewer_rows
            .into_iter()
            .map(|(u, s, n)| (u.to_string(), s, n))
            .collect(),
        |u| names.user(&UserId::new(u)),
    );
    let report = if c.status() == CampaignStatus::Draft {
        None
    } else {
        let r = build_report(db, &c, &names).await?;
        Some(ReportFiles {
            csv_sha256: sha256_hex(&r.csv),
            xlsx_sha256: sha256_hex(&r.xlsx),
            rows: r.rows,
        })
    };
    let open_reviews = match &c.state {
        CampaignState::Ended { open_reviews, .. }
        | CampaignState::Completed { open_reviews, .. } => Some(open_reviews.as_str().to_string()),
        _ => None,
    };
    Ok(CampaignDetail {
        id: c.id.to_string(),
        version: c.version,
        name: c.fields.name.clone(),
        status: c.status().as_str().to_string(),
        description: c.fields.description.clone(),
        instructions_html: crate::ssr::markdown::to_safe_html(&c.fields.instructions),
        instructions: c.fields.instructions.clone(),
        owners: c.fields.owners.iter().map(|o| names.user(o)).collect(),
        owner_emails: c
            .fields
            .owners
            .iter()
            .map(|o| names.email(o))
            .collect::<Vec<_>>()
            .join(", "),
        due_at: c.fields.due_at.map(Timestamp::as_unix_millis),
        created_at: c.created_at.as_unix_millis(),
        created_by: names.user(&c.created_by),
        milestones: milestones(&c.state, &names),
        open_reviews,
        scope: scope_lines(&c.fields.scope, &names),
        reviewers: reviewer_lines(&c.fields.review_policy, &names),
        remediate_immediately: c.fields.settings.remediate_immediately,
        auto_end: c.fields.settings.auto_end.map(|a| a.as_str().to_string()),
        editable: editable(c.status()),
        actions: c.actions_for(&actor.id, &actor.roles),
        done: total - open,
        total,
        outcomes: counts
            .iter()
            .map(|(o, n)| (o.as_str().to_string(), *n))
            .collect(),
        by_app,
        by_reviewer,
        report,
        scope_form: Field::Scope
            .editable_in(c.status())
            .then(|| scope_form(&c.fields, &names)),
    })
}

/// "Validate scope" in names.
pub async fn check_scope(
    db: &Db,
    actor: &Actor,
    scope: &CampaignScope,
) -> AccessResult<ScopeCheck> {
    let preview = crate::ssr::flows::campaigns::preview_scope(db, actor, scope).await?;
    let names = Names::load(db).await?;
    Ok(ScopeCheck {
        count: preview.count,
        sample: preview
            .sample
            .iter()
            .map(|g| ScopeSampleLine {
                subject: names.user(&g.subject),
                app: names.app(&g.app),
                entitlement: names.entitlement(&g.entitlement),
                granted_at: g.granted_at.as_unix_millis(),
                expires_at: g.expires_at.map(Timestamp::as_unix_millis),
            })
            .collect(),
    })
}

/// One page of the reviews `actor` is asked for in running campaigns (open ones and those someone
/// decided first): campaigns oldest first, each in `order` (by app or by holder, then the other
/// names), [`REVIEWS_PAGE_SIZE`] a page; a page past the end shows the last one. Each campaign
/// carries its counts over every page (reviews, open ones, pending decisions), so what "Submit
/// reviews" will submit is counted whichever page is shown.
pub async fn my_reviews(
    db: &Db,
    actor: &Actor,
    order: TaskOrder,
    page: u64,
) -> AccessResult<MyReviewList> {
    let mut totals: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (campaign, outcome, n) in repo::reviewer_counts(db, &actor.id).await? {
        let e = totals.entry(campaign).or_default();
        e.0 += n;
        if outcome == ReviewOutcome::Open {
            e.1 += n;
        }
    }
    let total: u64 = totals.values().map(|(all, _)| all).sum();
    let (first, _, _) = page_span(page, total);
    if total == 0 {
        return Ok(MyReviewList {
            campaigns: Vec::new(),
            page: 1,
            total: 0,
        });
    }
    let page = (first - 1) / REVIEWS_PAGE_SIZE + 1;
    let mut pending_counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (campaign, verdict, n) in repo::pending_counts(db, &actor.id).await? {
        let e = pending_counts.entry(campaign).or_default();
        match verdict {
            ReviewVerdict::Certify => e.0 += n,
            ReviewVerdict::Deny => e.1 += n,
        }
    }
    let tasks = repo::reviewer_tasks_page(
        db,
        &actor.id,
        order,
        i64::try_from(first - 1).unwrap_or(i64::MAX),
        i64::try_from(REVIEWS_PAGE_SIZE).unwrap_or(i64::MAX),
    )
    .await?;
    let names = Names::load(db).await?;
    let mut out: Vec<MyCampaignReviews> = Vec::new();
    let mut campaigns: BTreeMap<String, Campaign> = BTreeMap::new();
    let mut pending: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    for task in tasks {
        let cid = task.campaign.to_string();
        if !campaigns.contains_key(&cid) {
            let c = repo::load(db, &cid).await?;
            for d in repo::pending_decisions(db, &cid, &actor.id).await? {
                pending.insert(
                    d.task.to_string(),
                    (d.verdict.as_str().to_string(), d.reason),
                );
            }
            let (all, open) = totals.get(&cid).copied().unwrap_or_default();
            let (pending_certify, pending_deny) =
                pending_counts.get(&cid).copied().unwrap_or_default();
            out.push(MyCampaignReviews {
                id: cid.clone(),
                name: c.fields.name.clone(),
                due_at: c.fields.due_at.map(Timestamp::as_unix_millis),
                instructions_html: crate::ssr::markdown::to_safe_html(&c.fields.instructions),
                require_certify_reason: c.fields.review_policy.require_certify_reason,
                require_deny_reason: c.fields.review_policy.require_deny_reason,
                reviews: Vec::new(),
                total: all,
                open,
                pending_certify,
                pending_deny,
            });
            campaigns.insert(cid.clone(), c);
        }
        let Some(c) = campaigns.get(&cid) else {
            continue;
        };
        let line = review_line(&task, c, actor, &names, pending.remove(task.id.as_str()));
        if let Some(group) = out.iter_mut().find(|g| g.id == cid) {
            group.reviews.push(line);
        }
    }
    Ok(MyReviewList {
        campaigns: out,
        page,
        total,
    })
}

fn review_line(
    task: &ReviewTask,
    c: &Campaign,
    actor: &Actor,
    names: &Names,
    pending: Option<(String, Option<String>)>,
) -> ReviewLine {
    let reason = match &task.state {
        ReviewState::Certified { reason, .. } | ReviewState::Denied { reason, .. } => {
            reason.clone()
        }
        _ => None,
    };
    ReviewLine {
        id: task.id.to_string(),
        subject: names.user(&task.grant.subject),
        app: names.app(&task.grant.app),
        entitlement: names.entitlement(&task.grant.entitlement),
        granted_at: task.grant.granted_at.as_unix_millis(),
        expires_at: task.grant.expires_at.map(Timestamp::as_unix_millis),
        outcome: task.outcome().as_str().to_string(),
        decided_by: task.decided_by().map(|u| names.user(u)),
        reason,
        reviewers: task.reviewers.iter().map(|u| names.user(u)).collect(),
        pending: if task.is_open() { pending } else { None },
        actions: task.actions_for(c, &actor.id, &actor.roles),
    }
}

/// One page of a campaign's open reviews, for those who manage it (to follow them up and reassign
/// them): by app, holder and entitlement name, [`REVIEWS_PAGE_SIZE`] a page; a page past the end
/// shows the last one.
pub async fn open_reviews(
    db: &Db,
    actor: &Actor,
    id: &str,
    page: u64,
) -> AccessResult<OpenReviewsPage> {
    let c = managed(db, actor, id).await?;
    let total = repo::counts(db, id)
        .await?
        .get(&ReviewOutcome::Open)
        .copied()
        .unwrap_or_default();
    let (first, _, _) = page_span(page, total);
    if total == 0 {
        return Ok(OpenReviewsPage {
            rows: Vec::new(),
            page: 1,
            total: 0,
        });
    }
    let names = Names::load(db).await?;
    let rows = repo::open_tasks_page(
        db,
        id,
        TaskOrder::ByApp,
        i64::try_from(first - 1).unwrap_or(i64::MAX),
        i64::try_from(REVIEWS_PAGE_SIZE).unwrap_or(i64::MAX),
    )
    .await?
    .iter()
    .map(|t| review_line(t, &c, actor, &names, None))
    .collect();
    Ok(OpenReviewsPage {
        rows,
        page: (first - 1) / REVIEWS_PAGE_SIZE + 1,
        total,
    })
}

/// The report's two files.
pub struct Report {
    pub csv: Vec<u8>,
    pub xlsx: Vec<u8>,
    pub rows: u64,
}

/// The report's columns.
const REPORT_HEADER: [&str; 14] = [
    "Review",
    "Grant",
    "Holder",
    "Holder email",
    "App",
    "Entitlement",
    "Granted at",
    "Expires at",
    "Reviewers",
    "Decision",
    "Decided by",
    "Decided at",
    "Reason",
    "Removal",
];

fn iso(t: Timestamp) -> String {
    t.to_string()
}

fn report_row(t: &ReviewTask, names: &Names) -> [String; 14] {
    let (by, at, reason) = match &t.state {
        ReviewState::Certified { by, at, reason } | ReviewState::Denied { by, at, reason, .. } => {
            (names.user(by), iso(*at), reason.clone().unwrap_or_default())
        }
        ReviewState::Cancelled { at, why } => ("Latch".into(), iso(*at), why.as_str().into()),
        ReviewState::Skipped { at } | ReviewState::Revoked { at, .. } => {
            ("Latch".into(), iso(*at), "campaign ended".into())
        }
        ReviewState::Open => (String::new(), String::new(), String::new()),
    };
    [
        t.id.to_string(),
        t.grant.grant.to_string(),
        names.user(&t.grant.subject),
        names.email(&t.grant.subject),
        names.app(&t.grant.app),
        names.entitlement(&t.grant.entitlement),
        iso(t.grant.granted_at),
        t.grant
            .expires_at
            .map(iso)
            .unwrap_or_else(|| "permanent".into()),
        names.users_list(&t.reviewers),
        t.outcome().as_str().to_string(),
        by,
        at,
        reason,
        t.remediation()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
    ]
}

fn csv_cell(value: &str) -> String {
    // Quote everything; defuse spreadsheet formulas (a leading = + - @).
    let v = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", v.replace('"', "\"\""))
}

async fn build_report(db: &Db, c: &Campaign, names: &Names) -> AccessResult<Report> {
    let id = c.id.as_str();
    let mut tasks: Vec<ReviewTask> = Vec::new();
    for outcome in ReviewOutcome::ALL {
        let mut after = String::new();
        loop {
            let page = repo::tasks_page(db, id, *outcome, &after, REPORT_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id.to_string();
            tasks.extend(page);
        }
    }
    let mut rows: Vec<[String; 14]> = tasks.iter().map(|t| report_row(t, names)).collect();
    // By app, entitlement, holder, then review: the same bytes for the same reviews.
    rows.sort_by(|a, b| (&a[4], &a[5], &a[2], &a[0]).cmp(&(&b[4], &b[5], &b[2], &b[0])));
    let mut csv = String::new();
    for line in std::iter::once(REPORT_HEADER.map(str::to_string)).chain(rows.iter().cloned()) {
        csv.push_str(
            &line
                .iter()
                .map(|v| csv_cell(v))
                .collect::<Vec<_>>()
                .join(","),
        );
        csv.push_str("\r\n");
    }
    let xlsx = xlsx(&c.fields.name, &rows)
        .map_err(|e| AccessError::Data(format!("the XLSX report could not be written: {e}")))?;
    Ok(Report {
        csv: csv.into_bytes(),
        xlsx,
        rows: rows.len() as u64,
    })
}

fn xlsx(title: &str, rows: &[[String; 14]]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    // A fixed creation time: the same reviews always give the same bytes (and SHA-256).
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_creation_datetime(&created),
    );
    let sheet = book.add_worksheet();
    sheet.set_name("Reviews")?;
    let bold = Format::new().set_bold();
    for (col, head) in (0u16..).zip(REPORT_HEADER) {
        sheet.write_string_with_format(0, col, head, &bold)?;
    }
    for (row, line) in (1u32..).zip(rows) {
        for (col, value) in (0u16..).zip(line.iter()) {
            sheet.write_string(row, col, value)?;
        }
    }
    book.save_to_buffer()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The report of campaign `id` for someone who manages it.
pub async fn report(db: &Db, actor: &Actor, id: &str) -> AccessResult<(Campaign, Report)> {
    let c = managed(db, actor, id).await?;
    if c.status() == CampaignStatus::Draft {
        return Err(DomainError::transition(
            "download the report",
            "the campaign is a draft: it has no reviews yet",
        )
        .into());
    }
    let names = Names::load(db).await?;
    let r = build_report(db, &c, &names).await?;
    Ok((c, r))
}

// ----- the campaign form -----

/// The campaign form as posted: lists are comma- or line-separated names and emails.
#[derive(Debug, Clone, Default)]
pub struct CampaignForm {
    pub name: String,
    pub description: String,
    pub owners: String,
    /// YYYY-MM-DD; the campaign is due at the end of that day (UTC).
    pub due_date: String,
    pub instructions: String,
    pub scope: ScopeForm,
    pub reviewers: ReviewersForm,
    pub remediate_immediately: bool,
    /// "", "skip" or "revoke".
    pub auto_end: String,
    /// Whether the form carries the scope and reviewers (an edit of a draft does; other edits
    /// leave them as they are).
    pub with_scope: bool,
}

/// The scope part of the form.
#[derive(Debug, Clone, Default)]
pub struct ScopeForm {
    /// App names or slugs.
    pub apps: String,
    /// "App / Entitlement" names, or entitlement slugs.
    pub entitlements: String,
    pub users: String,
    pub groups: String,
    pub managers: String,
    /// "any", "temporary" or "permanent".
    pub grant_type: String,
    pub granted_within_days: String,
}

/// The reviewers part of the form.
#[derive(Debug, Clone, Default)]
pub struct ReviewersForm {
    pub manager: bool,
    pub app_owners: bool,
    pub entitlement_owners: bool,
    /// Emails.
    pub users: String,
    /// A group name.
    pub group: String,
    pub require_certify_reason: bool,
    pub require_deny_reason: bool,
    pub allow_reassignment: bool,
    pub use_entitlement_policies: bool,
}

fn split(list: &str) -> Vec<String> {
    list.split([',', '\n', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn not_found(what: &str, name: &str) -> AccessError {
    AccessError::Domain(DomainError::invalid(what, name, "no such one"))
}

/// Most people a picker suggests at once.
const PEOPLE_SUGGESTED: usize = 20;

/// The active people whose name or email contains `query` (case-insensitive), by name, at most
/// `limit`; with `owners_only`, only those who may own a campaign (Super Admins and Campaign
/// Administrators).
fn people_matching(
    users: &[crate::shapes::DirectoryUser],
    query: &str,
    owners_only: bool,
    limit: usize,
) -> Vec<PersonOption> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<PersonOption> = users
        .iter()
        .filter(|u| u.status == crate::domain::UserStatus::Active.as_str())
        .filter(|u| !owners_only || u.super_admin || u.campaign_admin)
        .filter(|u| {
            u.name.to_lowercase().contains(&query) || u.email.to_lowercase().contains(&query)
        })
        .map(|u| PersonOption {
            name: u.name.clone(),
            email: u.email.clone(),
        })
        .collect();
    found.sort_by(|a, b| (a.name.to_lowercase(), &a.email).cmp(&(b.name.to_lowercase(), &b.email)));
    found.truncate(limit);
    found
}

/// The campaign form's people pickers: who in the directory `query` may mean, for those who may
/// create campaigns.
pub async fn search_people(
    db: &Db,
    actor: &Actor,
    query: &str,
    owners_only: bool,
) -> AccessResult<Vec<PersonOption>> {
    crate::domain::campaign::check_can_create(&actor.roles)?;
    let users = directory::list_users(db).await?;
    Ok(people_matching(
        &users,
        query,
        owners_only,
        PEOPLE_SUGGESTED,
    ))
}

/// People by email.
async fn people(db: &Db, what: &str, list: &str) -> AccessResult<Vec<UserId>> {
    let mut out = Vec::new();
    for email in split(list) {
        let id = directory::find_by_email(db, &email).await?.ok_or_else(|| {
            AccessError::Domain(DomainError::invalid(
                what,
                &email,
                "nobody in the directory has this email; pick a person from the suggestions",
            ))
        })?;
        let id = crate::ssr::access::user_id(id);
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

fn group_by_name(
    groups: &BTreeMap<GroupId, crate::domain::Group>,
    name: &str,
) -> AccessResult<GroupId> {
    groups
        .values()
        .find(|g| g.name.eq_ignore_ascii_case(name) || g.id.as_str() == name)
        .map(|g| g.id.clone())
        .ok_or_else(|| not_found("group", name))
}

/// The scope part of the form, resolved.
pub async fn scope_from_form(db: &Db, f: &ScopeForm) -> AccessResult<CampaignScope> {
    let catalog = catalog::list(db).await?;
    let dir = directory::snapshot(db).await?;
    let mut apps = BTreeSet::new();
    for name in split(&f.apps) {
        let app = catalog
            .iter()
            .find(|s| s.app.name.eq_ignore_ascii_case(&name) || s.app.slug.as_str() == name)
            .ok_or_else(|| not_found("app", &name))?;
        apps.insert(app.app.id.clone());
    }
    let mut entitlements = BTreeSet::new();
    for name in split(&f.entitlements) {
        let (app_name, ent_name) = match name.split_once('/') {
            Some((a, e)) => (Some(a.trim().to_string()), e.trim().to_string()),
            None => (None, name.clone()),
        };
        let found: Vec<EntitlementId> = catalog
            .iter()
            .filter(|s| {
                app_name
                    .as_deref()
                    .is_none_or(|a| s.app.name.eq_ignore_ascii_case(a) || s.app.slug.as_str() == a)
            })
            .flat_map(|s| s.entitlements.iter().map(|(e, _)| e))
            .filter(|e| {
                e.display_name.eq_ignore_ascii_case(&ent_name) || e.slug.as_str() == ent_name
            })
            .map(|e| e.id.clone())
            .collect();
        match found.as_slice() {
            [one] => {
                entitlements.insert(one.clone());
            }
            [] => return Err(not_found("entitlement", &name)),
            _ => {
                return Err(AccessError::Domain(DomainError::invalid(
                    "entitlement",
                    &name,
                    "several apps have one by that name: write it as \"App / Entitlement\"",
                )));
            }
        }
    }
    let mut groups = Vec::new();
    for name in split(&f.groups) {
        groups.push(group_by_name(&dir.groups, &name)?);
    }
    let granted_within_days = match f.granted_within_days.trim() {
        "" => None,
        days => Some(days.parse::<u32>().map_err(|_| {
            AccessError::Domain(DomainError::invalid(
                "number of days",
                days,
                "a whole number of days",
            ))
        })?),
    };
    let grant_type = match f.grant_type.trim() {
        "" => GrantTypeFilter::Any,
        t => GrantTypeFilter::parse(t)?,
    };
    Ok(CampaignScope {
        apps: apps.into_iter().collect(),
        entitlements: entitlements.into_iter().collect(),
        subjects: SubjectFilter {
            users: people(db, "person in scope", &f.users).await?,
            groups,
            managers: people(db, "manager in scope", &f.managers).await?,
        },
        grant_type,
        granted_within_days,
    })
}

/// The reviewers part of the form, resolved.
pub async fn policy_from_form(db: &Db, f: &ReviewersForm) -> AccessResult<ReviewPolicy> {
    let mut reviewers = Vec::new();
    if f.manager {
        reviewers.push(ApproverSource::Manager);
    }
    if f.app_owners {
        reviewers.push(ApproverSource::AppOwners);
    }
    if f.entitlement_owners {
        reviewers.push(ApproverSource::EntitlementOwners);
    }
    let users = people(db, "reviewer", &f.users).await?;
    if !users.is_empty() {
        reviewers.push(ApproverSource::Users(users));
    }
    if !f.group.trim().is_empty() {
        let dir = directory::snapshot(db).await?;
        reviewers.push(ApproverSource::GroupMembers(group_by_name(
            &dir.groups,
            f.group.trim(),
        )?));
    }
    Ok(ReviewPolicy {
        reviewers,
        require_certify_reason: f.require_certify_reason,
        require_deny_reason: f.require_deny_reason,
        allow_reassignment: f.allow_reassignment,
        use_entitlement_policies: f.use_entitlement_policies,
    })
}

/// A due date typed as YYYY-MM-DD: the end of that day, UTC.
pub fn due_from_form(date: &str) -> AccessResult<Option<Timestamp>> {
    let date = date.trim();
    if date.is_empty() {
        return Ok(None);
    }
    let bad = || {
        AccessError::Domain(DomainError::invalid(
            "due date",
            date,
            "a date written YYYY-MM-DD",
        ))
    };
    let mut parts = date.splitn(3, '-');
    let mut next = || parts.next().ok_or_else(bad);
    let y: i32 = next()?.parse().map_err(|_| bad())?;
    let m: u8 = next()?.parse().map_err(|_| bad())?;
    let d: u8 = next()?.parse().map_err(|_| bad())?;
    let day = crate::domain::time::Date::new(y, m, d)?;
    let end = (day.days_since_epoch() + 1) * crate::domain::time::MILLIS_PER_DAY - 60_000;
    Ok(Some(Timestamp::from_unix_millis(end)))
}

fn auto_end_from_form(v: &str) -> AccessResult<Option<OpenReviews>> {
    match v.trim() {
        "" | "off" | "none" => Ok(None),
        v => Ok(Some(OpenReviews::parse(v)?)),
    }
}

/// The whole form, resolved, for a new draft.
pub async fn fields_from_form(db: &Db, f: &CampaignForm) -> AccessResult<CampaignFields> {
    Ok(CampaignFields {
        name: f.name.trim().to_string(),
        description: f.description.clone(),
        owners: people(db, "owner", &f.owners).await?,
        due_at: due_from_form(&f.due_date)?,
        instructions: f.instructions.clone(),
        scope: scope_from_form(db, &f.scope).await?,
        review_policy: policy_from_form(db, &f.reviewers).await?,
        settings: CampaignSettings {
            remediate_immediately: f.remediate_immediately,
            auto_end: auto_end_from_form(&f.auto_end)?,
        },
    })
}

/// The edit form: `c`'s fields with what the form changes; fields the state freezes keep their
/// value whatever is posted, and scope and reviewers change only when the form carries them.
pub async fn edited_fields(
    db: &Db,
    c: &Campaign,
    f: &CampaignForm,
) -> AccessResult<CampaignFields> {
    let status = c.status();
    let mut fields = c.fields.clone();
    if Field::Name.editable_in(status) {
        fields.name = f.name.trim().to_string();
    }
    if Field::Description.editable_in(status) {
        fields.description = f.description.clone();
    }
    if Field::Owners.editable_in(status) {
        fields.owners = people(db, "owner", &f.owners).await?;
    }
    if Field::DueDate.editable_in(status) {
        fields.due_at = due_from_form(&f.due_date)?;
    }
    if Field::Instructions.editable_in(status) {
        fields.instructions = f.instructions.clone();
    }
    if Field::RemediateImmediately.editable_in(status) {
        fields.settings.remediate_immediately = f.remediate_immediately;
    }
    if Field::AutoEnd.editable_in(status) {
        fields.settings.auto_end = auto_end_from_form(&f.auto_end)?;
    }
    if f.with_scope && Field::Scope.editable_in(status) {
        fields.scope = scope_from_form(db, &f.scope).await?;
    }
    if f.with_scope && Field::ReviewPolicy.editable_in(status) {
        fields.review_policy = policy_from_form(db, &f.reviewers).await?;
    }
    Ok(fields)
}

/// A verdict as the review buttons post it.
pub fn verdict(v: &str) -> AccessResult<ReviewVerdict> {
    Ok(ReviewVerdict::parse(v)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_date_is_the_last_minute_of_that_day_utc_and_empty_means_none() {
        let due = due_from_form(" 2030-03-31 ").unwrap().unwrap();
        assert_eq!(
            crate::components::time::utc_minute(due),
            "2030-03-31 23:59 UTC"
        );
        assert_eq!(due_from_form("").unwrap(), None);
        for bad in ["2030-02-30", "31/03/2030", "2030-03"] {
            assert!(due_from_form(bad).is_err(), "{bad}");
        }
    }

    fn directory_user(name: &str, email: &str, status: &str) -> crate::shapes::DirectoryUser {
        crate::shapes::DirectoryUser {
            id: 1,
            email: email.into(),
            name: name.into(),
            manager_id: None,
            department: None,
            job_title: None,
            status: status.into(),
            super_admin: false,
            campaign_admin: false,
            groups: Vec::new(),
        }
    }

    #[test]
    fn pickers_suggest_active_people_by_name_or_email_and_owners_only_among_campaign_roles() {
        let mut ada = directory_user("Ada Admin", "ada@example.com", "active");
        ada.super_admin = true;
        let mut cam = directory_user("Cam Reviews", "cam@example.com", "active");
        cam.campaign_admin = true;
        let users = vec![
            directory_user("Zed Adams", "zed@example.com", "active"),
            ada,
            cam,
            directory_user("Adam Gone", "adam@example.com", "suspended"),
        ];
        let names = |found: Vec<PersonOption>| -> Vec<String> {
            found.into_iter().map(|p| p.name).collect()
        };
        assert_eq!(
            names(people_matching(&users, " AD ", false, 20)),
            ["Ada Admin", "Zed Adams"]
        );
        assert_eq!(
            names(people_matching(&users, "ad", true, 20)),
            ["Ada Admin"]
        );
        assert_eq!(
            names(people_matching(&users, "example.com", true, 20)),
            ["Ada Admin", "Cam Reviews"]
        );
        assert_eq!(
            names(people_matching(&users, "example", false, 1)),
            ["Ada Admin"]
        );
        assert!(people_matching(&users, "  ", false, 20).is_empty());
    }

    #[test]
    fn form_lists_split_on_commas_semicolons_and_lines_and_drop_blanks() {
        assert_eq!(
            split("a@x.com, b@x.com;\n c@x.com ,,"),
            vec!["a@x.com", "b@x.com", "c@x.com"]
        );
    }

    #[test]
    fn report_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("He said \"no\""), "\"He said \"\"no\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(csv_cell("plain"), "\"plain\"");
    }

    #[test]
    fn the_xlsx_report_is_the_same_bytes_for_the_same_rows() {
        let row = REPORT_HEADER.map(str::to_string);
        let first = xlsx("Q4", std::slice::from_ref(&row)).unwrap();
        // Past the next second: a file stamped with the time it was written would differ.
        std::thread::sleep(std::time::Duration::from_millis(1_100));
        let again = xlsx("Q4", std::slice::from_ref(&row)).unwrap();
        assert!(first.starts_with(b"PK"));
        assert_eq!(sha256_hex(&first), sha256_hex(&again));
    }
}
