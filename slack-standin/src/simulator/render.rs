//! Block Kit to HTML, the way a Slack client shows it. Everything that comes
//! from state (the app's text is its users' data) goes through [`esc`]; links
//! are kept only for `http(s)` targets.

use crate::blockkit::{self, Inputs};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Slack's `mrkdwn`: `<url|label>` links, `<@U…>` mentions, `*bold*`, `_italic_`, `` `code` ``
/// and line breaks. Anything else is shown as typed.
pub fn mrkdwn(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&inline_styles(&esc(&unescape_slack(&rest[..start]))));
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            out.push_str(&esc(&unescape_slack(&rest[start..])));
            rest = "";
            break;
        };
        let inner = &after[..end];
        let (target, label) = inner.split_once('|').unwrap_or((inner, inner));
        let target = unescape_slack(target);
        let label = unescape_slack(label);
        if target.starts_with("http://") || target.starts_with("https://") {
            let _ = write!(
                out,
                "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
                esc(&target),
                esc(&label)
            );
        } else if let Some(user) = target.strip_prefix('@') {
            let name = inner.split_once('|').map_or(user, |(_, l)| l);
            let _ = write!(out, "<span class=\"mention\">@{}</span>", esc(name));
        } else if let Some(channel) = target.strip_prefix('#') {
            let name = inner.split_once('|').map_or(channel, |(_, l)| l);
            let _ = write!(out, "<span class=\"mention\">#{}</span>", esc(name));
        } else if let Some(date) = target.strip_prefix("!date^") {
            let fallback = inner.split_once('|').map_or("", |(_, l)| l);
            out.push_str(&slack_date(
                date,
                &unescape_slack(fallback),
                time::OffsetDateTime::now_utc(),
            ));
        } else if let Some(special) = target.strip_prefix('!') {
            // `<!here>`, `<!channel>`, `<!everyone>`; `<!subteam^ID|@handle>` shows its handle.
            let name = match inner.split_once('|') {
                Some((_, l)) => l.trim_start_matches('@'),
                None => special.split('^').next().unwrap_or(special),
            };
            let _ = write!(out, "<span class=\"mention\">@{}</span>", esc(name));
        } else {
            out.push_str(&esc(&label));
        }
        rest = &after[end + 1..];
    }
    out.push_str(&inline_styles(&esc(&unescape_slack(rest))));
    out.replace('\n', "<br>")
}

/// `<!date^1392734382^{date_short_pretty} at {time}^https://…|fallback>`: the timestamp written
/// with Slack's tokens in the reader's time zone (the stand-in's people are all on UTC), as a
/// link when one is given; the fallback when the spec cannot be read, as Slack's clients do.
/// Tokens: docs.slack.dev "Formatting text for app surfaces", "Date formatting".
fn slack_date(spec: &str, fallback: &str, now: time::OffsetDateTime) -> String {
    let mut parts = spec.splitn(3, '^');
    let stamp = parts.next().and_then(|t| t.parse::<i64>().ok());
    let format = parts.next();
    let link = parts
        .next()
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"));
    let (Some(stamp), Some(format)) = (stamp, format) else {
        return esc(fallback);
    };
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(stamp) else {
        return esc(fallback);
    };
    let text = format_slack_date(format, at, now);
    match link {
        Some(l) => format!(
            "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
            esc(&unescape_slack(l)),
            esc(&text)
        ),
        None => esc(&text),
    }
}

