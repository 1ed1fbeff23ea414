//! Block Kit as Slack's own client treats it, for the driver: the ids Slack
//! assigns when the app omits them, the state each stateful element holds,
//! what a person can do to an element, and the checks Slack applies to an
//! options-load (`block_suggestion`) answer.
//!
//! Sources (tags as in `/work/shared/reference/standin-fidelity.md`):
//! - assigned ids: `"block_id":"+5B"`, `"action_id":"MMKH"` (BOLTPY-REQ),
//!   `"block_id":"2WGp9"` (DOCS-M views.publish), `"action_id":"i5IpR"` (BOLTPY-SUG);
//! - state shapes per element: BOLTJS-VIEW `ViewStateValue`, BOLTJS-BA
//!   (`StaticSelectAction.selected_option`, `UsersSelectAction.selected_user`,
//!   `DatepickerAction.selected_date: string | null`, `CheckboxesAction.selected_options`, …);
//! - options answers: BOLTPY-SUG (`options` / `option_groups`), TYPES
//!   composition-objects.ts (`PlainTextOption`), slack.md §3.4 (≤100, text ≤75, value ≤150).

use crate::ids;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};

/// What a person entered: `block_id → action_id → value` (the value only,
/// e.g. `"text"` or an option object; the element type comes from the view).
pub type Inputs = BTreeMap<String, BTreeMap<String, Value>>;

/// Characters Slack uses in the ids it assigns (observed: `+5B`, `2WGp9`, `MMKH`, `i5IpR`).
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=/";

fn fresh_id(used: &mut HashSet<String>, len: usize, alphabet: &[u8]) -> String {
    loop {
        let id: String = ids::secret(len)
            .bytes()
            .map(|b| char::from(alphabet[usize::from(b) % alphabet.len()]))
            .collect();
        if used.insert(id.clone()) {
            return id;
        }
    }
}

