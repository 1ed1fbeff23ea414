//! `conversations.*`: create, join, invite, setPurpose, info, list, archive.

use super::{ApiError, ApiResult, ChannelWrite, Ctx, add_warnings, manage_scopes, resolve_channel};
use crate::ids;
use crate::limits;
use base64::Engine;
use serde_json::{Map, Value, json};

fn read_scopes(channel: &crate::state::Channel) -> &'static [&'static str] {
    if channel.is_im {
        &["im:read"]
    } else if channel.is_private {
        &["groups:read"]
    } else {
        &["channels:read"]
    }
}

fn channel_out(channel: &crate::state::Channel, viewer: &str) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("channel".into(), channel.to_json(viewer));
    out
}

/// `conversations.create`. Names: lowercase letters, digits, `-`, `_`, ≤80
/// characters, never normalised. Org tokens must pass `team_id`. A public channel in a
/// workspace restricted to private ones ([`crate::SlackStandin::restrict_public_channels`])
/// is `restricted_action`.
pub fn create(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let is_private = ctx.params.bool("is_private");
    caller.require_any(if is_private {
        &["groups:write"]
    } else {
        &["channels:manage"]
    })?;
    let team_id = caller.acting_team(ctx.st, ctx.params)?;
    let name = ctx.params.str("name").unwrap_or_default();
    if let Some(code) = limits::channel_name_error(&name) {
        return Err(ApiError::new(code));
    }
    // A workspace that allows only private channels refuses a public one whatever its name
    // (DOCS-M conversations.create `restricted_action`: "A team preference prevents the
    // authenticated user from creating channels").
    if !is_private && ctx.st.public_channels_restricted.contains(&team_id) {
        return Err(ApiError::new("restricted_action"));
    }
    if ctx
        .st
        .channels
        .iter()
        .any(|c| c.team_id == team_id && !c.is_im && c.name == name)
    {
        return Err(ApiError::new("name_taken"));
    }
    let channel = ctx
        .st
        .add_channel(&team_id, &name, is_private, caller.user_id());
    Ok(channel_out(&channel, caller.user_id()))
}

/// `conversations.join` (scope `channels:join`); private channels cannot be joined.
pub fn join(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    caller.require_any(&["channels:join"])?;
    let arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_channel(ctx.st, &caller, &arg)?;
    if channel.is_private || channel.is_im {
        return Err(ApiError::new("method_not_supported_for_channel_type"));
    }
    if channel.is_archived {
        return Err(ApiError::new("is_archived"));
    }
    let already = channel.has_member(caller.user_id());
    let updated = match ctx.st.channel_mut(&channel.id) {
        Some(c) => {
            if !already {
                c.members.push(caller.user_id().to_owned());
            }
            c.clone()
        }
        None => return Err(ApiError::new("channel_not_found")),
    };
    let mut out = channel_out(&updated, caller.user_id());
    if already {
        add_warnings(&mut out, &["already_in_channel"]);
    }
    Ok(out)
}

