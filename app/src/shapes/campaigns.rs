//! Access review campaigns as the console shows them: the list with its tabs, one campaign with
//! its progress and report, "Validate scope", and a reviewer's own reviews. People, apps and
//! entitlements come as names; only campaign managers get a campaign's page, and a reviewer gets
//! only the reviews they are asked for.

use serde::{Deserialize, Serialize};

use crate::domain::campaign::{CampaignActions, ReviewActions};

/// One campaign in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    /// `CampaignStatus` as stored (draft, staged, running, ended, completed).
    pub status: String,
    pub owners: Vec<String>,
    pub due_at: Option<i64>,
    /// Reviews closed (decided, cancelled, skipped or revoked) out of all of them.
    pub done: u64,
    pub total: u64,
}

/// The Access reviews page: the campaigns the viewer manages (every one for Super Admins), and
/// whether they may create one. Everyone else gets an empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignList {
    pub can_create: bool,
    pub campaigns: Vec<CampaignRow>,
    /// Open reviews waiting for the viewer, across running campaigns.
    pub my_open_reviews: u64,
}

/// A line of progress: reviews closed out of all, for one app or one reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressLine {
    pub label: String,
    pub done: u64,
    pub total: u64,
}

/// The report's files with their SHA-256, as they read now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFiles {
    pub csv_sha256: String,
    pub xlsx_sha256: String,
    pub rows: u64,
}

/// One campaign, for those who manage it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignDetail {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub status: String,
    pub description: String,
    /// The Markdown as typed (for editing) and rendered to sanitised HTML (for reading).
    pub instructions: String,
    pub instructions_html: String,
    pub owners: Vec<String>,
    /// The owners' email addresses, comma-separated, as the edit form takes them.
    pub owner_emails: String,
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub created_by: String,
    /// Milestones so far, in order: ("Staged", when, by whom).
    pub milestones: Vec<(String, i64, String)>,
    /// How open reviews were closed at the end (skip or revoke), once ended.
    pub open_reviews: Option<String>,
    /// The scope and the review policy in words, one line each.
    pub scope: Vec<String>,
    pub reviewers: Vec<String>,
    pub remediate_immediately: bool,
    /// "skip" or "revoke" when auto-end is set.
    pub auto_end: Option<String>,
    /// Which fields the current state leaves editable.
    pub editable: EditableFields,
    pub actions: CampaignActions,
    pub done: u64,
    pub total: u64,
    /// Reviews by outcome ("certified", 3).
    pub outcomes: Vec<(String, u64)>,
    pub by_app: Vec<ProgressLine>,
    pub by_reviewer: Vec<ProgressLine>,
    /// Once staged (there are reviews to report on).
    pub report: Option<ReportFiles>,
    /// The scope and reviewers as the form writes them, while they are editable (a draft).
    pub scope_form: Option<ScopeFormValues>,
}

/// A draft's scope and reviewers as the campaign form writes them (names and emails).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeFormValues {
    pub apps: String,
    /// "App / Entitlement", comma-separated.
    pub entitlements: String,
    pub users: String,
    pub groups: String,
    pub managers: String,
    pub grant_type: String,
    pub granted_within_days: String,
    pub reviewer_manager: bool,
    pub reviewer_app_owners: bool,
    pub reviewer_entitlement_owners: bool,
    pub reviewer_users: String,
    pub reviewer_group: String,
    pub require_certify_reason: bool,
    pub require_deny_reason: bool,
    pub allow_reassignment: bool,
    pub use_entitlement_policies: bool,
}

/// What the edit form may change in the campaign's state (`campaign::Field::editable_in`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditableFields {
    pub name: bool,
    pub description: bool,
    pub owners: bool,
    pub due_date: bool,
    pub instructions: bool,
    pub remediate_immediately: bool,
    pub auto_end: bool,
}

impl EditableFields {
    pub fn any(&self) -> bool {
        self.name
            || self.description
            || self.owners
            || self.due_date
            || self.instructions
            || self.remediate_immediately
            || self.auto_end
    }
}

/// One grant of a "Validate scope" sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSampleLine {
    pub subject: String,
    pub app: String,
    pub entitlement: String,
    pub granted_at: i64,
    pub expires_at: Option<i64>,
}

/// "Validate scope": how many grants the scope takes now, and the first of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeCheck {
    pub count: u64,
    pub sample: Vec<ScopeSampleLine>,
}

/// One review as its reviewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewLine {
    pub id: String,
    pub subject: String,
    pub app: String,
    pub entitlement: String,
    pub granted_at: i64,
    pub expires_at: Option<i64>,
    /// `ReviewOutcome` (open, certified, denied…).
    pub outcome: String,
    /// Who decided it, when someone did (possibly someone else first).
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    /// Who reviews it.
    pub reviewers: Vec<String>,
    /// The viewer's decision waiting for "Submit reviews": ("certify" | "deny", reason).
    pub pending: Option<(String, Option<String>)>,
    pub actions: ReviewActions,
}

