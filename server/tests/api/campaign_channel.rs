//! A campaign's Slack channel (issue 12 §2) through the real server and the Slack stand-in: the
//! Communications area's server functions (add a new or an existing channel, Deactivate /
//! Activate, Remove), Slack's refusals shown on the form with nothing half-configured kept, and
//! the `campaign-channels` job's rounds (driven here directly, its lease held by the test):
//! invitations (a reviewer assigned later included; people without Slack listed), the pinned
//! status tracker and its paced edits, announcements, and Completed then silence.

use app::api::campaigns::{
    AddCampaignChannel, CampaignCommunications, RemoveCampaignChannel, SetCampaignChannelActive,
};
use app::domain::campaign::channel::{Announcement, ChannelStatus, TRACKER_EDIT_GAP_MS};
use app::domain::campaign::{
    CampaignFields, CampaignId, CampaignScope, CampaignSettings, OpenReviews, ReviewOutcome,
    ReviewPolicy, ReviewVerdict,
};
use app::domain::{
    AppId, ApproverSource, EntitlementId, Grant, GrantId, GrantState, RequestId, Role, RoleSet,
};
use app::shapes::Communications;
use app::ssr::AppState;
use app::ssr::access::{Actor, campaigns as repo, grants, new_id, now, user_id};
use app::ssr::flows::{campaign_channel, campaigns};
use app::ssr::slack::campaign_channel::{JOB, run_round};
use slack_standin::{Consent, NewUser, SlackStandin};

use crate::access_fixtures::{Loop, Person, jit_loop, person, scalar};
use crate::helpers::{Refusal, TestApp, call_server_fn, spawn_app_with_slack};
use crate::slack_connect::{connect, follow_callback, start_install, with_param, workspace};
use crate::slack_home::{hold_lease, state_of};

/// Latch connected to workspace "Acme"; Ada (the Super Admin who owns the campaigns), Alice and
/// Bob have Slack accounts with their Latch emails; Carol has none.
struct World {
    app: TestApp,
    slack: SlackStandin,
    team: String,
    l: Loop,
    ada: Actor,
    /// Slack ids of Ada and Bob.
    ada_slack: String,
    bob_slack: String,
    state: AppState,
}

async fn world() -> World {
    world_installed_without(None).await
}

/// The same, connected through an install that lacks `missing_scope` (one made when Latch did not
/// ask for it yet), or a full one.
async fn world_installed_without(missing_scope: Option<&str>) -> World {
    let (app, slack) = spawn_app_with_slack().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let (team, channel) = workspace(&slack, "Acme", "acme", "it-access");
    match missing_scope {
        None => {
            connect(&app, &slack, &team, &channel).await;
        }
        Some(missing) => {
            let authorize = start_install(&app, "/slack/install").await;
            let asked = reqwest::Url::parse(&authorize)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "scope")
                .map(|(_, v)| v.into_owned())
                .unwrap();
            assert!(asked.split(',').any(|s| s == missing), "{asked}");
            let fewer: Vec<&str> = asked.split(',').filter(|s| *s != missing).collect();
            let callback = slack
                .approve_install(
                    &with_param(&authorize, "scope", &fewer.join(",")),
                    Consent {
                        target: Some(team.clone()),
                        webhook_channel: Some(channel.clone()),
                        ..Default::default()
                    },
                )
                .unwrap();
            let back = follow_callback(&app, &callback).await;
            assert!(back.contains("slack=connected"), "{back}");
        }
    }
    hold_lease(&app, JOB).await;
    let l = jit_loop(&app).await;
    let add = |handle: &str, email: &str| {
        slack
            .add_user(&team, NewUser::new(handle, email))
            .unwrap()
            .id
    };
    let ada_slack = add("ada", "admin@example.com");
    add("alice", "alice@example.com");
    let bob_slack = add("bob", "bob@example.com");
    let state = state_of(&app, &slack);
    World {
        ada: actor(&l.admin),
        app,
        slack,
        team,
        l,
        ada_slack,
        bob_slack,
        state,
    }
}

fn actor(p: &Person) -> Actor {
    Actor::for_user(user_id(p.user.id), RoleSet::new([p.user.role]))
}

impl World {
    /// A draft over the loop's entitlement, owned and reviewed by Ada.
    async fn draft(&self) -> String {
        self.draft_reviewed_by(Vec::new()).await
    }

