//! A person using Slack, for tests: everything they can do to the app's
//! surfaces, expressed as what they do ("type", "pick", "click") rather than
//! as payloads. The stand-in turns each into the request Slack would send,
//! with state derived from what the person did.
//!
//! ```no_run
//! # async fn demo(slack: &slack_standin::SlackStandin, app: &str, view_id: &str) -> slack_standin::Result<()> {
//! use slack_standin::Surface;
//! let alice = slack.person("U0ALICE", app);
//! let found = alice.search(Surface::view(view_id), "app", "app", "git").await?; // block_suggestion
//! alice.select(Surface::view(view_id), "app", "app", "github").await?;            // from what was shown
//! alice.type_text(view_id, "why", "reason", "on-call for INC-42").await?;
//! let out = alice.submit(view_id).await?;                                         // view_submission
//! # let _ = (found, out); Ok(()) }
//! ```

use crate::SlackStandin;
use crate::blockkit::Input;
use crate::driver::{
    Act, ActOutcome, OptionsLoad, OptionsOutcome, Surface, ViewCloseOutcome, ViewSubmit,
    ViewSubmitOutcome,
};
use crate::error::Result;
use crate::state::{Delivery, Message};
use serde_json::Value;

/// A person in a workspace; see [`SlackStandin::person`].
#[derive(Debug, Clone)]
pub struct Person<'a> {
    slack: &'a SlackStandin,
    user_id: String,
    app_url: String,
    options_url: String,
}

impl<'a> Person<'a> {
    pub(crate) fn new(slack: &'a SlackStandin, user_id: &str, app_url: &str) -> Self {
        Self {
            slack,
            user_id: user_id.to_owned(),
            app_url: app_url.to_owned(),
            options_url: app_url.to_owned(),
        }
    }

    /// Sends `block_suggestion` requests to this URL (the app's Select Menus
    /// Options Load URL) instead of the interactivity URL.
    #[must_use]
    pub fn with_options_url(mut self, options_url: &str) -> Self {
        self.options_url = options_url.to_owned();
        self
    }