/// `conversations.invite`: `users` is a comma list or JSON array of ≤100 ids
/// (DOCS-M / SK conversations.invite `users`: "Up to 100 users may be listed").
pub fn invite(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_channel(ctx.st, &caller, &arg)?;
    caller.require_any(manage_scopes(&channel, ChannelWrite::Invite))?;
    if channel.is_im {
        return Err(ApiError::new("method_not_supported_for_channel_type"));
    }
    let users = ctx.params.list("users");
    if users.is_empty() {
        return Err(ApiError::new("no_user"));
    }
    if users.len() > limits::INVITE_MAX_USERS {
        return Err(ApiError::new("too_many_users"));
    }
    if channel.is_archived {
        return Err(ApiError::new("is_archived"));
    }
    if !channel.has_member(caller.user_id()) {
        return Err(ApiError::new("not_in_channel"));
    }
    let teams = ctx.st.install_teams(&caller.install);
    let mut errors = Vec::new();
    let mut to_add = Vec::new();
    for user_id in &users {
        let code = if user_id == caller.user_id() {
            Some("cant_invite_self")
        } else {
            match ctx.st.users.get(user_id) {
                None => Some("user_not_found"),
                Some(u) if !teams.contains(&u.team_id) => Some("user_not_found"),
                Some(u) if u.deleted => Some("cant_invite"),
                Some(_) if channel.has_member(user_id) => Some("already_in_channel"),
                Some(_) => None,
            }
        };
        match code {
            Some(code) => errors.push((user_id.clone(), code)),
            None => to_add.push(user_id.clone()),
        }
    }
    let force = ctx.params.bool("force");
    if let Some((_, first)) = errors.first()
        && (!force || to_add.is_empty())
    {
        let mut e = ApiError::new(first);
        if users.len() > 1 {
            let list: Vec<Value> = errors
                .iter()
                .map(|(u, c)| json!({"user": u, "ok": false, "error": c}))
                .collect();
            e.extra.insert("errors".into(), json!(list));
        }
        return Err(e);
    }
    let updated = match ctx.st.channel_mut(&channel.id) {
        Some(c) => {
            for u in to_add {
                if !c.has_member(&u) {
                    c.members.push(u);
                }
            }
            c.clone()
        }
        None => return Err(ApiError::new("channel_not_found")),
    };
    let mut out = channel_out(&updated, caller.user_id());
    if !errors.is_empty() {
        let list: Vec<Value> = errors
            .iter()
            .map(|(u, c)| json!({"user": u, "ok": false, "error": c}))
            .collect();
        out.insert("errors".into(), json!(list));
    }
    Ok(out)
}

/// `conversations.setPurpose`: ≤250 characters (`too_long`).
pub fn set_purpose(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_channel(ctx.st, &caller, &arg)?;
    caller.require_any(manage_scopes(&channel, ChannelWrite::Topic))?;
    if channel.is_im {
        return Err(ApiError::new("method_not_supported_for_channel_type"));
    }
    let purpose = ctx.params.str("purpose").unwrap_or_default();
    if purpose.chars().count() > limits::PURPOSE_MAX {
        return Err(ApiError::new("too_long"));
    }
    if channel.is_archived {
        return Err(ApiError::new("is_archived"));
    }
    if !channel.has_member(caller.user_id()) {
        return Err(ApiError::new("not_in_channel"));
    }
    let updated = match ctx.st.channel_mut(&channel.id) {
        Some(c) => {
            c.purpose.value = purpose.clone();
            c.purpose.creator = caller.user_id().to_owned();
            c.purpose.last_set = ids::unix_now();
            c.clone()
        }
        None => return Err(ApiError::new("channel_not_found")),
    };
    let mut out = channel_out(&updated, caller.user_id());
    out.insert("purpose".into(), json!(purpose));
    Ok(out)
}

/// `conversations.info`.
pub fn info(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_channel(ctx.st, &caller, &arg)?;
    caller.require_any(read_scopes(&channel))?;
    let mut out = channel_out(&channel, caller.user_id());
    if !ctx.params.bool("include_num_members")
        && let Some(obj) = out.get_mut("channel").and_then(Value::as_object_mut)
    {
        obj.remove("num_members");
    }
    Ok(out)
}

fn encode_cursor(channel_id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("channel:{channel_id}"))
}

fn decode_cursor(cursor: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("channel:")
        .map(str::to_owned)
}