/// The interactive elements of a block (section `accessory`, input
/// `element`, actions `elements`). Context elements are never interactive.
pub fn elements(block: &Value) -> Vec<&Value> {
    match block.get("type").and_then(Value::as_str) {
        Some("section") => block.get("accessory").into_iter().collect(),
        Some("input") => block.get("element").into_iter().collect(),
        Some("actions") => block
            .get("elements")
            .and_then(Value::as_array)
            .map(|e| e.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn elements_mut(block: &mut Map<String, Value>) -> Vec<&mut Value> {
    match block.get("type").and_then(Value::as_str) {
        Some("section") => block.get_mut("accessory").into_iter().collect(),
        Some("input") => block.get_mut("element").into_iter().collect(),
        Some("actions") => block
            .get_mut("elements")
            .and_then(Value::as_array_mut)
            .map(|e| e.iter_mut().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Element types that carry an `action_id` (everything interactive; not `image`).
fn is_interactive(kind: &str) -> bool {
    !matches!(kind, "image" | "")
}

/// What Slack does to blocks it stores: assigns a random `block_id` to every
/// block and a random `action_id` to every interactive element the app left
/// without one, sets `optional: false` / `dispatch_action: false` on input
/// blocks and `emoji: true` on `plain_text` objects. Apps see these values in
/// every later payload, so an app that relies on its own ids must set them.
pub fn normalize_blocks(blocks: &mut Value) {
    let Some(items) = blocks.as_array_mut() else {
        return;
    };
    let mut block_ids: HashSet<String> = items
        .iter()
        .filter_map(|b| b.get("block_id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    for block in items.iter_mut() {
        let Some(obj) = block.as_object_mut() else {
            continue;
        };
        if !obj.contains_key("block_id") {
            let id = fresh_id(&mut block_ids, 4, ID_ALPHABET);
            obj.insert("block_id".into(), json!(id));
        }
        if obj.get("type").and_then(Value::as_str) == Some("input") {
            obj.entry("optional").or_insert(json!(false));
            obj.entry("dispatch_action").or_insert(json!(false));
        }
        let mut action_ids: HashSet<String> = elements_mut(obj)
            .iter()
            .filter_map(|e| {
                e.get("action_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        for element in elements_mut(obj) {
            let kind = element
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(el) = element.as_object_mut()
                && is_interactive(&kind)
                && !el.contains_key("action_id")
            {
                let id = fresh_id(&mut action_ids, 5, &ID_ALPHABET[..62]);
                el.insert("action_id".into(), json!(id));
            }
        }
    }
    add_emoji(blocks);
}

/// `emoji: true` on every `plain_text` object and `verbatim: false` on every
/// `mrkdwn` object that does not say otherwise (as in captured payloads).
pub fn add_emoji(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            if obj.get("text").is_some_and(Value::is_string) {
                match obj.get("type").and_then(Value::as_str) {
                    Some("plain_text") => {
                        obj.entry("emoji").or_insert(json!(true));
                    }
                    Some("mrkdwn") => {
                        obj.entry("verbatim").or_insert(json!(false));
                    }
                    _ => {}
                }
            }
            for v in obj.values_mut() {
                add_emoji(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(add_emoji),
        _ => {}
    }
}

/// Normalises a view definition's blocks and text objects (see [`normalize_blocks`]).
pub fn normalize_view(view: &mut Value) {
    if let Some(blocks) = view.get_mut("blocks") {
        normalize_blocks(blocks);
    }
    for key in ["title", "submit", "close"] {
        if let Some(t) = view.get_mut(key) {
            add_emoji(t);
        }
    }
}

/// The key under which an element type keeps its state (BOLTJS-VIEW
/// `ViewStateValue`, BOLTJS-BA action types). `None`: not stateful (buttons, overflow).
pub fn state_key(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "plain_text_input" | "email_text_input" | "url_text_input" | "number_input" => "value",
        "static_select" | "external_select" | "radio_buttons" => "selected_option",
        "multi_static_select" | "multi_external_select" | "checkboxes" => "selected_options",
        "users_select" => "selected_user",
        "multi_users_select" => "selected_users",
        "conversations_select" => "selected_conversation",
        "multi_conversations_select" => "selected_conversations",
        "channels_select" => "selected_channel",
        "multi_channels_select" => "selected_channels",
        "datepicker" => "selected_date",
        "timepicker" => "selected_time",
        "datetimepicker" => "selected_date_time",
        "rich_text_input" => "rich_text_value",
        _ => return None,
    })
}

/// The element property holding the initial value for a state key.
fn initial_key(state_key: &str) -> String {
    match state_key {
        "value" | "rich_text_value" => "initial_value".to_owned(),
        other => other.replacen("selected_", "initial_", 1),
    }
}

/// The state of an element nobody touched and that has no initial value:
/// `null`, or `[]` for multi-value elements.
fn empty_state(state_key: &str) -> Value {
    if matches!(
        state_key,
        "selected_options" | "selected_users" | "selected_conversations" | "selected_channels"
    ) {
        json!([])
    } else {
        Value::Null
    }
}

/// Whether a state value counts as "filled in" for a required input.
pub fn is_filled(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

/// One stateful element of a surface, with its current value.
#[derive(Debug, Clone)]
pub struct ElementState {
    /// The block's id (as stored, i.e. possibly Slack-assigned).
    pub block_id: String,
    /// The element's `action_id`.
    pub action_id: String,
    /// Element type.
    pub kind: String,
    /// The state key (`value`, `selected_option`, …).
    pub key: &'static str,
    /// The current value (person's input, else initial, else empty).
    pub value: Value,
    /// Whether the element sits in an input block.
    pub in_input_block: bool,
    /// Whether that input block is optional.
    pub optional: bool,
    /// Whether the person or the app gave it a value (input or initial value).
    pub has_value: bool,
    /// The element definition.
    pub element: Value,
}

/// Every stateful element of `blocks` with its current value.
pub fn element_states(blocks: &Value, inputs: &Inputs) -> Vec<ElementState> {
    let mut out = Vec::new();
    for block in blocks.as_array().map(Vec::as_slice).unwrap_or_default() {
        let block_id = block
            .get("block_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let in_input_block = block.get("type").and_then(Value::as_str) == Some("input");
        let optional = block
            .get("optional")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        for element in elements(block) {
            let kind = element
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let (Some(key), Some(action_id)) = (
                state_key(kind),
                element.get("action_id").and_then(Value::as_str),
            ) else {
                continue;
            };
            let entered = inputs.get(block_id).and_then(|m| m.get(action_id)).cloned();
            let initial = element
                .get(initial_key(key))
                .filter(|v| !v.is_null())
                .cloned();
            let has_value = entered.is_some() || initial.is_some();
            out.push(ElementState {
                block_id: block_id.to_owned(),
                action_id: action_id.to_owned(),
                kind: kind.to_owned(),
                key,
                value: entered.or(initial).unwrap_or_else(|| empty_state(key)),
                in_input_block,
                optional,
                has_value,
                element: element.clone(),
            });
        }
    }
    out
}

/// `state.values` as Slack sends it: every element of an input block (empty
/// ones as `null` / `[]`), plus stateful elements elsewhere that hold a value.
pub fn state_values(blocks: &Value, inputs: &Inputs) -> Value {
    let mut values = Map::new();
    for s in element_states(blocks, inputs) {
        if !s.in_input_block && !s.has_value {
            continue;
        }
        let entry = values
            .entry(s.block_id.clone())
            .or_insert_with(|| json!({}));
        if let Some(obj) = entry.as_object_mut() {
            let mut state = Map::new();
            state.insert("type".into(), json!(s.kind));
            state.insert(s.key.into(), s.value);
            // A timepicker's `timezone` "is also passed to the app upon certain interactions, such
            // as view_submission" (DOCS time-picker-element).
            if let Some(tz) = timepicker_timezone(&s.element) {
                state.insert("timezone".into(), tz);
            }
            obj.insert(s.action_id, Value::Object(state));
        }
    }
    Value::Object(values)
}

/// The `timezone` (IANA) a timepicker carries, if the app gave one.
fn timepicker_timezone(element: &Value) -> Option<Value> {
    (element.get("type").and_then(Value::as_str) == Some("timepicker"))
        .then(|| element.get("timezone").filter(|t| t.is_string()).cloned())
        .flatten()
}

/// The values `default_to_current_conversation` gives the conversation pickers of a modal opened
/// while the person viewed `channel_id` (of `kind`: `public`, `private` or `im`; `with_bot`: a DM
/// with a bot): `(block_id, action_id, value)` for each picker that asks for it, has no initial
/// value and whose `filter` lets that conversation through.
pub fn current_conversation_defaults(
    blocks: &Value,
    channel_id: &str,
    kind: &str,
    with_bot: bool,
) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for s in element_states(blocks, &Inputs::new()) {
        let multi = match s.kind.as_str() {
            "conversations_select" => false,
            "multi_conversations_select" => true,
            _ => continue,
        };
        let e = &s.element;
        let filter = e.get("filter");
        let included = filter
            .and_then(|f| f.get("include"))
            .and_then(Value::as_array)
            .is_none_or(|kinds| kinds.is_empty() || kinds.iter().any(|k| k == kind));
        let bots_out = filter
            .and_then(|f| f.get("exclude_bot_users"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if e.get("default_to_current_conversation")
            .and_then(Value::as_bool)
            != Some(true)
            || s.has_value
            || !included
            || (bots_out && with_bot)
        {
            continue;
        }
        let value = if multi {
            json!([channel_id])
        } else {
            json!(channel_id)
        };
        out.push((s.block_id, s.action_id, value));
    }
    out
}

/// Finds an element by `action_id` (and `block_id` when given) in `blocks`.
/// Returns the block id, whether it is an input block, whether that block
/// has `dispatch_action: true`, and the element.
pub fn find_element(
    blocks: &Value,
    block_id: Option<&str>,
    action_id: &str,
) -> Option<(String, bool, bool, Value)> {
    for block in blocks.as_array()? {
        let id = block
            .get("block_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if block_id.is_some_and(|b| !b.is_empty() && b != id) {
            continue;
        }
        let is_input = block.get("type").and_then(Value::as_str) == Some("input");
        let dispatch = block
            .get("dispatch_action")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some(el) = elements(block)
            .into_iter()
            .find(|e| e.get("action_id").and_then(Value::as_str) == Some(action_id))
        {
            return Some((id.to_owned(), is_input, dispatch, el.clone()));
        }
    }
    None
}

/// Options defined on an element (`options`, or all `option_groups` flattened).
pub fn defined_options(element: &Value) -> Vec<Value> {
    if let Some(options) = element.get("options").and_then(Value::as_array) {
        return options.clone();
    }
    element
        .get("option_groups")
        .and_then(Value::as_array)
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| g.get("options").and_then(Value::as_array))
                .flatten()
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// What a person does to an element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Input {
    /// Clicks a button.
    Click,
    /// Types into a text input (`plain_text_input`, `email_text_input`,
    /// `url_text_input`, `number_input`), then presses Enter.
    Text(String),
    /// Picks one option by `value` (`static_select`, `external_select`,
    /// `radio_buttons`, `overflow`).
    Select(String),
    /// Picks options by `value` (`multi_static_select`, `multi_external_select`, `checkboxes`).
    SelectMany(Vec<String>),
    /// Picks a user (`users_select`).
    User(String),
    /// Picks users (`multi_users_select`).
    Users(Vec<String>),
    /// Picks a conversation (`conversations_select`).
    Conversation(String),
    /// Picks conversations (`multi_conversations_select`).
    Conversations(Vec<String>),
    /// Picks a channel (`channels_select`).
    Channel(String),
    /// Picks channels (`multi_channels_select`).
    Channels(Vec<String>),
    /// Picks a date `YYYY-MM-DD` (`datepicker`).
    Date(String),
    /// Picks a time `HH:mm` (`timepicker`).
    Time(String),
    /// Picks a date and time, unix seconds (`datetimepicker`).
    DateTime(i64),
    /// Types unformatted text into a `rich_text_input`.
    RichText(String),
}

/// What an input does to an element: the new state value (for stateful
/// elements) and the fields the `block_actions` action carries.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// New state value, if the element is stateful.
    pub state: Option<Value>,
    /// Extra action fields (`value`, `selected_option`, `text`, …).
    pub action: Map<String, Value>,
    /// Ids of users / conversations / channels the person picked (checked by the caller).
    pub picked_ids: Vec<String>,
}

fn pick_option(available: &[Value], value: &str, kind: &str) -> Result<Value, String> {
    available
        .iter()
        .find(|o| o.get("value").and_then(Value::as_str) == Some(value))
        .cloned()
        .ok_or_else(|| format!("the {kind} offers no option with value {value:?}"))
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u32>().unwrap_or(0))
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && s[..2].parse::<u32>().is_ok_and(|h| h < 24)
        && s[3..].parse::<u32>().is_ok_and(|m| m < 60)
}

/// Applies what a person does to an element, as Slack's client allows it.
/// `shown` are the options an `external_select` last displayed (from the
/// app's `block_suggestion` answer). `Err` says why a person could not do it.
pub fn apply_input(element: &Value, input: &Input, shown: &[Value]) -> Result<Applied, String> {
    let kind = element
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = Applied::default();
    let max_items = element
        .get("max_selected_items")
        .and_then(Value::as_u64)
        .and_then(|m| usize::try_from(m).ok());
    let too_many = |n: usize| max_items.is_some_and(|m| n > m);
    let single = |key: &str, v: Value, out: &mut Applied| {
        out.state = Some(v.clone());
        out.action.insert(key.to_owned(), v);
    };
    match (kind, input) {
        ("button" | "workflow_button", Input::Click) => {
            for key in ["text", "value", "style", "url"] {
                if let Some(v) = element.get(key) {
                    out.action.insert(key.to_owned(), v.clone());
                }
            }
        }
        ("overflow", Input::Select(v)) => {
            let option = pick_option(&defined_options(element), v, kind)?;
            out.action.insert("selected_option".into(), option);
        }
        ("static_select" | "radio_buttons", Input::Select(v)) => {
            let option = pick_option(&defined_options(element), v, kind)?;
            single("selected_option", option, &mut out);
        }
        ("external_select", Input::Select(v)) => {
            let mut available = shown.to_vec();
            available.extend(element.get("initial_option").cloned());
            let option = pick_option(
                &available,
                v,
                "external_select (options shown to the person)",
            )?;
            single("selected_option", option, &mut out);
        }
        ("multi_static_select" | "checkboxes" | "multi_external_select", Input::SelectMany(vs)) => {
            let mut available = if kind == "multi_external_select" {
                shown.to_vec()
            } else {
                defined_options(element)
            };
            if let Some(initial) = element.get("initial_options").and_then(Value::as_array) {
                available.extend(initial.iter().cloned());
            }
            if too_many(vs.len()) {
                return Err(format!(
                    "the {kind} allows at most {max_items:?} selections"
                ));
            }
            let options = vs
                .iter()
                .map(|v| pick_option(&available, v, kind))
                .collect::<Result<Vec<_>, _>>()?;
            single("selected_options", json!(options), &mut out);
        }
        ("users_select", Input::User(u))
        | ("conversations_select", Input::Conversation(u))
        | ("channels_select", Input::Channel(u)) => {
            out.picked_ids.push(u.clone());
            single(state_key(kind).unwrap_or("value"), json!(u), &mut out);
        }
        ("multi_users_select", Input::Users(us))
        | ("multi_conversations_select", Input::Conversations(us))
        | ("multi_channels_select", Input::Channels(us)) => {
            if too_many(us.len()) {
                return Err(format!(
                    "the {kind} allows at most {max_items:?} selections"
                ));
            }
            out.picked_ids.extend(us.iter().cloned());
            single(state_key(kind).unwrap_or("value"), json!(us), &mut out);
        }
        ("datepicker", Input::Date(d)) => {
            if !is_date(d) {
                return Err(format!("a datepicker yields YYYY-MM-DD, not {d:?}"));
            }
            single("selected_date", json!(d), &mut out);
        }
        ("timepicker", Input::Time(t)) => {
            if !is_time(t) {
                return Err(format!("a timepicker yields HH:mm, not {t:?}"));
            }
            single("selected_time", json!(t), &mut out);
            if let Some(tz) = timepicker_timezone(element) {
                out.action.insert("timezone".into(), tz);
            }
        }
        ("datetimepicker", Input::DateTime(t)) => {
            single("selected_date_time", json!(t), &mut out);
        }
        ("rich_text_input", Input::RichText(text)) => {
            // Unformatted text as a rich_text block: one section holding one text element
            // (DOCS rich-text-input-element `rich_text_value`; TYPES RichTextBlock).
            let value = if text.is_empty() {
                Value::Null
            } else {
                json!({"type": "rich_text", "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]})
            };
            single("rich_text_value", value, &mut out);
        }
        (
            "plain_text_input" | "email_text_input" | "url_text_input" | "number_input",
            Input::Text(text),
        ) => {
            if let Some(max) = element.get("max_length").and_then(Value::as_u64)
                && u64::try_from(text.chars().count()).unwrap_or(u64::MAX) > max
            {
                return Err(format!(
                    "the input stops accepting characters at max_length {max}"
                ));
            }
            if kind == "plain_text_input"
                && !element
                    .get("multiline")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                && text.contains('\n')
            {
                return Err("a single-line plain_text_input cannot hold a line break".into());
            }
            single("value", json!(text), &mut out);
        }
        (kind, input) => {
            return Err(format!(
                "a person cannot do {input:?} to a {kind:?} element"
            ));
        }
    }
    Ok(out)
}

/// Why Slack's client would refuse to send a submission: for each required
/// input left empty (or a `plain_text_input` under `min_length`), the block id
/// and the message shown under it. The app is not called.
pub fn client_side_errors(blocks: &Value, inputs: &Inputs) -> BTreeMap<String, String> {
    let mut errors = BTreeMap::new();
    for s in element_states(blocks, inputs) {
        if !s.in_input_block {
            continue;
        }
        let filled = is_filled(&s.value);
        if !filled && !s.optional {
            errors.insert(
                s.block_id,
                "Please complete this required field.".to_owned(),
            );
            continue;
        }
        if filled
            && let (Some(min), Some(text)) = (
                s.element.get("min_length").and_then(Value::as_u64),
                s.value.as_str(),
            )
            && u64::try_from(text.chars().count()).unwrap_or(u64::MAX) < min
        {
            errors.insert(s.block_id, format!("Must be at least {min} characters."));
        }
    }
    errors
}

fn check_plain_option(pointer: &str, option: &Value, problems: &mut Vec<String>) {
    let Some(obj) = option.as_object() else {
        problems.push(format!("{pointer}: must be an object"));
        return;
    };
    match obj.get("text") {
        Some(t) if t.get("type").and_then(Value::as_str) == Some("plain_text") => {
            match t.get("text").and_then(Value::as_str) {
                Some("") | None => problems.push(format!("{pointer}/text/text: missing or empty")),
                Some(s) if s.chars().count() > 75 => {
                    problems.push(format!(
                        "{pointer}/text/text: must be less than 76 characters"
                    ));
                }
                Some(_) => {}
            }
        }
        Some(_) => problems.push(format!("{pointer}/text/type: must be plain_text")),
        None => problems.push(format!("{pointer}/text: missing required field")),
    }
    match obj.get("value").and_then(Value::as_str) {
        Some(v) if v.chars().count() > 150 => {
            problems.push(format!("{pointer}/value: must be less than 151 characters"));
        }
        Some(_) => {}
        None => problems.push(format!("{pointer}/value: missing required field")),
    }
    if let Some(d) = obj.get("description") {
        match d.get("text").and_then(Value::as_str) {
            Some(s) if s.chars().count() > 75 => {
                problems.push(format!(
                    "{pointer}/description/text: must be less than 76 characters"
                ));
            }
            Some(_) if d.get("type").and_then(Value::as_str) == Some("plain_text") => {}
            _ => problems.push(format!("{pointer}/description: must be plain_text")),
        }
    }
    for key in obj.keys() {
        if !matches!(key.as_str(), "text" | "value" | "description") {
            problems.push(format!("{pointer}: invalid additional property: {key}"));
        }
    }
}

/// Checks an options-load answer (`{"options":[…]}` or `{"option_groups":[…]}`).
/// `Ok` carries the options the person sees (groups flattened, in order);
/// `Err` lists what is wrong, and the person sees no options.
pub fn check_options_answer(answer: &Value) -> Result<Vec<Value>, Vec<String>> {
    let mut problems = Vec::new();
    let Some(obj) = answer.as_object() else {
        return Err(vec!["the answer is not a JSON object".to_owned()]);
    };
    let mut shown = Vec::new();
    match (obj.get("options"), obj.get("option_groups")) {
        (Some(_), Some(_)) => problems.push("options and option_groups are exclusive".to_owned()),
        (Some(options), None) => match options.as_array() {
            Some(list) if list.len() > 100 => {
                problems.push("/options: no more than 100 items allowed".to_owned());
            }
            Some(list) => {
                for (i, o) in list.iter().enumerate() {
                    check_plain_option(&format!("/options/{i}"), o, &mut problems);
                }
                shown.extend(list.iter().cloned());
            }
            None => problems.push("/options: must be an array".to_owned()),
        },
        (None, Some(groups)) => match groups.as_array() {
            Some(list) if list.len() > 100 => {
                problems.push("/option_groups: no more than 100 items allowed".to_owned());
            }
            Some(list) => {
                for (i, g) in list.iter().enumerate() {
                    let gp = format!("/option_groups/{i}");
                    match g.get("label") {
                        Some(l) if l.get("type").and_then(Value::as_str) == Some("plain_text") => {
                            if l.get("text")
                                .and_then(Value::as_str)
                                .is_none_or(|t| t.is_empty() || t.chars().count() > 75)
                            {
                                problems.push(format!("{gp}/label/text: 1 to 75 characters"));
                            }
                        }
                        _ => problems.push(format!("{gp}/label: must be plain_text")),
                    }
                    match g.get("options").and_then(Value::as_array) {
                        Some(opts) if opts.len() > 100 => {
                            problems.push(format!("{gp}/options: no more than 100 items allowed"));
                        }
                        Some(opts) => {
                            for (j, o) in opts.iter().enumerate() {
                                check_plain_option(&format!("{gp}/options/{j}"), o, &mut problems);
                            }
                            shown.extend(opts.iter().cloned());
                        }
                        None => problems.push(format!("{gp}/options: missing required field")),
                    }
                }
            }
            None => problems.push("/option_groups: must be an array".to_owned()),
        },
        (None, None) => {
            problems.push("the answer has neither options nor option_groups".to_owned())
        }
    }
    if problems.is_empty() {
        Ok(shown)
    } else {
        Err(problems)
    }
}