/// Replaces each `{token}` of a Slack date format; unknown tokens stay as written.
fn format_slack_date(format: &str, at: time::OffsetDateTime, now: time::OffsetDateTime) -> String {
    let ordinal = |d: u8| {
        let suffix = match (d % 10, d % 100) {
            (_, 11..=13) => "th",
            (1, _) => "st",
            (2, _) => "nd",
            (3, _) => "rd",
            _ => "th",
        };
        format!("{d}{suffix}")
    };
    let month = at.month().to_string();
    let short_month = month.get(..3).unwrap_or(&month).to_owned();
    let date = format!("{month} {}, {}", ordinal(at.day()), at.year());
    let date_short = format!("{short_month} {}, {}", at.day(), at.year());
    let date_long = format!("{}, {date}", at.weekday());
    let relative = match (at.date() - now.date()).whole_days() {
        0 => Some("today"),
        -1 => Some("yesterday"),
        1 => Some("tomorrow"),
        _ => None,
    };
    let (hour12, meridiem) = match at.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    let ago = {
        let secs = (now - at).whole_seconds();
        let (n, unit) = match secs.unsigned_abs() {
            s if s < 60 => (s, "second"),
            s if s < 3_600 => (s / 60, "minute"),
            s if s < 86_400 => (s / 3_600, "hour"),
            s => (s / 86_400, "day"),
        };
        let unit = if n == 1 {
            unit.to_owned()
        } else {
            format!("{unit}s")
        };
        if secs >= 0 {
            format!("{n} {unit} ago")
        } else {
            format!("in {n} {unit}")
        }
    };
    let tokens = [
        (
            "{date_num}",
            format!("{}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day()),
        ),
        (
            "{date_slash}",
            format!("{:02}/{:02}/{}", u8::from(at.month()), at.day(), at.year()),
        ),
        (
            "{date_long_pretty}",
            relative.map_or(date_long.clone(), str::to_owned),
        ),
        ("{date_long_full}", date.clone()),
        ("{date_long}", date_long),
        (
            "{date_pretty}",
            relative.map_or(date.clone(), str::to_owned),
        ),
        (
            "{date_short_pretty}",
            relative.map_or(date_short.clone(), str::to_owned),
        ),
        ("{date_short}", date_short),
        ("{date}", date),
        (
            "{time_secs}",
            format!("{hour12}:{:02}:{:02} {meridiem}", at.minute(), at.second()),
        ),
        ("{time}", format!("{hour12}:{:02} {meridiem}", at.minute())),
        ("{ago}", ago),
    ];
    let mut out = format.to_owned();
    for (token, value) in tokens {
        out = out.replace(token, &value);
    }
    out
}

/// Slack escapes `&`, `<` and `>` in message text; show them as typed.
fn unescape_slack(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `*bold*`, `_italic_`, `~strike~` and `` `code` `` on already escaped text.
fn inline_styles(escaped: &str) -> String {
    let mut out = escaped.to_owned();
    for (mark, tag) in [('*', "b"), ('_', "i"), ('~', "s"), ('`', "code")] {
        out = wrap_pairs(&out, mark, tag);
    }
    out
}

fn wrap_pairs(text: &str, mark: char, tag: &str) -> String {
    let parts: Vec<&str> = text.split(mark).collect();
    if parts.len() < 3 {
        return text.to_owned();
    }
    let mut out = String::new();
    let pairs = (parts.len() - 1) / 2;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            if i <= pairs * 2 {
                let _ = write!(out, "<{}{tag}>", if i % 2 == 1 { "" } else { "/" });
            } else {
                out.push(mark);
            }
        }
        out.push_str(part);
    }
    out
}

/// A text object (`plain_text` or `mrkdwn`).
pub fn text_object(text: Option<&Value>) -> String {
    let Some(t) = text else {
        return String::new();
    };
    let raw = t.get("text").and_then(Value::as_str).unwrap_or_default();
    if t.get("type").and_then(Value::as_str) == Some("mrkdwn") {
        mrkdwn(raw)
    } else {
        esc(raw)
    }
}

fn plain(text: Option<&Value>) -> String {
    esc(text
        .and_then(|t| t.get("text"))
        .and_then(Value::as_str)
        .unwrap_or_default())
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// What the blocks are drawn for: where the elements live (for the
/// requests the page sends back), what the person entered, and a view's
/// inline errors.
pub struct Surface<'a> {
    /// The driver's surface, as JSON (`{"type": "view", "view_id": …}`).
    pub surface: Value,
    /// What the person entered so far.
    pub inputs: &'a Inputs,
    /// Errors under input blocks, by block id.
    pub errors: &'a BTreeMap<String, String>,
    /// The people and conversations the person's pickers list.
    pub directory: &'a Directory,
    /// Elements whose last request the app did not acknowledge, as `(block_id, action_id)`:
    /// Slack marks them with a warning icon.
    pub warnings: &'a BTreeSet<(String, String)>,
}