/// `conversations.list` with cursor pagination (`response_metadata.next_cursor`,
/// `""` on the last page). `limit` defaults to 100, at most 1000.
pub fn list(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let types = {
        let t = ctx.params.list("types");
        if t.is_empty() {
            vec!["public_channel".to_owned()]
        } else {
            t
        }
    };
    for t in &types {
        let needed: &[&str] = match t.as_str() {
            "public_channel" => &["channels:read"],
            "private_channel" => &["groups:read"],
            "im" => &["im:read"],
            "mpim" => &["mpim:read"],
            _ => return Err(ApiError::new("invalid_types")),
        };
        caller.require_any(needed)?;
    }
    let team_id = caller.acting_team(ctx.st, ctx.params)?;
    let limit = match ctx.params.str("limit") {
        Some(l) => match l.parse::<usize>() {
            Ok(0) => 100,
            Ok(n) => n.min(1000),
            Err(_) => return Err(ApiError::new("invalid_limit")),
        },
        None => 100,
    };
    let exclude_archived = ctx.params.bool("exclude_archived");
    let me = caller.user_id().to_owned();
    let visible: Vec<&crate::state::Channel> = ctx
        .st
        .channels
        .iter()
        .filter(|c| c.team_id == team_id)
        .filter(|c| !(exclude_archived && c.is_archived))
        .filter(|c| {
            let kind = if c.is_im {
                "im"
            } else if c.is_private {
                "private_channel"
            } else {
                "public_channel"
            };
            types.iter().any(|t| t == kind) && (!(c.is_private || c.is_im) || c.has_member(&me))
        })
        .collect();
    let start = match ctx.params.str("cursor") {
        Some(cursor) => {
            let id = decode_cursor(&cursor).ok_or_else(|| ApiError::new("invalid_cursor"))?;
            visible
                .iter()
                .position(|c| c.id == id)
                .ok_or_else(|| ApiError::new("invalid_cursor"))?
        }
        None => 0,
    };
    let page: Vec<Value> = visible
        .iter()
        .skip(start)
        .take(limit)
        .map(|c| c.to_json(&me))
        .collect();
    let next = visible
        .get(start + limit)
        .map(|c| encode_cursor(&c.id))
        .unwrap_or_default();
    let mut out = Map::new();
    out.insert("channels".into(), json!(page));
    out.insert("response_metadata".into(), json!({"next_cursor": next}));
    Ok(out)
}

/// `conversations.archive`.
pub fn archive(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_channel(ctx.st, &caller, &arg)?;
    caller.require_any(manage_scopes(&channel, ChannelWrite::Manage))?;
    if channel.is_im {
        return Err(ApiError::new("method_not_supported_for_channel_type"));
    }
    if channel.is_general {
        return Err(ApiError::new("cant_archive_general"));
    }
    if channel.is_archived {
        return Err(ApiError::new("already_archived"));
    }
    if !channel.has_member(caller.user_id()) {
        return Err(ApiError::new("not_in_channel"));
    }
    if let Some(c) = ctx.st.channel_mut(&channel.id) {
        c.is_archived = true;
    }
    Ok(Map::new())
}

/// The most people `conversations.open` takes (DOCS-M conversations.open
/// `too_many_users`: "Needs at most 8 users to open").
pub const OPEN_MAX_USERS: usize = 8;