/// A running campaign's reviews for one reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyCampaignReviews {
    pub id: String,
    pub name: String,
    pub due_at: Option<i64>,
    pub instructions_html: String,
    pub require_certify_reason: bool,
    pub require_deny_reason: bool,
    /// This campaign's reviews on the page shown.
    pub reviews: Vec<ReviewLine>,
    /// All of the viewer's reviews in this campaign, on every page, and how many are open.
    pub total: u64,
    pub open: u64,
    /// The viewer's pending decisions in this campaign, on every page: what "Submit reviews"
    /// submits.
    pub pending_certify: u64,
    pub pending_deny: u64,
}

/// How many reviews a page of My reviews or of a campaign's open reviews shows.
pub const REVIEWS_PAGE_SIZE: u64 = 200;

/// One page of a reviewer's reviews: campaigns oldest first, each grouped by app or by holder in
/// a stable order, [`REVIEWS_PAGE_SIZE`] reviews a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyReviewList {
    /// The campaigns with reviews on this page, with this page's reviews.
    pub campaigns: Vec<MyCampaignReviews>,
    /// The page shown, from 1.
    pub page: u64,
    /// Reviews on every page.
    pub total: u64,
}

/// One page of a campaign's open reviews, by app and holder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenReviewsPage {
    pub rows: Vec<ReviewLine>,
    /// The page shown, from 1.
    pub page: u64,
    /// Open reviews on every page.
    pub total: u64,
}

/// Which reviews a page of [`REVIEWS_PAGE_SIZE`] shows: (first, last), both counted from 1, and
/// the number of pages; (0, 0) and 1 page when there are none.
pub fn page_span(page: u64, total: u64) -> (u64, u64, u64) {
    let pages = total.div_ceil(REVIEWS_PAGE_SIZE).max(1);
    if total == 0 {
        return (0, 0, pages);
    }
    let page = page.clamp(1, pages);
    let first = (page - 1) * REVIEWS_PAGE_SIZE + 1;
    (first, (first + REVIEWS_PAGE_SIZE - 1).min(total), pages)
}

/// What one "Submit reviews" did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitOutcome {
    pub submitted: usize,
    pub certified: usize,
    pub denied: usize,
    /// Reviews someone else decided first: (the grant in words, who).
    pub decided_elsewhere: Vec<String>,
    pub removals_started: usize,
}

/// A person the campaign form's pickers offer (owners, named reviewers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonOption {
    pub name: String,
    pub email: String,
}

/// Who `typed` names among `offered` (what the directory suggested for it): the person with that
/// email, or with that name when only one has it, or the only one offered; `None` when it names
/// nobody or several people.
pub fn pick_person(offered: &[PersonOption], typed: &str) -> Option<PersonOption> {
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    if let Some(p) = offered.iter().find(|p| p.email.eq_ignore_ascii_case(typed)) {
        return Some(p.clone());
    }
    let named: Vec<&PersonOption> = offered
        .iter()
        .filter(|p| p.name.trim().eq_ignore_ascii_case(typed))
        .collect();
    match (named.as_slice(), offered) {
        ([one], _) => Some((*one).clone()),
        ([], [only]) => Some(only.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, email: &str) -> PersonOption {
        PersonOption {
            name: name.into(),
            email: email.into(),
        }
    }

    #[test]
    fn a_picker_takes_an_email_a_unique_name_or_the_only_suggestion_and_nothing_ambiguous() {
        let ada = person("Ada Admin", "ada@example.com");
        let bob = person("Bob Manager", "bob@example.com");
        let bob2 = person("Bob Manager", "bob2@example.com");
        let offered = vec![ada.clone(), bob.clone(), bob2.clone()];
        assert_eq!(
            pick_person(&offered, " ADA@example.com "),
            Some(ada.clone())
        );
        assert_eq!(pick_person(&offered, "bob2@example.com"), Some(bob2));
        // Two people share the name: the email must say which.
        assert_eq!(pick_person(&offered, "Bob Manager"), None);
        assert_eq!(pick_person(&offered, "ada admin"), Some(ada.clone()));
        assert_eq!(pick_person(std::slice::from_ref(&bob), "bo"), Some(bob));
        assert_eq!(pick_person(&offered, "carol"), None);
        assert_eq!(pick_person(&[], "ada@example.com"), None);
        assert_eq!(pick_person(&offered, "  "), None);
    }

    #[test]
    fn a_page_spans_its_slice_of_the_reviews_and_a_page_past_the_end_shows_the_last() {
        assert_eq!(page_span(1, 0), (0, 0, 1));
        assert_eq!(page_span(1, 5), (1, 5, 1));
        assert_eq!(page_span(1, 1_001), (1, 200, 6));
        assert_eq!(page_span(2, 1_001), (201, 400, 6));
        assert_eq!(page_span(6, 1_001), (1_001, 1_001, 6));
        assert_eq!(page_span(9, 1_001), (1_001, 1_001, 6));
        assert_eq!(page_span(0, 400), (1, 200, 2));
    }
}
