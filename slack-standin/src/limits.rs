//! Block Kit and text limits (slack.md §3.4; python-slack-sdk validators and the
//! `slackblocks` generated limits table agree on these numbers).
//!
//! Violations are reported the way Slack reports them in
//! `response_metadata.messages`: `[ERROR] <what> [json-pointer:<path>]`.

use serde_json::{Map, Value};
use std::collections::HashSet;

/// Maximum blocks in a message.
pub const MESSAGE_MAX_BLOCKS: usize = 50;
/// Maximum blocks in a modal or Home tab.
pub const VIEW_MAX_BLOCKS: usize = 100;
/// Maximum serialized view size in bytes.
pub const VIEW_MAX_BYTES: usize = 250_000;
/// `chat.update` rejects longer text with `msg_too_long`.
pub const UPDATE_TEXT_MAX: usize = 4_000;
/// `chat.postMessage` / `chat.postEphemeral` reject longer text with `msg_too_long`.
pub const POST_TEXT_MAX: usize = 40_000;
/// Maximum attachments per message (`too_many_attachments`).
pub const MAX_ATTACHMENTS: usize = 100;
/// Maximum `markdown_text` length.
pub const MARKDOWN_TEXT_MAX: usize = 12_000;
/// Maximum purpose length for `conversations.setPurpose` (`too_long`).
pub const PURPOSE_MAX: usize = 250;
/// Maximum channel name length (`invalid_name_maxlength`).
pub const CHANNEL_NAME_MAX: usize = 80;
/// Maximum users per `conversations.invite`.
pub const INVITE_MAX_USERS: usize = 1000;

/// One limit violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending value.
    pub pointer: String,
    /// Slack-style description.
    pub message: String,
}

impl Violation {
    /// Slack's `response_metadata.messages` line.
    pub fn to_slack_message(&self) -> String {
        format!("[ERROR] {} [json-pointer:{}]", self.message, self.pointer)
    }
}

struct Checker {
    out: Vec<Violation>,
}

impl Checker {
    fn err(&mut self, pointer: &str, message: impl Into<String>) {
        self.out.push(Violation {
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    fn max_len(&mut self, pointer: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.err(pointer, format!("must be less than {} characters", max + 1));
        }
    }

    /// A text object; `plain_only` rejects `mrkdwn`.
    fn text_obj(
        &mut self,
        pointer: &str,
        value: Option<&Value>,
        max: usize,
        plain_only: bool,
        required: bool,
    ) {
        let Some(value) = value else {
            if required {
                self.err(pointer, "missing required field: text");
            }
            return;
        };
        let Some(obj) = value.as_object() else {
            self.err(pointer, "must be an object");
            return;
        };
        match obj.get("type").and_then(Value::as_str) {
            Some("plain_text") => {}
            Some("mrkdwn") if !plain_only => {}
            Some("mrkdwn") => self.err(&format!("{pointer}/type"), "must be plain_text"),
            _ => self.err(
                &format!("{pointer}/type"),
                "must be one of plain_text, mrkdwn",
            ),
        }
        match obj.get("text").and_then(Value::as_str) {
            Some("") => self.err(&format!("{pointer}/text"), "must be more than 0 characters"),
            Some(t) => self.max_len(&format!("{pointer}/text"), t, max),
            None => self.err(&format!("{pointer}/text"), "missing required field: text"),
        }
    }

    fn opt_str_len(&mut self, obj: &Map<String, Value>, pointer: &str, key: &str, max: usize) {
        if let Some(v) = obj.get(key) {
            match v.as_str() {
                Some(s) => self.max_len(&format!("{pointer}/{key}"), s, max),
                None => self.err(&format!("{pointer}/{key}"), "must be a string"),
            }
        }
    }

    fn array<'a>(
        &mut self,
        pointer: &str,
        value: Option<&'a Value>,
        min: usize,
        max: usize,
    ) -> &'a [Value] {
        match value {
            None if min > 0 => {
                self.err(pointer, "missing required field");
                &[]
            }
            None => &[],
            Some(Value::Array(items)) => {
                if items.len() > max {
                    self.err(pointer, format!("no more than {max} items allowed"));
                } else if items.len() < min {
                    self.err(pointer, format!("must provide at least {min} items"));
                }
                items
            }
            Some(_) => {
                self.err(pointer, "must be an array");
                &[]
            }
        }
    }