/// `conversations.open` (DOCS-M: Tier 3; bot scopes `channels:manage`,
/// `groups:write`, `im:write`, `mpim:write`): opens or resumes the caller's DM
/// with one user (`users`), or resumes a DM by id (`channel`). Idempotent: the
/// same user always gives the same `D…` id. Without `return_im` the answer is
/// `{"channel":{"id"}}` (DOCS-M "Typical success response"); with it, the IM
/// object plus `no_op` / `already_open` when the DM existed
/// ("success_with_return_im").
pub fn open(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    caller.require_any(&["channels:manage", "groups:write", "im:write", "mpim:write"])?;
    let users = ctx.params.list("users");
    let (channel, existed) = if users.is_empty() {
        let Some(arg) = ctx.params.str("channel") else {
            return Err(ApiError::new("users_list_not_supplied"));
        };
        let channel = resolve_channel(ctx.st, &caller, &arg)?;
        if !channel.is_im {
            return Err(ApiError::new("method_not_supported_for_channel_type"));
        }
        (channel, true)
    } else {
        if users.len() > OPEN_MAX_USERS {
            return Err(ApiError::new("too_many_users"));
        }
        let teams = ctx.st.install_teams(&caller.install);
        for user_id in &users {
            let user = ctx
                .st
                .users
                .get(user_id)
                .filter(|u| teams.contains(&u.team_id))
                .ok_or_else(|| ApiError::new("user_not_found"))?;
            if user.deleted {
                return Err(ApiError::new("user_disabled"));
            }
            // Bot tokens cannot open a DM with a bot user, their own included
            // (`cannot_dm_bot`, handled by clients of conversations.open; not in
            // the docs' error list).
            if user.is_bot || user.id == caller.user_id() {
                return Err(ApiError::new("cannot_dm_bot"));
            }
        }
        let [user_id] = users.as_slice() else {
            // Multi-person DMs (mpim) are not modelled: say so rather than
            // pretend a Slack answer.
            return Err(ApiError::with_messages(
                "invalid_arguments",
                vec![
                    "[ERROR] slack-standin models 1:1 DMs only; multi-person DMs are not modelled"
                        .to_owned(),
                ],
            ));
        };
        let existed = ctx.st.find_im(caller.user_id(), user_id).is_some();
        let team_id = ctx
            .st
            .users
            .get(user_id)
            .map(|u| u.team_id.clone())
            .unwrap_or_default();
        let channel = ctx.st.im_channel(&team_id, caller.user_id(), user_id);
        (channel, existed)
    };
    let mut out = Map::new();
    if ctx.params.bool("return_im") {
        let mut im = channel.to_json(caller.user_id());
        if let Some(obj) = im.as_object_mut() {
            obj.insert("last_read".into(), json!("0000000000.000000"));
            obj.insert("latest".into(), Value::Null);
            obj.insert("unread_count".into(), json!(0));
            obj.insert("unread_count_display".into(), json!(0));
            obj.insert("is_open".into(), json!(true));
        }
        if existed {
            out.insert("no_op".into(), json!(true));
            out.insert("already_open".into(), json!(true));
        }
        out.insert("channel".into(), im);
    } else {
        out.insert("channel".into(), json!({ "id": channel.id }));
    }
    Ok(out)
}

/// A message `ts` (`"1512085950.000216"`, or whole seconds) as comparable
/// `(seconds, microseconds)`; `None` if it is not one.
fn parse_ts(ts: &str) -> Option<(u64, u64)> {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
    if secs.is_empty() || !secs.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 6 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let micros = format!("{frac:0<6}").parse().ok()?;
    Some((secs.parse().ok()?, micros))
}

fn history_scopes(channel: &crate::state::Channel) -> &'static [&'static str] {
    if channel.is_im {
        &["im:history"]
    } else if channel.is_private {
        &["groups:history"]
    } else {
        &["channels:history"]
    }
}