/// What the person's user, conversation and channel pickers offer: their workspace as Slack's
/// client lists it to them.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// The workspace's people, deactivated ones left out. Slack's user pickers list bots too
    /// (no filter exists for them: slackapi/bolt-js#1981).
    pub people: Vec<Pickable>,
    /// The conversations the person can see: every public channel, the private channels and
    /// DMs they are in; archived ones left out.
    pub conversations: Vec<PickableConversation>,
}

/// A person a user picker lists.
#[derive(Debug, Clone)]
pub struct Pickable {
    /// `U…`.
    pub id: String,
    /// What the picker shows.
    pub label: String,
}

/// A conversation a conversation picker lists.
#[derive(Debug, Clone)]
pub struct PickableConversation {
    /// `C…`, `G…` or `D…`.
    pub id: String,
    /// What the picker shows (`#name`, `🔒name`, or the other side of a DM).
    pub label: String,
    /// Its kind as a conversation `filter` names it: `public`, `private`, `im` or `mpim`.
    pub kind: &'static str,
    /// A DM with a bot (left out by `filter.exclude_bot_users`).
    pub with_bot: bool,
}

/// The blocks, in order.
pub fn blocks(blocks: &Value, on: &Surface<'_>) -> String {
    let states = blockkit::element_states(blocks, on.inputs);
    let scope = surface_key(&on.surface);
    let mut out = format!(
        "<div class=\"blocks\" data-surface=\"{}\">",
        esc(&on.surface.to_string())
    );
    for block in blocks.as_array().map(Vec::as_slice).unwrap_or_default() {
        out.push_str(&one_block(block, on, &states, &scope));
    }
    out.push_str("</div>");
    out
}

fn one_block(
    block: &Value,
    on: &Surface<'_>,
    states: &[blockkit::ElementState],
    scope: &str,
) -> String {
    let block_id = str_of(block, "block_id");
    let kind = str_of(block, "type");
    let mut out = format!(
        "<div class=\"block block-{}\" data-block=\"{}\">",
        esc(kind),
        esc(block_id)
    );
    match kind {
        "header" => {
            let _ = write!(out, "<h3>{}</h3>", plain(block.get("text")));
        }
        "divider" => out.push_str("<hr>"),
        "section" => {
            out.push_str("<div class=\"section-body\">");
            if block.get("text").is_some() {
                let _ = write!(
                    out,
                    "<div class=\"section-text\">{}</div>",
                    text_object(block.get("text"))
                );
            }
            if let Some(fields) = block.get("fields").and_then(Value::as_array) {
                out.push_str("<div class=\"fields\">");
                for f in fields {
                    let _ = write!(out, "<div class=\"field\">{}</div>", text_object(Some(f)));
                }
                out.push_str("</div>");
            }
            out.push_str("</div>");
            if let Some(acc) = block.get("accessory") {
                out.push_str(&element(acc, on, scope, block_id, states));
            }
        }
        "context" => {
            for e in block
                .get("elements")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if str_of(e, "type") == "image" {
                    let _ = write!(
                        out,
                        "<span class=\"img\">[{}]</span>",
                        esc(str_of(e, "alt_text"))
                    );
                } else {
                    let _ = write!(out, "<span>{}</span>", text_object(Some(e)));
                }
            }
        }
        "actions" => {
            for e in block
                .get("elements")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                out.push_str(&element(e, on, scope, block_id, states));
            }
        }
        "input" => {
            let optional = block.get("optional").and_then(Value::as_bool) == Some(true);
            let action_id = block
                .get("element")
                .map(|e| str_of(e, "action_id"))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<label class=\"input-label\" for=\"{}\">{}{}</label>",
                esc(&element_dom_id(scope, block_id, action_id)),
                plain(block.get("label")),
                if optional {
                    " <small>(optional)</small>"
                } else {
                    ""
                }
            );
            if let Some(e) = block.get("element") {
                out.push_str(&element(e, on, scope, block_id, states));
            }
            if block.get("hint").is_some() {
                let _ = write!(
                    out,
                    "<div class=\"hint\">{}</div>",
                    plain(block.get("hint"))
                );
            }
            if let Some(err) = on.errors.get(block_id) {
                let _ = write!(
                    out,
                    "<div class=\"input-error\" role=\"alert\">{}</div>",
                    esc(err)
                );
            }
        }
        "image" => {
            let _ = write!(
                out,
                "<span class=\"img\">[{}]</span>",
                esc(str_of(block, "alt_text"))
            );
        }
        "rich_text" => {
            let _ = write!(out, "<div>{}</div>", esc(&rich_text_plain(block)));
        }
        other => {
            let _ = write!(out, "<em class=\"unsupported\">({} block)</em>", esc(other));
        }
    }
    out.push_str("</div>");
    out
}

