//! The front door every signed Slack request goes through once its signature checked out: which
//! installation serves it, and who the person is.
//!
//! Routing ([`route`]): a request names its workspace (`team_id`) and, in an Enterprise Grid org,
//! the org (`enterprise_id`). The workspace's own connected install serves it; failing that, an
//! org-wide install of its enterprise serves every workspace of the org (so an org-installed app
//! works in a workspace it was added to with no further OAuth). Org-wide installs send some
//! payloads with no workspace at all (`team: null`); those go to the org's install. A workspace
//! with no connected install gets a sentence to show ([`NotServed::sentence`]): never connected,
//! or disconnected (by an admin, or by Slack after an uninstall), told apart so the person knows
//! whom to ask.
//!
//! Identity ([`SlackCaller::identify`]): the caller's Latch identity through
//! [`identity::resolve`]; a person Latch will not act for gets [`identity::explain`].
//!
//! Time ([`within`]): Slack waits 3 seconds for an answer. Handlers run their work in a task of
//! its own and answer with its result when it comes within [`ACK_BUDGET`]; when it does not, they
//! answer without it and the work hands its result to a fallback (a `response_url`, a
//! `views.update`) when it is done.

use std::future::Future;
use std::time::Duration;

use secrecy::SecretString;

use crate::ssr::AppState;
use crate::ssr::slack::identity::{self, IdentityError, SlackIdentity};
use crate::ssr::slack::store::{self, Installation};

/// Where a Slack request says it comes from, as its payload names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The workspace (`T…`); `None` when an org-wide install's payload names none.
    pub team_id: Option<String>,
    /// The Grid org (`E…`), when the workspace belongs to one.
    pub enterprise_id: Option<String>,
    /// The Slack user who acted (`U…`/`W…`).
    pub slack_user_id: String,
}

/// A request routed to the connected installation that serves it, with the bot token to answer
/// with.
pub struct SlackCaller {
    pub install: Installation,
    /// The installation's bot token, unsealed for this request only.
    pub bot_token: SecretString,
    /// The Slack user who acted.
    pub slack_user_id: String,
    /// Their workspace (for an org-wide install whose payload named none: the org's id).
    pub team_id: String,
    pub enterprise_id: Option<String>,
}

impl std::fmt::Debug for SlackCaller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackCaller")
            .field("install_key", &self.install.install_key)
            .field("slack_user_id", &self.slack_user_id)
            .field("team_id", &self.team_id)
            .field("enterprise_id", &self.enterprise_id)
            .finish_non_exhaustive()
    }
}

/// Why a request is not served: each has the sentence the person is shown (ephemerally).
#[derive(Debug)]
pub enum NotServed {
    /// No installation of Latch covers this workspace or org.
    NotConnected,
    /// The installation that covered it was disconnected (the reason as stored).
    Disconnected(Option<String>),
    /// The installation could not be read or its token opened; logged, and the person asked
    /// to try again.
    Failed(String),
}

impl NotServed {
    /// What the person sees: what happened and what to do.
    pub fn sentence(&self) -> String {
        match self {
            NotServed::NotConnected => "Latch isn't connected to this Slack workspace, so it \
                can't help from here. Ask a Latch admin to connect it (Admin › Settings › \
                Notifications), or use the Latch web console."
                .into(),
            NotServed::Disconnected(reason) => {
                let why = match reason.as_deref() {
                    Some("app_uninstalled") => " (the app was removed from Slack)",
                    Some("tokens_revoked") => " (Slack revoked its access)",
                    Some("disconnected_by_admin") => " (an admin disconnected it)",
                    _ => "",
                };
                format!(
                    "Latch was disconnected from this Slack workspace{why}, so it can't help \
                     from here. Ask a Latch admin to reconnect it (Admin › Settings › \
                     Notifications), or use the Latch web console."
                )
            }
            NotServed::Failed(_) => "Latch couldn't handle this just now. Please try again in a \
                minute."
                .into(),
        }
    }
}

/// The connected installation serving `origin`, with its bot token; or why there is none.
pub async fn route(state: &AppState, origin: &Origin) -> Result<SlackCaller, NotServed> {
    let team = origin.team_id.as_deref().filter(|t| !t.is_empty());
    let enterprise = origin.enterprise_id.as_deref().filter(|e| !e.is_empty());
    let found = match team {
        Some(team) => store::find_for_workspace(&state.db, team, enterprise).await,
        None => connected_org_install(state, enterprise).await,
    }
    .map_err(|error| {
        tracing::error!(%error, "could not read the Slack installations");
        NotServed::Failed(error.to_string())
    })?;
    let Some(install) = found else {
        return Err(why_not_served(state, team, enterprise).await);
    };
    let sealed = install
        .bot_token_sealed
        .as_deref()
        .filter(|_| install.connected)
        .ok_or_else(|| NotServed::Disconnected(install.disconnect_reason.clone()))?;
    let bot_token = state
        .slack
        .sealer
        .open(
            sealed,
            &store::seal_context(&install.install_key, "bot_token"),
        )
        .map_err(|error| {
            tracing::error!(%error, install_key = %install.install_key, "could not open a Slack bot token");
            NotServed::Failed(error.to_string())
        })?;
    let team_id = team
        .or(install.team_id.as_deref())
        .or(enterprise)
        .unwrap_or_default()
        .to_owned();
    Ok(SlackCaller {
        bot_token: SecretString::from(bot_token),
        slack_user_id: origin.slack_user_id.clone(),
        team_id,
        enterprise_id: enterprise
            .map(str::to_owned)
            .or_else(|| install.enterprise_id.clone()),
        install,
    })
}