    /// The same, reviewed by each holder's manager and the app's owner (Carol), falling back to
    /// Ada.
    async fn draft_reviewed_by_managers(&self) -> String {
        self.draft_reviewed_by(vec![ApproverSource::Manager, ApproverSource::AppOwners])
            .await
    }

    async fn draft_reviewed_by(&self, reviewers: Vec<ApproverSource>) -> String {
        let fields = CampaignFields {
            name: "Q4 SOC 2 review".into(),
            description: String::new(),
            owners: vec![self.ada.id.clone()],
            due_at: Some(now().plus_millis(7 * 86_400_000)),
            instructions: String::new(),
            scope: CampaignScope {
                entitlements: vec![EntitlementId::new(self.l.entitlement_id.clone())],
                ..CampaignScope::default()
            },
            review_policy: ReviewPolicy {
                reviewers,
                ..ReviewPolicy::default()
            },
            settings: CampaignSettings::default(),
        };
        campaigns::create_draft(&self.app.db, &self.ada, fields)
            .await
            .unwrap()
            .id
            .to_string()
    }

    async fn stage_and_start(&self, id: &str) {
        campaigns::stage(&self.app.db, &self.ada, id).await.unwrap();
        campaigns::start(&self.app.db, &self.ada, id, false)
            .await
            .unwrap();
    }

    /// Ada adds `channel` (as typed) with `description`.
    async fn add(&self, id: &str, channel: &str, description: &str) -> Result<String, Refusal> {
        call_server_fn(
            &self.app,
            &self.l.admin.client,
            AddCampaignChannel {
                id: id.into(),
                channel: channel.into(),
                description: description.into(),
            },
        )
        .await
    }

    async fn communications(&self, id: &str) -> Communications {
        call_server_fn(
            &self.app,
            &self.l.admin.client,
            CampaignCommunications { id: id.into() },
        )
        .await
        .unwrap()
    }

    async fn set_active(&self, id: &str, active: bool) -> String {
        call_server_fn(
            &self.app,
            &self.l.admin.client,
            SetCampaignChannelActive {
                id: id.into(),
                active: active.to_string(),
            },
        )
        .await
        .unwrap()
    }

    async fn round(&self) {
        run_round(&self.state).await.unwrap();
    }

    fn channel_id(&self, name: &str) -> String {
        self.slack.channel_by_name(&self.team, name).unwrap().id
    }

    fn members(&self, channel: &str) -> Vec<String> {
        self.slack.channel(channel).unwrap().members
    }

    fn calls(&self, method: &str) -> usize {
        self.slack.api_calls_to(method).len()
    }

    /// Calls of `method` about `channel` (Latch's DMs go on meanwhile).
    fn calls_in(&self, method: &str, channel: &str) -> usize {
        self.slack
            .api_calls_to(method)
            .iter()
            .filter(|c| c.params["channel"] == channel)
            .count()
    }

    /// Every call about `channel`.
    fn all_calls_in(&self, channel: &str) -> usize {
        self.slack
            .api_calls()
            .iter()
            .filter(|c| c.params["channel"] == channel)
            .count()
    }

    /// The tracker's text as Slack shows it now.
    fn tracker(&self, channel: &str) -> String {
        let pinned = self
            .slack
            .pins()
            .into_iter()
            .find(|p| p.channel == channel)
            .expect("a pinned tracker");
        self.slack
            .messages(channel)
            .into_iter()
            .find(|m| m.ts == pinned.ts)
            .unwrap()
            .text
    }

    /// As if the tracker's last edit was long enough ago for the next one.
    async fn age_tracker(&self, id: &str) {
        sqlx::query(
            "UPDATE campaign_channels SET tracker_edited_at = tracker_edited_at - $2 WHERE campaign_id = $1",
        )
        .bind(id)
        .bind(TRACKER_EDIT_GAP_MS)
        .execute(&self.app.db.pool)
        .await
        .unwrap();
    }