/// The `value`s of the options a multi-select holds now.
fn option_values(state: &Value) -> Vec<String> {
    state
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|o| str_of(o, "value").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn rich_text_plain(value: &Value) -> String {
    match value {
        Value::Object(o) => {
            let own = o.get("text").and_then(Value::as_str).unwrap_or_default();
            let children: String = o.get("elements").map(rich_text_plain).unwrap_or_default();
            format!("{own}{children}")
        }
        Value::Array(items) => items.iter().map(rich_text_plain).collect(),
        _ => String::new(),
    }
}

/// A short key of a surface (a message, a view). Every approval message has the same block and
/// action ids, so ids made of those alone collided on a page showing several, and a label named
/// another message's input.
fn surface_key(surface: &Value) -> String {
    // FNV-1a: stable across runs, which the page's redraws rely on.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in surface.to_string().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// The DOM id of an element on surface `scope`, so its input block's label names it.
pub fn element_dom_id(scope: &str, block_id: &str, action_id: &str) -> String {
    format!("el-{scope}-{block_id}-{action_id}")
}

fn element(
    e: &Value,
    on: &Surface<'_>,
    scope: &str,
    block_id: &str,
    states: &[blockkit::ElementState],
) -> String {
    let mut out = element_itself(e, on, scope, block_id, states);
    if on
        .warnings
        .contains(&(block_id.to_owned(), str_of(e, "action_id").to_owned()))
    {
        // Slack marks an element whose request the app did not acknowledge in 3 seconds with a
        // warning icon beside it, and says nothing else (slackapi/node-slack-sdk#869,
        // soxtoby/SlackNet#240: "Slack only gives you 3 seconds to respond to a user action
        // before showing the warning icon").
        let _ = write!(
            out,
            "<span class=\"action-warning\" role=\"img\" aria-label=\"{WARNING_LABEL}\" title=\"{WARNING_LABEL}\">⚠️</span>"
        );
    }
    out
}

/// The accessible name of the warning icon beside an element the app did not acknowledge
/// (Slack's icon carries no words of its own; this only names it for screen readers).
pub const WARNING_LABEL: &str = "Warning: the app did not acknowledge this action";

/// The placeholder an element shows, or `default` when the app gave none.
fn placeholder_or(e: &Value, default: &str) -> String {
    let p = plain(e.get("placeholder"));
    if p.is_empty() { esc(default) } else { p }
}

/// The ids a user / conversation / channel picker holds now (a string or a list of them).
fn picked_ids(state: &Value) -> Vec<String> {
    match state {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// What a conversation picker lists: `channels_select` only public channels; a
/// `conversations_select` what its `filter` lets through (`include` kinds, `exclude_bot_users`
/// leaving out DMs with bots; the stand-in has no Slack Connect channels, so
/// `exclude_external_shared_channels` leaves nothing out).
fn conversation_choices(e: &Value, dir: &Directory) -> Vec<(String, String)> {
    let channels_only = str_of(e, "type").contains("channels_select");
    let filter = e.get("filter");
    let include: Vec<&str> = filter
        .and_then(|f| f.get("include"))
        .and_then(Value::as_array)
        .map(|kinds| kinds.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let exclude_bots = filter
        .and_then(|f| f.get("exclude_bot_users"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    dir.conversations
        .iter()
        .filter(|c| {
            if channels_only {
                return c.kind == "public";
            }
            (include.is_empty() || include.contains(&c.kind)) && !(exclude_bots && c.with_bot)
        })
        .map(|c| (c.id.clone(), c.label.clone()))
        .collect()
}

/// A picker over `choices` (`(value, label)`), as a `<select>`: one choice with a placeholder
/// first, or several (`multiple`, at most `max` of them). Picked values the list does not hold
/// (an `initial_user` who left, say) stay shown, so what is drawn is what the app will get.
fn picker(
    data: &str,
    placeholder: &str,
    choices: &[(String, String)],
    picked: &[String],
    multiple: Option<Option<u64>>,
) -> String {
    let mut all: Vec<(String, String)> = choices.to_vec();
    for p in picked {
        if !all.iter().any(|(v, _)| v == p) {
            all.push((p.clone(), p.clone()));
        }
    }
    let mut out = match multiple {
        None => format!("<select {data}><option value=\"\">{placeholder}</option>"),
        // `data-picked`: what is picked, in the order it was, which Slack keeps and a
        // `<select multiple>` does not (the page's script restores it).
        Some(max) => format!(
            "<select multiple {data} size=\"{}\"{} data-picked=\"{}\">",
            all.len().clamp(2, 6),
            max.map(|m| format!(" data-max=\"{m}\""))
                .unwrap_or_default(),
            esc(&Value::from(picked.to_vec()).to_string())
        ),
    };
    for (value, label) in &all {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            esc(value),
            if picked.contains(value) {
                " selected"
            } else {
                ""
            },
            esc(label)
        );
    }
    out.push_str("</select>");
    if multiple.is_some() {
        let chosen: Vec<&str> = all
            .iter()
            .filter(|(v, _)| picked.contains(v))
            .map(|(_, l)| l.as_str())
            .collect();
        let _ = write!(
            out,
            "<div class=\"multi-picked\">{}</div>",
            if chosen.is_empty() {
                placeholder.to_owned()
            } else {
                esc(&chosen.join(", "))
            }
        );
    }
    out
}

/// `YYYY-MM-DDTHH:MM` in UTC for unix seconds (the stand-in's people are on `Europe/London`
/// with `tz_offset: 0`, as `users.info` says).
fn datetime_local(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

fn element_itself(
    e: &Value,
    on: &Surface<'_>,
    scope: &str,
    block_id: &str,
    states: &[blockkit::ElementState],
) -> String {
    let kind = str_of(e, "type");
    let action_id = str_of(e, "action_id");
    let state = states
        .iter()
        .find(|s| s.block_id == block_id && s.action_id == action_id)
        .map(|s| s.value.clone())
        .unwrap_or(Value::Null);
    let dom_id = format!(
        "id=\"{}\"",
        esc(&element_dom_id(scope, block_id, action_id))
    );
    let where_attrs = format!(
        "data-block=\"{}\" data-action=\"{}\" data-kind=\"{}\"",
        esc(block_id),
        esc(action_id),
        esc(kind)
    );
    let data = format!("{dom_id} {where_attrs}");
    match kind {
        "button" | "workflow_button" => {
            let style = match str_of(e, "style") {
                "primary" => "primary",
                "danger" => "danger",
                _ => "default",
            };
            let confirm = e
                .get("confirm")
                .map(|c| {
                    format!(
                        " data-confirm=\"{}\"",
                        esc(&format!(
                            "{}\n\n{}",
                            c.get("title")
                                .and_then(|t| t.get("text"))
                                .and_then(Value::as_str)
                                .unwrap_or_default(),
                            c.get("text")
                                .and_then(|t| t.get("text"))
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                        ))
                    )
                })
                .unwrap_or_default();
            if let Some(url) = e.get("url").and_then(Value::as_str)
                && (url.starts_with("https://") || url.starts_with("http://"))
            {
                return format!(
                    "<a class=\"btn btn-{style}\" {data} data-url-button href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
                    esc(url),
                    plain(e.get("text"))
                );
            }
            format!(
                "<button type=\"button\" class=\"btn btn-{style}\" {data}{confirm}>{}</button>",
                plain(e.get("text"))
            )
        }
        "checkboxes" | "radio_buttons" => {
            let chosen: Vec<String> = match &state {
                Value::Array(items) => items
                    .iter()
                    .map(|o| str_of(o, "value").to_owned())
                    .collect(),
                Value::Object(_) => vec![str_of(&state, "value").to_owned()],
                _ => Vec::new(),
            };
            let input_type = if kind == "checkboxes" {
                "checkbox"
            } else {
                "radio"
            };
            let mut out = format!("<fieldset class=\"choices\" {data}>");
            for o in blockkit::defined_options(e) {
                let value = str_of(&o, "value");
                let _ = write!(
                    out,
                    "<label><input type=\"{input_type}\" name=\"{}\" value=\"{}\"{}> {}</label>",
                    esc(&element_dom_id(scope, block_id, action_id)),
                    esc(value),
                    if chosen.iter().any(|c| c == value) {
                        " checked"
                    } else {
                        ""
                    },
                    text_object(o.get("text"))
                );
            }
            out.push_str("</fieldset>");
            out
        }
        "static_select" | "overflow" => {
            let selected = state
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let mut out = format!("<select {data}><option value=\"\">{}</option>", {
                let p = plain(e.get("placeholder"));
                if p.is_empty() {
                    "Select…".to_owned()
                } else {
                    p
                }
            });
            for o in blockkit::defined_options(e) {
                let value = str_of(&o, "value");
                let _ = write!(
                    out,
                    "<option value=\"{}\"{}>{}</option>",
                    esc(value),
                    if value == selected && !value.is_empty() {
                        " selected"
                    } else {
                        ""
                    },
                    plain(o.get("text"))
                );
            }
            out.push_str("</select>");
            out
        }
        "external_select" => {
            let picked = state
                .get("text")
                .map(|t| plain(Some(t)))
                .unwrap_or_default();
            format!(
                "<div class=\"external\" {where_attrs}><input type=\"search\" {dom_id} class=\"external-query\" autocomplete=\"off\" placeholder=\"{}\"><div class=\"external-picked\">{}</div><ul class=\"external-options\"></ul></div>",
                {
                    let p = plain(e.get("placeholder"));
                    if p.is_empty() {
                        "Type to search".to_owned()
                    } else {
                        p
                    }
                },
                picked
            )
        }
        "plain_text_input" | "email_text_input" | "url_text_input" | "number_input" => {
            let value = state.as_str().unwrap_or_default().to_owned();
            let placeholder = plain(e.get("placeholder"));
            if e.get("multiline").and_then(Value::as_bool) == Some(true) {
                format!(
                    "<textarea {data} rows=\"3\" placeholder=\"{placeholder}\">{}</textarea>",
                    esc(&value)
                )
            } else {
                let input_type = match kind {
                    "email_text_input" => "email",
                    "url_text_input" => "url",
                    "number_input" => "number",
                    _ => "text",
                };
                format!(
                    "<input type=\"{input_type}\" {data} value=\"{}\" placeholder=\"{placeholder}\">",
                    esc(&value)
                )
            }
        }
        "datepicker" => format!(
            "<input type=\"date\" {data} value=\"{}\" aria-placeholder=\"{}\">",
            esc(state.as_str().unwrap_or_default()),
            placeholder_or(e, "Select a date")
        ),
        "timepicker" => {
            let mut out = format!(
                "<input type=\"time\" {data} value=\"{}\" aria-placeholder=\"{}\">",
                esc(state.as_str().unwrap_or_default()),
                placeholder_or(e, "Select time")
            );
            // "The timezone is displayed to end users as hint text underneath the time picker"
            // (DOCS time-picker-element).
            if let Some(tz) = e.get("timezone").and_then(Value::as_str) {
                let _ = write!(out, "<div class=\"hint tz\">{}</div>", esc(tz));
            }
            out
        }
        "rich_text_input" => {
            // Typed as plain text; what the app gave or the person typed shows as its text.
            let typed = if state.is_null() {
                String::new()
            } else {
                rich_text_plain(&state)
            };
            format!(
                "<textarea {data} rows=\"3\" placeholder=\"{}\">{}</textarea>",
                plain(e.get("placeholder")),
                esc(&typed)
            )
        }
        "datetimepicker" => format!(
            "<input type=\"datetime-local\" {data} value=\"{}\"><div class=\"hint tz\">UTC</div>",
            state.as_i64().map(datetime_local).unwrap_or_default()
        ),
        "users_select" | "multi_users_select" => {
            let choices: Vec<(String, String)> = on
                .directory
                .people
                .iter()
                .map(|p| (p.id.clone(), p.label.clone()))
                .collect();
            picker(
                &data,
                &placeholder_or(e, "Select a user"),
                &choices,
                &picked_ids(&state),
                kind.starts_with("multi_")
                    .then(|| e.get("max_selected_items").and_then(Value::as_u64)),
            )
        }
        "conversations_select"
        | "multi_conversations_select"
        | "channels_select"
        | "multi_channels_select" => picker(
            &data,
            &placeholder_or(
                e,
                if kind.contains("channels") {
                    "Select a channel"
                } else {
                    "Select a conversation"
                },
            ),
            &conversation_choices(e, on.directory),
            &picked_ids(&state),
            kind.starts_with("multi_")
                .then(|| e.get("max_selected_items").and_then(Value::as_u64)),
        ),
        "multi_static_select" => {
            let choices: Vec<(String, String)> = blockkit::defined_options(e)
                .iter()
                .map(|o| {
                    (
                        str_of(o, "value").to_owned(),
                        o.get("text")
                            .and_then(|t| t.get("text"))
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect();
            picker(
                &data,
                &placeholder_or(e, "Select options"),
                &choices,
                &option_values(&state),
                Some(e.get("max_selected_items").and_then(Value::as_u64)),
            )
        }
        "multi_external_select" => {
            let picked = state.as_array().cloned().unwrap_or_default();
            let values: Vec<String> = option_values(&state);
            let mut chips = String::new();
            for o in &picked {
                let label = o
                    .get("text")
                    .and_then(|t| t.get("text"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let _ = write!(
                    chips,
                    "<li>{} <button type=\"button\" class=\"chip-remove\" data-remove=\"{}\" aria-label=\"Remove {}\">×</button></li>",
                    esc(label),
                    esc(str_of(o, "value")),
                    esc(label)
                );
            }
            format!(
                "<div class=\"external multi\" {where_attrs} data-picked=\"{}\"{}><ul class=\"chips\">{chips}</ul><input type=\"search\" {dom_id} class=\"external-query\" autocomplete=\"off\" placeholder=\"{}\"><ul class=\"external-options\"></ul></div>",
                esc(&Value::from(values).to_string()),
                e.get("max_selected_items")
                    .and_then(Value::as_u64)
                    .map(|m| format!(" data-max=\"{m}\""))
                    .unwrap_or_default(),
                placeholder_or(e, "Type to search")
            )
        }
        "image" => format!(
            "<span class=\"img\">[{}]</span>",
            esc(str_of(e, "alt_text"))
        ),
        other => format!("<em class=\"unsupported\">({} element)</em>", esc(other)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_date_token_is_written_with_slacks_formats_and_never_as_a_mention() {
        let now = time::macros::datetime!(2026-12-06 03:50 UTC);
        let at = time::macros::datetime!(2026-12-06 15:52:07 UTC).unix_timestamp();
        let html = mrkdwn(&format!(
            "Granted until <!date^{at}^{{date_short_pretty}} {{time}}|Sun 6 Dec 15:52 UTC>"
        ));
        assert!(!html.contains("mention"), "{html}");
        assert!(!html.contains("{"), "{html}");
        assert_eq!(
            format_slack_date(
                "{date_short_pretty} {time}",
                time::OffsetDateTime::from_unix_timestamp(at).unwrap(),
                now
            ),
            "today 3:52 PM"
        );
        let later = time::macros::datetime!(2027-01-02 00:05:09 UTC);
        assert_eq!(
            format_slack_date(
                "{date_num} {date_slash} {date_long} {date_short} {date} {time_secs} {date_pretty}",
                later,
                now
            ),
            "2027-01-02 01/02/2027 Saturday, January 2nd, 2027 Jan 2, 2027 January 2nd, 2027 12:05:09 AM January 2nd, 2027"
        );
        assert_eq!(
            format_slack_date(
                "{date_long_pretty}, {ago}",
                now - time::Duration::days(1),
                now
            ),
            "yesterday, 1 day ago"
        );
        // A link, and a spec that can't be read shows the fallback.
        let linked = mrkdwn(&format!(
            "<!date^{at}^{{date_num}}^https://x.test/a|fallback>"
        ));
        assert!(
            linked.starts_with("<a href=\"https://x.test/a\"")
                && linked.ends_with(">2026-12-06</a>"),
            "{linked}"
        );
        assert_eq!(mrkdwn("<!date^soon^{date}|Sunday>"), "Sunday");
        assert!(mrkdwn("<!here> and <!subteam^S1|@oncall>").contains("@oncall"));
    }

    #[test]
    fn hostile_text_is_shown_as_text_and_links_only_keep_web_targets() {
        let html = mrkdwn(
            "<script>alert(1)</script> *hi* <javascript:alert(1)|click> <https://x.test/?a=1&b=\"2\"|go>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("<b>hi</b>"), "{html}");
        assert!(
            html.contains("href=\"https://x.test/?a=1&amp;b=&quot;2&quot;\""),
            "{html}"
        );
    }

    #[test]
    fn buttons_carry_their_style_and_where_they_are() {
        let errors = BTreeMap::new();
        let inputs = Inputs::new();
        let on = Surface {
            surface: json!({"type": "view", "view_id": "V1"}),
            inputs: &inputs,
            errors: &errors,
            directory: &Directory::default(),
            warnings: &BTreeSet::new(),
        };
        let html = blocks(
            &json!([{"type": "actions", "block_id": "b", "elements": [
                {"type": "button", "action_id": "go", "style": "danger", "text": {"type": "plain_text", "text": "<Deny>"}}
            ]}]),
            &on,
        );
        assert!(html.contains("btn-danger"), "{html}");
        assert!(html.contains("&lt;Deny&gt;"), "{html}");
        assert!(html.contains("data-action=\"go\""), "{html}");
    }

    #[test]
    fn an_input_blocks_label_names_its_element_and_checkboxes_show_what_is_checked() {
        let errors = BTreeMap::new();
        let mut inputs = Inputs::new();
        inputs.entry("urgent".into()).or_default().insert(
            "urgent_check".into(),
            json!([{"text": {"type": "plain_text", "text": "Yes"}, "value": "yes"}]),
        );
        let on = Surface {
            surface: json!({"type": "view", "view_id": "V1"}),
            inputs: &inputs,
            errors: &errors,
            directory: &Directory::default(),
            warnings: &BTreeSet::new(),
        };
        let html = blocks(
            &json!([
                {"type": "input", "block_id": "app", "label": {"type": "plain_text", "text": "What app?"},
                 "element": {"type": "external_select", "action_id": "app_select"}},
                {"type": "input", "block_id": "urgent", "label": {"type": "plain_text", "text": "Urgent?"},
                 "element": {"type": "checkboxes", "action_id": "urgent_check", "options": [
                     {"text": {"type": "plain_text", "text": "Yes"}, "value": "yes"}]}}
            ]),
            &on,
        );
        let app = element_dom_id(&surface_key(&on.surface), "app", "app_select");
        let urgent = element_dom_id(&surface_key(&on.surface), "urgent", "urgent_check");
        assert!(
            html.contains(&format!(
                "<label class=\"input-label\" for=\"{app}\">What app?</label>"
            )),
            "{html}"
        );
        assert!(
            html.contains(&format!("<input type=\"search\" id=\"{app}\"")),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "type=\"checkbox\" name=\"{urgent}\" value=\"yes\" checked"
            )),
            "{html}"
        );
    }

    #[test]
    fn two_messages_with_the_same_block_ids_each_label_their_own_input() {
        let errors = BTreeMap::new();
        let inputs = Inputs::new();
        let reason = json!([{"type": "input", "block_id": "approval_reason",
            "label": {"type": "plain_text", "text": "Approval reason"},
            "element": {"type": "plain_text_input", "action_id": "approval_reason"}}]);
        let on = |ts: &str| {
            blocks(
                &reason,
                &Surface {
                    surface: json!({"type": "message", "channel": "D1", "ts": ts}),
                    inputs: &inputs,
                    errors: &errors,
                    directory: &Directory::default(),
                    warnings: &BTreeSet::new(),
                },
            )
        };
        let label_for = |html: &str| {
            html.split("for=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_default()
                .to_string()
        };
        let (first, second) = (on("1.000001"), on("2.000002"));
        assert_ne!(label_for(&first), label_for(&second));
        assert!(
            first.contains(&format!("id=\"{}\"", label_for(&first))),
            "{first}"
        );
    }
}