/// The connected org-wide install of `enterprise` (payloads of org-wide installs may name no
/// workspace).
async fn connected_org_install(
    state: &AppState,
    enterprise: Option<&str>,
) -> Result<Option<Installation>, sqlx::Error> {
    let Some(key) = store::install_key(None, enterprise, true) else {
        return Ok(None);
    };
    Ok(store::list(&state.db)
        .await?
        .into_iter()
        .find(|i| i.install_key == key && i.connected))
}

/// No connected install serves the request: was one ever there?
async fn why_not_served(
    state: &AppState,
    team: Option<&str>,
    enterprise: Option<&str>,
) -> NotServed {
    let keys: Vec<String> = [
        store::install_key(team, None, false),
        store::install_key(None, enterprise, true),
    ]
    .into_iter()
    .flatten()
    .collect();
    match store::list(&state.db).await {
        Ok(installs) => installs
            .into_iter()
            .find(|i| keys.contains(&i.install_key))
            .map_or(NotServed::NotConnected, |i| {
                NotServed::Disconnected(i.disconnect_reason)
            }),
        Err(error) => {
            tracing::error!(%error, "could not read the Slack installations");
            NotServed::Failed(error.to_string())
        }
    }
}

impl SlackCaller {
    /// Who the caller is in Latch ([`identity::resolve`]); `NotLinked` carries the reason to
    /// [`identity::explain`].
    pub async fn identify(&self, state: &AppState) -> Result<SlackIdentity, IdentityError> {
        identity::resolve(state, &self.install, &self.slack_user_id).await
    }
}

/// The sentence for a failure to identify the caller (the database, a token that will not open):
/// logged, and the person asked to try again.
pub fn identify_failed(error: &IdentityError) -> String {
    tracing::error!(%error, "could not identify a Slack user");
    NotServed::Failed(error.to_string()).sentence()
}

/// How long a handler waits for its work before answering Slack without it: Slack gives up at 3
/// seconds, and the answer still has to cross the network.
pub const ACK_BUDGET: Duration = Duration::from_millis(2000);

/// Runs `work` in a task of its own and returns its output if it is ready within `budget`. If it
/// is not, returns `None` at once and the task goes on: when `work` is done its output goes to
/// `late` instead. Exactly one of the two gets the output (a result ready at the very moment the
/// budget runs out is still returned, never dropped).
pub async fn within<T, Work, Late, LateFut>(budget: Duration, work: Work, late: Late) -> Option<T>
where
    T: Send + 'static,
    Work: Future<Output = T> + Send + 'static,
    Late: FnOnce(T) -> LateFut + Send + 'static,
    LateFut: Future<Output = ()> + Send + 'static,
{
    let (sender, mut receiver) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let output = work.await;
        if let Err(output) = sender.send(output) {
            late(output).await;
        }
    });
    match tokio::time::timeout(budget, &mut receiver).await {
        Ok(Ok(output)) => Some(output),
        // The task ended without an output (it panicked): nothing will come.
        Ok(Err(_)) => None,
        Err(_) => {
            // Closing first makes the task's send fail from now on, so what is not taken here
            // goes to `late`.
            receiver.close();
            receiver.try_recv().ok()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn work_done_in_time_is_answered_and_late_work_goes_to_the_fallback() {
        let late_outputs = Arc::new(Mutex::new(Vec::new()));
        let sink = late_outputs.clone();
        let quick = within(
            Duration::from_millis(500),
            async { 1 },
            move |n| async move { sink.lock().unwrap().push(n) },
        )
        .await;
        assert_eq!(quick, Some(1));

        let sink = late_outputs.clone();
        let (done, finished) = tokio::sync::oneshot::channel();
        let slow = within(
            Duration::from_millis(50),
            async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                2
            },
            move |n| async move {
                sink.lock().unwrap().push(n);
                let _ = done.send(());
            },
        )
        .await;
        assert_eq!(slow, None, "the answer does not wait for slow work");
        finished.await.unwrap();
        assert_eq!(
            *late_outputs.lock().unwrap(),
            [2],
            "only the late work reached the fallback"
        );
    }

    #[test]
    fn every_reason_not_to_serve_tells_the_person_what_to_do() {
        for why in [
            NotServed::NotConnected,
            NotServed::Disconnected(None),
            NotServed::Disconnected(Some("app_uninstalled".into())),
            NotServed::Failed("db down".into()),
        ] {
            let text = why.sentence();
            assert!(
                text.contains("Ask a Latch admin") || text.contains("try again"),
                "{text}"
            );
            assert!(
                !text.contains("db down"),
                "internal details stay in the log"
            );
        }
        assert!(
            NotServed::Disconnected(Some("app_uninstalled".into()))
                .sentence()
                .contains("removed from Slack")
        );
    }
}