    fn confirm(&mut self, pointer: &str, value: Option<&Value>) {
        let Some(obj) = value.and_then(Value::as_object) else {
            return;
        };
        self.text_obj(
            &format!("{pointer}/title"),
            obj.get("title"),
            100,
            true,
            true,
        );
        self.text_obj(
            &format!("{pointer}/text"),
            obj.get("text"),
            300,
            false,
            true,
        );
        self.text_obj(
            &format!("{pointer}/confirm"),
            obj.get("confirm"),
            30,
            true,
            true,
        );
        self.text_obj(&format!("{pointer}/deny"), obj.get("deny"), 30, true, true);
    }

    fn option(&mut self, pointer: &str, value: &Value) {
        let Some(obj) = value.as_object() else {
            self.err(pointer, "must be an object");
            return;
        };
        self.text_obj(&format!("{pointer}/text"), obj.get("text"), 75, false, true);
        match obj.get("value").and_then(Value::as_str) {
            Some(v) => self.max_len(&format!("{pointer}/value"), v, 150),
            None => self.err(&format!("{pointer}/value"), "missing required field: value"),
        }
        self.text_obj(
            &format!("{pointer}/description"),
            obj.get("description"),
            75,
            true,
            false,
        );
    }

    fn options(&mut self, pointer: &str, obj: &Map<String, Value>, min: usize, max: usize) {
        let items = self.array(&format!("{pointer}/options"), obj.get("options"), min, max);
        for (i, o) in items.iter().enumerate() {
            self.option(&format!("{pointer}/options/{i}"), o);
        }
    }

    fn element(&mut self, pointer: &str, value: &Value, action_ids: &mut HashSet<String>) {
        let Some(obj) = value.as_object() else {
            self.err(pointer, "must be an object");
            return;
        };
        let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default();
        if let Some(id) = obj.get("action_id") {
            match id.as_str() {
                Some(id) => {
                    self.max_len(&format!("{pointer}/action_id"), id, 255);
                    if !action_ids.insert(id.to_owned()) {
                        self.err(
                            &format!("{pointer}/action_id"),
                            "action_id must be unique within a block",
                        );
                    }
                }
                None => self.err(&format!("{pointer}/action_id"), "must be a string"),
            }
        }
        self.confirm(&format!("{pointer}/confirm"), obj.get("confirm"));
        self.text_obj(
            &format!("{pointer}/placeholder"),
            obj.get("placeholder"),
            150,
            true,
            false,
        );
        match kind {
            "button" => {
                self.text_obj(&format!("{pointer}/text"), obj.get("text"), 75, true, true);
                self.opt_str_len(obj, pointer, "value", 2000);
                self.opt_str_len(obj, pointer, "url", 3000);
                if let Some(style) = obj.get("style")
                    && !matches!(style.as_str(), Some("primary" | "danger"))
                {
                    self.err(
                        &format!("{pointer}/style"),
                        "must be one of primary, danger",
                    );
                }
            }
            "static_select" | "multi_static_select" => {
                let has_options = obj.contains_key("options");
                let has_groups = obj.contains_key("option_groups");
                if has_options && has_groups {
                    self.err(
                        pointer,
                        "must provide either options or option_groups, not both",
                    );
                } else if has_groups {
                    let groups = self.array(
                        &format!("{pointer}/option_groups"),
                        obj.get("option_groups"),
                        1,
                        100,
                    );
                    for (i, g) in groups.iter().enumerate() {
                        let gp = format!("{pointer}/option_groups/{i}");
                        if let Some(g) = g.as_object() {
                            self.text_obj(&format!("{gp}/label"), g.get("label"), 75, true, true);
                            self.options(&gp, g, 1, 100);
                        }
                    }
                } else {
                    self.options(pointer, obj, 1, 100);
                }
            }
            "overflow" => self.options(pointer, obj, 1, 5),
            "checkboxes" | "radio_buttons" => self.options(pointer, obj, 1, 10),
            "plain_text_input" => {
                if let Some(max) = obj.get("max_length")
                    && !max.as_u64().is_some_and(|m| (1..=3000).contains(&m))
                {
                    self.err(
                        &format!("{pointer}/max_length"),
                        "must be between 1 and 3000",
                    );
                }
            }
            "image" => {
                self.opt_str_len(obj, pointer, "image_url", 3000);
                match obj.get("alt_text").and_then(Value::as_str) {
                    Some(a) => self.max_len(&format!("{pointer}/alt_text"), a, 2000),
                    None => self.err(
                        &format!("{pointer}/alt_text"),
                        "missing required field: alt_text",
                    ),
                }
            }
            "external_select"
            | "multi_external_select"
            | "users_select"
            | "multi_users_select"
            | "conversations_select"
            | "multi_conversations_select"
            | "channels_select"
            | "multi_channels_select"
            | "datepicker"
            | "timepicker"
            | "datetimepicker"
            | "email_text_input"
            | "url_text_input"
            | "number_input"
            | "rich_text_input"
            | "workflow_button"
            | "file_input" => {}
            "" => self.err(&format!("{pointer}/type"), "missing required field: type"),
            other => self.err(
                &format!("{pointer}/type"),
                format!("unsupported type: {other}"),
            ),
        }
    }