/// `conversations.history` (DOCS-M: Tier 3; scopes `channels:history`,
/// `groups:history`, `im:history`, `mpim:history` by conversation type).
/// Newest first; `oldest` / `latest` bound the range (exclusive unless
/// `inclusive`); `limit` defaults to 100, at most 999; cursor pagination with
/// `has_more` and `response_metadata.next_cursor` (`next_ts:<ts>` in base64, as
/// Slack's example cursors decode). Thread replies are left out (they belong to
/// `conversations.replies`). Metadata comes back as `event_type` only unless
/// `include_all_metadata` ([`crate::state::metadata_json`]). A bot must be in
/// the channel (`not_in_channel`: "Only user tokens can access public channels
/// they are not in"); channel names are not accepted (`channel_not_found`).
pub fn history(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_channel(ctx.st, &caller, &arg)?;
    caller.require_any(history_scopes(&channel))?;
    let is_bot = caller.token.kind == crate::state::TokenKind::Bot;
    if is_bot && !channel.has_member(caller.user_id()) {
        return Err(ApiError::new("not_in_channel"));
    }
    let bound = |key: &str, code: &str| -> Result<Option<(u64, u64)>, ApiError> {
        match ctx.params.str(key) {
            None => Ok(None),
            Some(ts) => parse_ts(&ts).map(Some).ok_or_else(|| ApiError::new(code)),
        }
    };
    let oldest = bound("oldest", "invalid_ts_oldest")?;
    let latest = bound("latest", "invalid_ts_latest")?;
    let inclusive = ctx.params.bool("inclusive");
    let limit = match ctx.params.str("limit") {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(0) => 100,
            Ok(n) => n.min(limits::HISTORY_MAX_LIMIT),
            Err(_) => {
                return Err(ApiError::with_messages(
                    "invalid_arguments",
                    vec!["[ERROR] expected an integer [json-pointer:/limit]".to_owned()],
                ));
            }
        },
    };
    let before = match ctx.params.str("cursor") {
        None => None,
        Some(cursor) => {
            Some(decode_history_cursor(&cursor).ok_or_else(|| ApiError::new("invalid_cursor"))?)
        }
    };
    let include_all = ctx.params.bool("include_all_metadata");
    let mut in_range: Vec<&crate::state::Message> = ctx
        .st
        .messages
        .get(&channel.id)
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    in_range.retain(|m| {
        let Some(ts) = parse_ts(&m.ts) else {
            return false;
        };
        let is_reply = m.thread_ts.as_deref().is_some_and(|t| t != m.ts);
        !m.deleted
            && !is_reply
            && oldest.is_none_or(|o| ts > o || (inclusive && ts == o))
            && latest.is_none_or(|l| ts < l || (inclusive && ts == l))
            && before.is_none_or(|b| ts <= b)
    });
    in_range.sort_by_key(|m| std::cmp::Reverse(parse_ts(&m.ts)));
    let page: Vec<Value> = in_range
        .iter()
        .take(limit)
        .map(|m| {
            let mut json = m.to_json(&channel.team_id);
            if let (Some(obj), Some(meta)) = (json.as_object_mut(), &m.metadata) {
                obj.insert(
                    "metadata".into(),
                    crate::state::metadata_json(meta, include_all),
                );
            }
            json
        })
        .collect();
    let next = in_range.get(limit).map(|m| encode_history_cursor(&m.ts));
    let pin_count = ctx
        .st
        .pins
        .iter()
        .filter(|p| p.channel == channel.id)
        .count();
    let mut out = Map::new();
    out.insert("messages".into(), json!(page));
    out.insert("has_more".into(), json!(next.is_some()));
    out.insert("pin_count".into(), json!(pin_count));
    out.insert("channel_actions_ts".into(), Value::Null);
    out.insert("channel_actions_count".into(), json!(0));
    // Every documented example with `has_more: true` carries the cursor; on the
    // last page the stand-in leaves `response_metadata` out, so a client that
    // loops while a cursor is present (slack-morphism's scroller) stops.
    if let Some(next) = next {
        out.insert("response_metadata".into(), json!({ "next_cursor": next }));
    }
    Ok(out)
}

fn encode_history_cursor(ts: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("next_ts:{}", ts.replace('.', "")))
}

/// The newest `ts` a page may hold, from a cursor made by [`encode_history_cursor`].
fn decode_history_cursor(cursor: &str) -> Option<(u64, u64)> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    let digits = String::from_utf8(raw)
        .ok()?
        .strip_prefix("next_ts:")?
        .to_owned();
    if digits.len() <= 6 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (secs, micros) = digits.split_at(digits.len() - 6);
    Some((secs.parse().ok()?, micros.parse().ok()?))
}

