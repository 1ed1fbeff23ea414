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
/// `chat.postEphemeral` rejects longer text with `msg_too_long`; `chat.postMessage`
/// truncates to this length instead ("We truncate really long messages": DOCS-M
/// chat.update `warnings.message_truncated`, changelog 2018-04).
pub const POST_TEXT_MAX: usize = 40_000;
/// Maximum attachments per message (`too_many_attachments`).
pub const MAX_ATTACHMENTS: usize = 100;
/// Maximum `markdown_text` length.
pub const MARKDOWN_TEXT_MAX: usize = 12_000;
/// Maximum purpose length for `conversations.setPurpose` (`too_long`).
pub const PURPOSE_MAX: usize = 250;
/// Maximum channel name length (`invalid_name_maxlength`).
pub const CHANNEL_NAME_MAX: usize = 80;
/// Maximum users per `conversations.invite` ("Up to 100 users may be listed": DOCS-M).
pub const INVITE_MAX_USERS: usize = 100;
/// Serialized size above which message `metadata` is refused (`metadata_too_large`).
/// Slack documents the error ("Metadata exceeds size limit", DOCS-M
/// chat.postMessage) but not the number: the stand-in's 8 kB is its own,
/// chosen low so that an app that fits here is not relying on an unknown ceiling.
pub const METADATA_MAX_BYTES: usize = 8 * 1024;
/// Longest history page (DOCS-M conversations.history `limit`: "Maximum of 999").
pub const HISTORY_MAX_LIMIT: usize = 999;

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
                // Slack names the missing field at its parent:
                // `missing required field: title [json-pointer:/view]` (slackapi/java-slack-sdk#302).
                let (parent, field) = pointer.rsplit_once('/').unwrap_or(("", pointer));
                self.err(parent, format!("missing required field: {field}"));
            }
            return;
        };
        let Some(obj) = value.as_object() else {
            self.err(pointer, "must be an object");
            return;
        };
        match obj.get("type").and_then(Value::as_str) {
            Some("plain_text") => self.known_keys(pointer, obj, &["type", "text", "emoji"]),
            Some("mrkdwn") if !plain_only => {
                self.known_keys(pointer, obj, &["type", "text", "verbatim"]);
            }
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

    /// Slack rejects properties a Block Kit object does not define:
    /// `invalid additional property: emoji [json-pointer:/blocks/0/text]` for
    /// `emoji` on mrkdwn (grafana/oncall#702); `url` in a select option →
    /// `invalid_blocks` (slack-go/slack#612).
    fn known_keys(&mut self, pointer: &str, obj: &Map<String, Value>, allowed: &[&str]) {
        for key in obj.keys() {
            if !allowed.contains(&key.as_str()) {
                self.err(pointer, format!("invalid additional property: {key}"));
            }
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
        self.known_keys(pointer, obj, &["title", "text", "confirm", "deny", "style"]);
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

    /// An option. Selects, multi-selects and overflow menus take
    /// `PlainTextOption`; only checkboxes and radio buttons take mrkdwn text
    /// (TYPES composition-objects.ts :88-102). `url` exists only on overflow options.
    fn option(&mut self, pointer: &str, value: &Value, owner: &str) {
        let Some(obj) = value.as_object() else {
            self.err(pointer, "must be an object");
            return;
        };
        let plain_only = !matches!(owner, "checkboxes" | "radio_buttons");
        if owner == "overflow" {
            self.known_keys(pointer, obj, &["text", "value", "description", "url"]);
        } else {
            self.known_keys(pointer, obj, &["text", "value", "description"]);
        }
        self.text_obj(
            &format!("{pointer}/text"),
            obj.get("text"),
            75,
            plain_only,
            true,
        );
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

    fn options(
        &mut self,
        pointer: &str,
        obj: &Map<String, Value>,
        min: usize,
        max: usize,
        owner: &str,
    ) {
        let items = self.array(&format!("{pointer}/options"), obj.get("options"), min, max);
        for (i, o) in items.iter().enumerate() {
            self.option(&format!("{pointer}/options/{i}"), o, owner);
        }
        for key in ["initial_option"] {
            if let Some(o) = obj.get(key) {
                self.option(&format!("{pointer}/{key}"), o, owner);
            }
        }
    }

    fn element(
        &mut self,
        pointer: &str,
        value: &Value,
        action_ids: &mut HashSet<String>,
        container: Container,
    ) {
        let Some(obj) = value.as_object() else {
            self.err(pointer, "must be an object");
            return;
        };
        let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default();
        if !kind.is_empty() && !container.allows(kind) {
            self.err(
                &format!("{pointer}/type"),
                format!("{kind} is not allowed in {}", container.name()),
            );
        }
        if let Some(allowed) = element_keys(kind) {
            self.known_keys(pointer, obj, &allowed);
        }
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
                            self.known_keys(&gp, g, &["label", "options"]);
                            self.text_obj(&format!("{gp}/label"), g.get("label"), 75, true, true);
                            self.options(&gp, g, 1, 100, kind);
                        }
                    }
                } else {
                    self.options(pointer, obj, 1, 100, kind);
                }
            }
            "overflow" => self.options(pointer, obj, 1, 5, kind),
            "checkboxes" | "radio_buttons" => self.options(pointer, obj, 1, 10, kind),
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
        let block_type = obj.get("type").and_then(Value::as_str).unwrap_or_default();
        if let Some(allowed) = block_keys(block_type) {
            self.known_keys(pointer, obj, allowed);
        }
        match block_type {
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
                    self.element(
                        &format!("{pointer}/accessory"),
                        acc,
                        &mut action_ids,
                        Container::Accessory,
                    );
                }
            }
            "header" => self.text_obj(&format!("{pointer}/text"), obj.get("text"), 150, true, true),
            "divider" => {}
            "actions" => {
                let elements =
                    self.array(&format!("{pointer}/elements"), obj.get("elements"), 1, 25);
                for (i, e) in elements.iter().enumerate() {
                    self.element(
                        &format!("{pointer}/elements/{i}"),
                        e,
                        &mut action_ids,
                        Container::Actions,
                    );
                }
            }
            "context" => {
                let elements =
                    self.array(&format!("{pointer}/elements"), obj.get("elements"), 1, 10);
                for (i, e) in elements.iter().enumerate() {
                    let ep = format!("{pointer}/elements/{i}");
                    match e.get("type").and_then(Value::as_str) {
                        Some("image") => {
                            self.element(&ep, e, &mut action_ids, Container::Context);
                        }
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
                    Some(e) => self.element(
                        &format!("{pointer}/element"),
                        e,
                        &mut action_ids,
                        Container::Input,
                    ),
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

/// Where an element sits; each takes a different set of element types
/// (TYPES blocks.ts `ActionsBlockElement`, `InputBlockElement`,
/// `SectionBlockAccessory`; an input element under `actions` is
/// `invalid_blocks`: slackapi/python-slack-sdk#1257).
#[derive(Debug, Clone, Copy)]
enum Container {
    Actions,
    Input,
    Accessory,
    Context,
}

const SELECTS: &[&str] = &[
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
];

impl Container {
    fn name(self) -> &'static str {
        match self {
            Self::Actions => "an actions block",
            Self::Input => "an input block",
            Self::Accessory => "a section accessory",
            Self::Context => "a context block",
        }
    }

    fn allows(self, kind: &str) -> bool {
        if SELECTS.contains(&kind) {
            return !matches!(self, Self::Context);
        }
        let allowed: &[&str] = match self {
            Self::Actions => &[
                "button",
                "overflow",
                "datepicker",
                "timepicker",
                "datetimepicker",
                "radio_buttons",
                "checkboxes",
                "workflow_button",
                "rich_text_input",
            ],
            Self::Input => &[
                "datepicker",
                "timepicker",
                "datetimepicker",
                "plain_text_input",
                "url_text_input",
                "email_text_input",
                "number_input",
                "radio_buttons",
                "checkboxes",
                "rich_text_input",
                "file_input",
            ],
            Self::Accessory => &[
                "button",
                "overflow",
                "datepicker",
                "timepicker",
                "image",
                "radio_buttons",
                "checkboxes",
                "workflow_button",
            ],
            Self::Context => &["image"],
        };
        allowed.contains(&kind)
    }
}

/// Properties each block type defines (docs.slack.dev Block Kit reference; TYPES blocks.ts).
fn block_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "section" => &["type", "block_id", "text", "fields", "accessory", "expand"],
        "header" => &["type", "block_id", "text"],
        "divider" => &["type", "block_id"],
        "actions" | "context" => &["type", "block_id", "elements"],
        "input" => &[
            "type",
            "block_id",
            "label",
            "element",
            "dispatch_action",
            "hint",
            "optional",
        ],
        "image" => &[
            "type",
            "block_id",
            "image_url",
            "slack_file",
            "alt_text",
            "title",
        ],
        "markdown" => &["type", "block_id", "text"],
        _ => return None,
    })
}