    fn block(&mut self, pointer: &str, value: &Value, block_ids: &mut HashSet<String>) {
        let Some(obj) = value.as_object() else {
            self.err(pointer, "must be an object");
            return;
        };
        if let Some(id) = obj.get("block_id") {
            match id.as_str() {
                Some(id) => {
                    self.max_len(&format!("{pointer}/block_id"), id, 255);
                    if !block_ids.insert(id.to_owned()) {
                        self.err(&format!("{pointer}/block_id"), "block_id must be unique");
                    }
                }
                None => self.err(&format!("{pointer}/block_id"), "must be a string"),
            }
        }
        let mut action_ids = HashSet::new();
        match obj.get("type").and_then(Value::as_str).unwrap_or_default() {
            "section" => {
                let has_text = obj.contains_key("text");
                let has_fields = obj.contains_key("fields");
                if !has_text && !has_fields {
                    self.err(pointer, "must provide either text or fields");
                }
                self.text_obj(
                    &format!("{pointer}/text"),
                    obj.get("text"),
                    3000,
                    false,
                    false,
                );
                let fields = self.array(&format!("{pointer}/fields"), obj.get("fields"), 0, 10);
                for (i, f) in fields.iter().enumerate() {
                    self.text_obj(&format!("{pointer}/fields/{i}"), Some(f), 2000, false, true);
                }
                if let Some(acc) = obj.get("accessory") {
                    self.element(&format!("{pointer}/accessory"), acc, &mut action_ids);
                }
            }
            "header" => self.text_obj(&format!("{pointer}/text"), obj.get("text"), 150, true, true),
            "divider" => {}
            "actions" => {
                let elements =
                    self.array(&format!("{pointer}/elements"), obj.get("elements"), 1, 25);
                for (i, e) in elements.iter().enumerate() {
                    self.element(&format!("{pointer}/elements/{i}"), e, &mut action_ids);
                }
            }
            "context" => {
                let elements =
                    self.array(&format!("{pointer}/elements"), obj.get("elements"), 1, 10);
                for (i, e) in elements.iter().enumerate() {
                    let ep = format!("{pointer}/elements/{i}");
                    match e.get("type").and_then(Value::as_str) {
                        Some("image") => self.element(&ep, e, &mut action_ids),
                        _ => self.text_obj(&ep, Some(e), 3000, false, true),
                    }
                }
            }
            "input" => {
                self.text_obj(
                    &format!("{pointer}/label"),
                    obj.get("label"),
                    2000,
                    true,
                    true,
                );
                self.text_obj(
                    &format!("{pointer}/hint"),
                    obj.get("hint"),
                    2000,
                    true,
                    false,
                );
                match obj.get("element") {
                    Some(e) => self.element(&format!("{pointer}/element"), e, &mut action_ids),
                    None => self.err(
                        &format!("{pointer}/element"),
                        "missing required field: element",
                    ),
                }
            }
            "image" => {
                if !obj.contains_key("slack_file") {
                    match obj.get("image_url").and_then(Value::as_str) {
                        Some(u) => self.max_len(&format!("{pointer}/image_url"), u, 3000),
                        None => self.err(
                            &format!("{pointer}/image_url"),
                            "missing required field: image_url",
                        ),
                    }
                }
                match obj.get("alt_text").and_then(Value::as_str) {
                    Some(a) => self.max_len(&format!("{pointer}/alt_text"), a, 2000),
                    None => self.err(
                        &format!("{pointer}/alt_text"),
                        "missing required field: alt_text",
                    ),
                }
                self.text_obj(
                    &format!("{pointer}/title"),
                    obj.get("title"),
                    2000,
                    true,
                    false,
                );
            }
            "markdown" => match obj.get("text").and_then(Value::as_str) {
                Some(t) => self.max_len(&format!("{pointer}/text"), t, MARKDOWN_TEXT_MAX),
                None => self.err(&format!("{pointer}/text"), "missing required field: text"),
            },
            "rich_text" | "file" | "video" | "call" | "table" | "context_actions" => {}
            "" => self.err(&format!("{pointer}/type"), "missing required field: type"),
            other => self.err(
                &format!("{pointer}/type"),
                format!("unsupported type: {other}"),
            ),
        }
    }