/// `conversations.replies` (DOCS-M: Tier 3; the same `*:history` scopes as
/// `conversations.history`): the thread of the message `ts` in `channel`, its
/// parent first, then the replies oldest first. `ts` is required: missing, not
/// a timestamp or not a message of the channel is `thread_not_found` ("Value
/// for ts was missing or invalid"); the `ts` of a reply gives that reply's
/// thread. `oldest` / `latest` bound the replies (exclusive unless `inclusive`;
/// the parent is always first), `limit` defaults to 1000 (at most 999 here, as
/// for history), cursor pagination as for history (`next_ts:` of the first
/// message the next page holds). Metadata as `conversations.history`
/// (`include_all_metadata`).
pub fn replies(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_channel(ctx.st, &caller, &arg)?;
    caller.require_any(history_scopes(&channel))?;
    let is_bot = caller.token.kind == crate::state::TokenKind::Bot;
    if is_bot && !channel.has_member(caller.user_id()) {
        return Err(ApiError::new("not_in_channel"));
    }
    let ts = ctx
        .params
        .str("ts")
        .filter(|t| parse_ts(t).is_some())
        .ok_or_else(|| ApiError::new("thread_not_found"))?;
    let bound = |key: &str, code: &str| -> Result<Option<(u64, u64)>, ApiError> {
        match ctx.params.str(key) {
            None => Ok(None),
            Some(ts) => parse_ts(&ts).map(Some).ok_or_else(|| ApiError::new(code)),
        }
    };
    let oldest = bound("oldest", "invalid_ts_oldest")?;
    let latest = bound("latest", "invalid_ts_latest")?;
    let inclusive = ctx.params.bool("inclusive");
    let limit = match ctx.params.str("limit") {
        None => limits::HISTORY_MAX_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(0) => limits::HISTORY_MAX_LIMIT,
            Ok(n) => n.min(limits::HISTORY_MAX_LIMIT),
            Err(_) => {
                return Err(ApiError::with_messages(
                    "invalid_arguments",
                    vec!["[ERROR] expected an integer [json-pointer:/limit]".to_owned()],
                ));
            }
        },
    };
    let from = match ctx.params.str("cursor") {
        None => None,
        Some(cursor) => {
            Some(decode_history_cursor(&cursor).ok_or_else(|| ApiError::new("invalid_cursor"))?)
        }
    };
    let include_all = ctx.params.bool("include_all_metadata");
    let all: Vec<&crate::state::Message> = ctx
        .st
        .messages
        .get(&channel.id)
        .map(|m| m.iter().filter(|m| !m.deleted).collect())
        .unwrap_or_default();
    let Some(asked) = all.iter().find(|m| m.ts == ts) else {
        return Err(ApiError::new("thread_not_found"));
    };
    let parent_ts = asked.thread_ts.clone().unwrap_or_else(|| asked.ts.clone());
    let parent = all.iter().find(|m| m.ts == parent_ts).copied();
    let mut thread: Vec<&crate::state::Message> = all
        .iter()
        .filter(|m| m.ts != parent_ts && m.thread_ts.as_deref() == Some(parent_ts.as_str()))
        .filter(|m| {
            parse_ts(&m.ts).is_some_and(|t| {
                oldest.is_none_or(|o| t > o || (inclusive && t == o))
                    && latest.is_none_or(|l| t < l || (inclusive && t == l))
                    && from.is_none_or(|f| t >= f)
            })
        })
        .copied()
        .collect();
    thread.sort_by_key(|m| parse_ts(&m.ts));
    let first_page = from.is_none();
    let mut listed: Vec<&crate::state::Message> = Vec::new();
    if first_page {
        listed.extend(parent);
    }
    listed.extend(thread);
    let next = listed.get(limit).map(|m| encode_history_cursor(&m.ts));
    let page: Vec<Value> = listed
        .iter()
        .take(limit)
        .map(|m| {
            let mut json = m.to_json(&channel.team_id);
            if let (Some(obj), Some(meta)) = (json.as_object_mut(), &m.metadata) {
                obj.insert(
                    "metadata".into(),
                    crate::state::metadata_json(meta, include_all),
                );
            }
            json
        })
        .collect();
    let mut out = Map::new();
    out.insert("messages".into(), json!(page));
    out.insert("has_more".into(), json!(next.is_some()));
    if let Some(next) = next {
        out.insert("response_metadata".into(), json!({ "next_cursor": next }));
    }
    Ok(out)
}