    /// The person's user id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    fn block(block_id: &str) -> Option<String> {
        (!block_id.is_empty()).then(|| block_id.to_owned())
    }

    /// Does `input` to the element `action_id` (in `block_id`; `""` = any block) on `surface`.
    pub async fn act(
        &self,
        surface: Surface,
        block_id: &str,
        action_id: &str,
        input: Input,
    ) -> Result<ActOutcome> {
        self.slack
            .act(
                &self.app_url,
                Act {
                    user_id: self.user_id.clone(),
                    surface,
                    block_id: Self::block(block_id),
                    action_id: action_id.to_owned(),
                    input,
                },
            )
            .await
    }

    /// Types into a text input of a view (and presses Enter). Also known as `set_input`.
    pub async fn type_text(
        &self,
        view_id: &str,
        block_id: &str,
        action_id: &str,
        text: &str,
    ) -> Result<ActOutcome> {
        self.act(
            Surface::view(view_id),
            block_id,
            action_id,
            Input::Text(text.to_owned()),
        )
        .await
    }

    /// Clicks a button.
    pub async fn click(
        &self,
        surface: Surface,
        block_id: &str,
        action_id: &str,
    ) -> Result<ActOutcome> {
        self.act(surface, block_id, action_id, Input::Click).await
    }

    /// Picks one option by value (static/external select, radio buttons, overflow).
    /// An `external_select` offers only what [`Self::search`] showed (or its `initial_option`).
    pub async fn select(
        &self,
        surface: Surface,
        block_id: &str,
        action_id: &str,
        value: &str,
    ) -> Result<ActOutcome> {
        self.act(
            surface,
            block_id,
            action_id,
            Input::Select(value.to_owned()),
        )
        .await
    }

    /// Picks several options by value (multi selects, checkboxes).
    pub async fn select_many(
        &self,
        surface: Surface,
        block_id: &str,
        action_id: &str,
        values: &[&str],
    ) -> Result<ActOutcome> {
        let values = values.iter().map(|v| (*v).to_owned()).collect();
        self.act(surface, block_id, action_id, Input::SelectMany(values))
            .await
    }

    /// Picks a user in a `users_select`.
    pub async fn pick_user(
        &self,
        surface: Surface,
        block_id: &str,
        action_id: &str,
        user_id: &str,
    ) -> Result<ActOutcome> {
        self.act(
            surface,
            block_id,
            action_id,
            Input::User(user_id.to_owned()),
        )
        .await
    }

    /// Picks users in a `multi_users_select`.
    pub async fn pick_users(
        &self,
        surface: Surface,
        block_id: &str,
        action_id: &str,
        user_ids: &[&str],
    ) -> Result<ActOutcome> {
        let ids = user_ids.iter().map(|u| (*u).to_owned()).collect();
        self.act(surface, block_id, action_id, Input::Users(ids))
            .await
    }

    /// Picks a channel in a `channels_select` (or a conversation in a `conversations_select`).
    pub async fn pick_channel(
        &self,
        surface: Surface,
        block_id: &str,
        action_id: &str,
        channel_id: &str,
    ) -> Result<ActOutcome> {
        let input = match self.element_type(&surface, block_id, action_id).as_deref() {
            Some("conversations_select") => Input::Conversation(channel_id.to_owned()),
            _ => Input::Channel(channel_id.to_owned()),
        };
        self.act(surface, block_id, action_id, input).await
    }

    /// Picks a date (`YYYY-MM-DD`) in a `datepicker`.
    pub async fn pick_date(
        &self,
        surface: Surface,
        block_id: &str,
        action_id: &str,
        date: &str,
    ) -> Result<ActOutcome> {
        self.act(surface, block_id, action_id, Input::Date(date.to_owned()))
            .await
    }

    /// Types into an `external_select` (`block_suggestion` to the options URL).
    pub async fn search(
        &self,
        surface: Surface,
        block_id: &str,
        action_id: &str,
        typed: &str,
    ) -> Result<OptionsOutcome> {
        self.slack
            .load_options(
                &self.options_url,
                OptionsLoad {
                    user_id: self.user_id.clone(),
                    surface,
                    block_id: Self::block(block_id),
                    action_id: action_id.to_owned(),
                    value: typed.to_owned(),
                },
            )
            .await
    }

    /// Clicks a modal's submit button.
    pub async fn submit(&self, view_id: &str) -> Result<ViewSubmitOutcome> {
        self.slack
            .submit_view(
                &self.app_url,
                ViewSubmit {
                    view_id: view_id.to_owned(),
                    user_id: Some(self.user_id.clone()),
                    values: Value::Null,
                },
            )
            .await
    }

    /// Clicks a modal's close button.
    pub async fn close(&self, view_id: &str) -> Result<ViewCloseOutcome> {
        self.slack
            .close_view(&self.app_url, view_id, Some(&self.user_id))
            .await
    }

    /// Opens the app's Home tab (`tab = "home"`) or Messages tab (`"messages"`).
    pub async fn open_app_home(&self, tab: &str) -> Result<Delivery> {
        self.slack.open_app_home(&self.user_id, tab).await
    }

    /// Writes a message (in a thread when `thread_ts` is given).
    pub async fn write(
        &self,
        channel_id: &str,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<(Message, Option<Delivery>)> {
        self.slack
            .user_writes(channel_id, &self.user_id, text, thread_ts)
            .await
    }

    /// Writes to the app in its DM (Messages tab).
    pub async fn write_to_app(
        &self,
        text: &str,
        thread_ts: Option<&str>,
    ) -> Result<(Message, Option<Delivery>)> {
        let dm = self.slack.app_dm(&self.user_id)?;
        self.write(&dm.id, text, thread_ts).await
    }

    fn element_type(&self, surface: &Surface, block_id: &str, action_id: &str) -> Option<String> {
        let blocks = match surface {
            Surface::View { view_id } => {
                self.slack.view(view_id)?.definition.get("blocks")?.clone()
            }
            Surface::Message {
                channel_id,
                message_ts,
            } => self
                .slack
                .messages(channel_id)
                .into_iter()
                .find(|m| m.ts == *message_ts)
                .and_then(|m| m.blocks)
                .or_else(|| {
                    self.slack
                        .ephemerals()
                        .into_iter()
                        .find(|e| e.message_ts == *message_ts)
                        .and_then(|e| e.blocks)
                })?,
        };
        let (_, _, _, element) = crate::blockkit::find_element(&blocks, Some(block_id), action_id)?;
        element
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}