    /// A grant of the loop's entitlement held by `subject` (reviewed by Ada, the fallback).
    async fn grant_to(&self, subject: &Person) {
        let app_id: String =
            sqlx::query_scalar::<_, String>("SELECT app_id FROM entitlements WHERE id = $1")
                .bind(&self.l.entitlement_id)
                .fetch_one(&self.app.db.pool)
                .await
                .unwrap();
        let at = now();
        let g = Grant {
            id: GrantId::new(new_id()),
            subject: user_id(subject.user.id),
            app: AppId::new(app_id),
            entitlement: EntitlementId::new(self.l.entitlement_id.clone()),
            granted_at: at,
            period_start: at,
            expires_at: None,
            source_request: RequestId::new("seeded"),
            extensions: Vec::new(),
            state: GrantState::Active,
            version: 1,
        };
        let mut tx = self.app.db.begin().await.unwrap();
        grants::save_grant(&mut tx, None, &g, at).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// Ada certifies `n` of her open reviews and submits them.
    async fn review(&self, id: &str, n: usize) {
        let open = repo::tasks_page(&self.app.db, id, ReviewOutcome::Open, "", 1_000)
            .await
            .unwrap();
        let mine: Vec<_> = open
            .iter()
            .filter(|t| t.reviewers.contains(&self.ada.id))
            .take(n)
            .collect();
        assert_eq!(mine.len(), n, "Ada has {n} open reviews");
        for t in mine {
            campaigns::decide(
                &self.app.db,
                &self.ada,
                t.id.as_str(),
                ReviewVerdict::Certify,
                None,
            )
            .await
            .unwrap();
        }
        campaigns::submit(&self.app.db, &self.ada, id)
            .await
            .unwrap();
    }

    async fn announce(&self, id: &str, what: Announcement) -> bool {
        let mut tx = self.app.db.begin().await.unwrap();
        let queued = campaign_channel::announce(&mut tx, &CampaignId::new(id), what)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        queued
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_channel_is_created_with_its_description_and_owners_and_reviewers_are_invited() {
    let w = world().await;
    let id = w.draft_reviewed_by_managers().await;
    // Alice's grant: reviewed by Bob (her manager) and Carol (the app's owner).
    w.l.granted(&w.app).await;
    let description = "Q4 access review: certify or deny, please ✅";
    let said = w
        .add(&id, "  #Q4 Access.Review ", description)
        .await
        .unwrap();
    assert!(said.contains("Created #q4_access_review"), "{said}");
    let channel = w.channel_id("q4_access_review");
    let slack_channel = w.slack.channel(&channel).unwrap();
    assert!(!slack_channel.is_private);
    assert_eq!(slack_channel.purpose.value, description);

    let c = w.communications(&id).await;
    let shown = c.channel.clone().unwrap();
    assert_eq!(shown.name, "q4_access_review");
    assert_eq!(shown.status, ChannelStatus::Active);
    assert!(shown.created_by_latch);
    assert!(!c.actions.add && c.actions.deactivate && c.actions.remove);

    // A draft has no reviewers yet: only Ada, its owner, is invited.
    w.round().await;
    assert!(w.members(&channel).contains(&w.ada_slack));
    assert!(!w.members(&channel).contains(&w.bob_slack));
    assert!(
        w.slack.messages(&channel).is_empty(),
        "nothing is posted before it runs"
    );

    // Started: the reviewers are invited; Carol has no Slack account and is listed.
    w.stage_and_start(&id).await;
    w.round().await;
    assert!(w.members(&channel).contains(&w.bob_slack));
    let c = w.communications(&id).await.channel.unwrap();
    assert_eq!(c.invited, 2, "{c:?}");
    assert_eq!(c.waiting, 0);
    assert_eq!(c.unlinked.len(), 1, "{c:?}");
    assert_eq!(c.unlinked[0].email, "carol@example.com");
    assert!(c.tracker_posted);
    let tracker = w.tracker(&channel);
    assert!(tracker.contains("Status: *Running*"), "{tracker}");
    assert!(tracker.contains("0 of 1 review done"), "{tracker}");
    assert_eq!(
        scalar(
            &w.app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'campaign.channel_added'"
        )
        .await,
        1
    );

    // In the Slack simulator, Bob finds the channel among his and reads the pinned tracker there.
    let base = w.slack.base_url().to_string();
    let page = |path: String| {
        let url = format!("{base}{path}");
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let bobs = page(format!("/simulator/as/{}", w.bob_slack)).await;
    assert!(bobs.contains("#q4_access_review"), "{bobs}");
    let pane = page(format!("/simulator/as/{}/pane?c={channel}", w.bob_slack)).await;
    assert!(pane.contains("Status: <b>Running</b>"), "{pane}");
    assert!(pane.contains("0 of 1 review done"), "{pane}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_public_channel_is_joined_and_a_private_one_the_app_is_not_in_is_refused() {
    let w = world().await;
    let owner = w
        .slack
        .users()
        .into_iter()
        .find(|u| u.name == "owner")
        .unwrap()
        .id;
    let public = w
        .slack
        .add_channel(&w.team, "sox-review", false, &[owner.as_str()])
        .unwrap();
    w.slack
        .add_channel(&w.team, "secret-review", true, &[owner.as_str()])
        .unwrap();

    let first = w.draft().await;
    let said = w
        .add(&first, "SOX-Review", "ignored for an existing channel")
        .await;
    let said = said.unwrap();
    assert!(said.contains("Added #sox-review"), "{said}");
    assert!(said.contains("already existed"), "{said}");
    let bot = w.slack.installs()[0].bot_user_id.clone();
    assert!(w.members(&public.id).contains(&bot), "Latch joined it");
    let c = w.communications(&first).await.channel.unwrap();
    assert!(!c.created_by_latch && !c.is_private);
    assert_eq!(w.slack.channel(&public.id).unwrap().purpose.value, "");

    let second = w.draft().await;
    let refused = w.add(&second, "secret-review", "").await.unwrap_err();
    assert_eq!(refused.status, 422);
    assert!(
        refused.message.contains("private channel Latch is not in")
            && refused.message.contains("Invite the Latch app"),
        "{refused:?}"
    );
    assert!(w.communications(&second).await.channel.is_none());
    assert!(w.communications(&second).await.actions.add);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_come_back_on_the_form_and_nothing_half_configured_is_kept() {
    let w = world().await;
    let id = w.draft().await;

    // Names with nothing usable never reach Slack.
    for bad in ["!!!", "   ", "---", "日本語"] {
        let refused = w.add(&id, bad, "").await.unwrap_err();
        assert_eq!(refused.status, 422, "{bad}: {refused:?}");
    }
    assert_eq!(w.calls("conversations.create"), 0);

    // 251 characters as a person counts them is refused before Slack is asked; 250 with
    // accents and emoji fits.
    let at_limit = format!("{}{}", "é🎉".repeat(100), "x".repeat(50));
    let over = format!("{at_limit}!");
    let refused = w.add(&id, "too-long", &over).await.unwrap_err();
    assert!(refused.message.contains("at most 250"), "{refused:?}");
    assert_eq!(w.calls("conversations.create"), 0);

    // Created, but Slack then refuses the description (it counts code points: 250 letters with
    // combining accents are 500): said so, and not attached.
    let combining = "e\u{301}".repeat(250);
    let refused = w.add(&id, "accents", &combining).await.unwrap_err();
    assert!(
        refused
            .message
            .contains("#accents was created in Slack, but its description could not be set"),
        "{refused:?}"
    );
    assert!(w.communications(&id).await.channel.is_none());
    // Added again without a description: the channel Latch made is used as it is.
    let said = w.add(&id, "accents", "").await.unwrap();
    assert!(said.contains("Added #accents"), "{said}");
    let removed: String = call_server_fn(
        &w.app,
        &w.l.admin.client,
        RemoveCampaignChannel { id: id.clone() },
    )
    .await
    .unwrap();
    assert!(removed.contains("stays in Slack"), "{removed}");

    // The name of a channel the app cannot see: a private one without Latch.
    let owner = w
        .slack
        .users()
        .into_iter()
        .find(|u| u.name == "owner")
        .unwrap()
        .id;
    w.slack
        .add_channel(&w.team, "taken", true, &[owner.as_str()])
        .unwrap();
    let refused = w.add(&id, "Taken", "").await.unwrap_err();
    assert!(
        refused.message.contains("#taken is a private channel"),
        "{refused:?}"
    );

    // A workspace that allows only private channels: created private, and said so.
    w.slack.restrict_public_channels(&w.team, true);
    let said = w
        .add(&id, "private-only", "With a description")
        .await
        .unwrap();
    assert!(
        said.contains("(private)") && said.contains("only private channels"),
        "{said}"
    );
    let made = w.slack.channel_by_name(&w.team, "private-only").unwrap();
    assert!(made.is_private);
    assert_eq!(made.purpose.value, "With a description");
    assert!(w.communications(&id).await.channel.unwrap().is_private);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_without_the_channel_scope_is_told_to_reinstall_and_nothing_is_attached() {
    let w = world_installed_without(Some("channels:manage")).await;
    let id = w.draft().await;

    let refused = w
        .add(&id, "q4-review", "The quarterly access review")
        .await
        .unwrap_err();
    assert_eq!(refused.status, 422, "{refused:?}");
    assert_eq!(
        refused.message,
        "Latch's Slack app is missing a permission for #q4-review (Slack said missing_scope). \
         Reinstall it from Settings > Slack, then try again."
    );
    // Slack was asked, and refused for the scope.
    let creates = w.slack.api_calls_to("conversations.create");
    assert_eq!(creates.len(), 1, "{creates:?}");
    assert_eq!(creates[0].response["error"], "missing_scope", "{creates:?}");
    // Nothing attached, nothing made in Slack, nothing queued; adding is still offered.
    assert!(w.slack.channel_by_name(&w.team, "q4-review").is_none());
    let communications = w.communications(&id).await;
    assert!(communications.channel.is_none(), "{communications:?}");
    assert!(communications.actions.add, "{communications:?}");
    for table in ["campaign_channels", "campaign_channel_members"] {
        let rows = scalar(&w.app, &format!("SELECT COUNT(*) FROM {table}")).await;
        assert_eq!(rows, 0, "{table}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_assigned_later_is_invited_when_assigned() {
    let w = world().await;
    let dave = person(&w.app, "dave@example.com", "Dave Deputy", Role::BasicUser).await;
    let dave_slack = w
        .slack
        .add_user(&w.team, NewUser::new("dave", "dave@example.com"))
        .unwrap()
        .id;
    w.grant_to(&w.l.carol).await;
    let id = w.draft().await;
    w.add(&id, "later", "").await.unwrap();
    w.stage_and_start(&id).await;
    w.round().await;
    let channel = w.channel_id("later");
    assert!(!w.members(&channel).contains(&dave_slack));

    let task = repo::tasks_page(&w.app.db, &id, ReviewOutcome::Open, "", 10)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.reviewers.contains(&w.ada.id))
        .unwrap();
    campaigns::reassign(
        &w.app.db,
        &w.ada,
        task.id.as_str(),
        &[user_id(dave.user.id)],
        "Dave covers Prod DB",
    )
    .await
    .unwrap();
    w.round().await;
    assert!(w.members(&channel).contains(&dave_slack));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pinned_tracker_follows_progress_in_paced_edits() {
    let w = world().await;
    for p in [&w.l.alice, &w.l.bob, &w.l.carol] {
        w.grant_to(p).await;
    }
    let id = w.draft().await;
    w.add(&id, "tracker", "").await.unwrap();
    w.stage_and_start(&id).await;
    w.round().await;
    let channel = w.channel_id("tracker");
    assert_eq!(w.slack.pins().len(), 1);
    assert!(w.tracker(&channel).contains("0 of 3 reviews done"));

    w.age_tracker(&id).await;
    w.review(&id, 1).await;
    w.round().await;
    assert_eq!(w.calls_in("chat.update", &channel), 1);
    assert!(w.tracker(&channel).contains("1 of 3 reviews done (33%)"));

    // Two more submissions soon after: no edit until the gap has passed, then one for both.
    w.review(&id, 1).await;
    w.round().await;
    w.review(&id, 1).await;
    w.round().await;
    assert_eq!(w.calls_in("chat.update", &channel), 1, "edits are paced");
    assert!(w.tracker(&channel).contains("1 of 3"));
    w.age_tracker(&id).await;
    w.round().await;
    w.round().await;
    assert_eq!(
        w.calls_in("chat.update", &channel),
        2,
        "one edit shows both"
    );
    assert!(w.tracker(&channel).contains("3 of 3 reviews done (100%)"));
    assert_eq!(
        w.calls_in("chat.postMessage", &channel),
        1,
        "the tracker is edited, never reposted"
    );
    assert_eq!(w.slack.pins().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_channel_gets_nothing_until_activated_and_a_removed_one_can_be_replaced() {
    let w = world().await;
    for p in [&w.l.alice, &w.l.bob] {
        w.grant_to(p).await;
    }
    let id = w.draft().await;
    w.add(&id, "first", "").await.unwrap();
    w.stage_and_start(&id).await;
    w.round().await;
    let first = w.channel_id("first");
    let posts = w.slack.messages(&first).len();

    let said = w.set_active(&id, false).await;
    assert!(said.contains("inactive"), "{said}");
    let c = w.communications(&id).await;
    assert_eq!(c.channel.unwrap().status, ChannelStatus::Inactive);
    assert!(c.actions.activate && !c.actions.deactivate);
    assert!(
        !w.announce(&id, Announcement::Kickoff).await,
        "nothing is queued while inactive"
    );
    w.age_tracker(&id).await;
    w.review(&id, 1).await;
    w.round().await;
    assert_eq!(w.calls_in("chat.update", &first), 0);
    assert_eq!(
        w.slack.messages(&first).len(),
        posts,
        "nothing posted while inactive"
    );

    w.set_active(&id, true).await;
    w.round().await;
    assert_eq!(
        w.calls_in("chat.update", &first),
        1,
        "the tracker catches up"
    );
    assert!(w.tracker(&first).contains("1 of 2"));
    assert!(
        w.announce(
            &id,
            Announcement::Reminder {
                due_in: "in 7 days".into()
            }
        )
        .await
    );
    w.round().await;
    let last = w.slack.messages(&first).last().unwrap().text.clone();
    assert!(
        last.contains("Reminder") && last.contains("1 open review left"),
        "{last}"
    );

    // Remove: detached (the channel stays in Slack, not archived); another can be added, and
    // everyone is invited to it.
    let removed: String = call_server_fn(
        &w.app,
        &w.l.admin.client,
        RemoveCampaignChannel { id: id.clone() },
    )
    .await
    .unwrap();
    assert!(removed.contains("#first was removed"), "{removed}");
    let c = w.communications(&id).await;
    assert!(c.channel.is_none() && c.actions.add);
    assert!(!w.slack.channel(&first).unwrap().is_archived);
    w.add(&id, "second", "").await.unwrap();
    w.round().await;
    let second = w.channel_id("second");
    assert!(w.members(&second).contains(&w.ada_slack));
    assert!(w.tracker(&second).contains("1 of 2"));
    for action in [
        "campaign.channel_deactivated",
        "campaign.channel_activated",
        "campaign.channel_removed",
    ] {
        let n = scalar(
            &w.app,
            &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"),
        )
        .await;
        assert_eq!(n, 1, "{action}");
    }
    crate::access_fixtures::chain_is_intact(&w.app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_end_the_tracker_reads_completed_and_nothing_more_is_sent() {
    let w = world().await;
    w.grant_to(&w.l.alice).await;
    let id = w.draft().await;
    w.add(&id, "ending", "").await.unwrap();
    w.stage_and_start(&id).await;
    w.round().await;
    let channel = w.channel_id("ending");
    assert!(
        w.announce(
            &id,
            Announcement::Reminder {
                due_in: "tomorrow".into()
            }
        )
        .await
    );
    campaigns::end(&w.app.db, &w.ada, &id, OpenReviews::Skip)
        .await
        .unwrap();
    w.age_tracker(&id).await;
    w.round().await;
    let tracker = w.tracker(&channel);
    assert!(tracker.contains("Status: *Completed*"), "{tracker}");
    let c = w.communications(&id).await;
    assert_eq!(c.channel.unwrap().status, ChannelStatus::Completed);
    assert_eq!(c.actions, Default::default(), "nothing changes any more");
    assert!(
        !w.slack
            .messages(&channel)
            .iter()
            .any(|m| m.text.contains("Reminder")),
        "the reminder queued before the end is dropped"
    );

    // Silence: nothing is queued or sent after, even when the campaign is completed.
    let calls = w.all_calls_in(&channel);
    assert!(!w.announce(&id, Announcement::Kickoff).await);
    campaigns::complete(&w.app.db, &w.ada, &id).await.unwrap();
    w.age_tracker(&id).await;
    w.round().await;
    w.round().await;
    assert_eq!(w.all_calls_in(&channel), calls);
    let refused = w.add(&id, "another", "").await.unwrap_err();
    assert_eq!(refused.status, 409, "{refused:?}");
    assert!(
        refused.message.contains("the campaign is completed"),
        "{refused:?}"
    );
    assert!(
        !w.slack.channel(&channel).unwrap().is_archived,
        "never archived"
    );
}