/// Properties each element type defines (TYPES block-elements.ts).
fn element_keys(kind: &str) -> Option<Vec<&'static str>> {
    let mut keys = vec!["type", "action_id"];
    let placeholder_focus: &[&str] = &["placeholder", "focus_on_load", "confirm"];
    let specific: &[&str] = match kind {
        "button" => &[
            "text",
            "value",
            "url",
            "style",
            "confirm",
            "accessibility_label",
        ],
        "static_select" => &["options", "option_groups", "initial_option"],
        "multi_static_select" => &[
            "options",
            "option_groups",
            "initial_options",
            "max_selected_items",
        ],
        "external_select" => &["initial_option", "min_query_length"],
        "multi_external_select" => &["initial_options", "min_query_length", "max_selected_items"],
        "users_select" => &["initial_user"],
        "multi_users_select" => &["initial_users", "max_selected_items"],
        "conversations_select" => &[
            "initial_conversation",
            "default_to_current_conversation",
            "response_url_enabled",
            "filter",
        ],
        "multi_conversations_select" => &[
            "initial_conversations",
            "default_to_current_conversation",
            "max_selected_items",
            "filter",
        ],
        "channels_select" => &["initial_channel", "response_url_enabled"],
        "multi_channels_select" => &["initial_channels", "max_selected_items"],
        "datepicker" => &["initial_date"],
        "timepicker" => &["initial_time", "timezone"],
        "datetimepicker" => &["initial_date_time"],
        "checkboxes" => &["options", "initial_options"],
        "radio_buttons" => &["options", "initial_option"],
        "plain_text_input" => &[
            "initial_value",
            "multiline",
            "min_length",
            "max_length",
            "dispatch_action_config",
        ],
        "email_text_input" | "url_text_input" => &["initial_value", "dispatch_action_config"],
        "number_input" => &[
            "is_decimal_allowed",
            "initial_value",
            "min_value",
            "max_value",
            "dispatch_action_config",
        ],
        "overflow" => &["options", "confirm"],
        "image" => return Some(vec!["type", "image_url", "slack_file", "alt_text"]),
        _ => return None,
    };
    keys.extend_from_slice(specific);
    if !matches!(kind, "button" | "overflow") {
        keys.extend_from_slice(placeholder_focus);
    }
    Some(keys)
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