    fn blocks(&mut self, pointer: &str, blocks: &[Value], max: usize) {
        if blocks.len() > max {
            self.err(pointer, format!("no more than {max} items allowed"));
        }
        let mut block_ids = HashSet::new();
        for (i, b) in blocks.iter().enumerate() {
            self.block(&format!("{pointer}/{i}"), b, &mut block_ids);
        }
    }
}

/// Validates message `blocks` (≤50, per-block limits). `Err` carries every violation.
pub fn validate_message_blocks(blocks: &[Value]) -> Result<(), Vec<Violation>> {
    let mut c = Checker { out: Vec::new() };
    c.blocks("/blocks", blocks, MESSAGE_MAX_BLOCKS);
    if c.out.is_empty() { Ok(()) } else { Err(c.out) }
}

/// Why a view was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewError {
    /// Serialized view exceeds 250 kB (`view_too_large`).
    TooLarge,
    /// Schema or limit violations (`invalid_arguments`).
    Invalid(Vec<Violation>),
}

/// Validates a view (`modal` or `home`) against Slack's view limits.
/// `expected_type` restricts the type (`views.publish` requires `home`).
pub fn validate_view(view: &Value, expected_type: Option<&str>) -> Result<(), ViewError> {
    if serde_json::to_vec(view).map(|v| v.len()).unwrap_or(0) > VIEW_MAX_BYTES {
        return Err(ViewError::TooLarge);
    }
    let mut c = Checker { out: Vec::new() };
    let Some(obj) = view.as_object() else {
        c.err("/view", "must be an object");
        return Err(ViewError::Invalid(c.out));
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default();
    match (kind, expected_type) {
        ("modal" | "home", None) => {}
        (k, Some(e)) if k == e => {}
        ("", _) => c.err("/view/type", "missing required field: type"),
        (_, Some(e)) => c.err("/view/type", format!("must be {e}")),
        (_, None) => c.err("/view/type", "must be one of modal, home"),
    }
    let blocks = c.array("/view/blocks", obj.get("blocks"), 0, usize::MAX);
    c.blocks("/view/blocks", blocks, VIEW_MAX_BLOCKS);
    let has_input = blocks
        .iter()
        .any(|b| b.get("type").and_then(Value::as_str) == Some("input"));
    if kind == "modal" {
        c.text_obj("/view/title", obj.get("title"), 24, true, true);
        c.text_obj("/view/submit", obj.get("submit"), 24, true, false);
        c.text_obj("/view/close", obj.get("close"), 24, true, false);
        if has_input && !obj.contains_key("submit") {
            c.err(
                "/view/submit",
                "submit is required when an input block is present",
            );
        }
    } else if kind == "home" {
        for key in ["submit", "close"] {
            if obj.contains_key(key) {
                c.err(&format!("/view/{key}"), "not allowed for home views");
            }
        }
        c.text_obj("/view/title", obj.get("title"), 24, true, false);
    }
    c.opt_str_len(obj, "/view", "private_metadata", 3000);
    c.opt_str_len(obj, "/view", "callback_id", 255);
    c.opt_str_len(obj, "/view", "external_id", 255);
    if c.out.is_empty() {
        Ok(())
    } else {
        Err(ViewError::Invalid(c.out))
    }
}

/// Why a channel name was rejected, as Slack's error code.
pub fn channel_name_error(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("invalid_name_required");
    }
    if name.chars().count() > CHANNEL_NAME_MAX {
        return Some("invalid_name_maxlength");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Some("invalid_name_specials");
    }
    if name.chars().all(|c| c == '-' || c == '_') {
        return Some("invalid_name_punctuation");
    }
    None
}
