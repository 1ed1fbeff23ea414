//! `views.open`, `views.publish`, `views.update`, `views.push`.

use super::{ApiError, ApiResult, Caller, Ctx};
use crate::ids;
use crate::limits::{self, ViewError};
use crate::state::{State, View};
use serde_json::{Map, Value, json};

/// Maximum modal stack depth (`push_limit_reached`).
pub const MAX_STACK: usize = 3;

fn new_hash() -> String {
    format!("{}.{}", ids::unix_now(), ids::digits(8))
}

/// Slack's view object for a stored view.
pub fn view_json(st: &State, view: &View) -> Value {
    let install = st.installs.get(&view.install_id);
    let d = &view.definition;
    let get = |k: &str| d.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "id": view.id,
        "team_id": view.team_id,
        "type": view.kind,
        "title": get("title"),
        "submit": get("submit"),
        "close": get("close"),
        "blocks": d.get("blocks").cloned().unwrap_or_else(|| json!([])),
        "private_metadata": d.get("private_metadata").cloned().unwrap_or_else(|| json!("")),
        "callback_id": d.get("callback_id").cloned().unwrap_or_else(|| json!("")),
        "external_id": d.get("external_id").cloned().unwrap_or_else(|| json!("")),
        "state": {"values": view.state_values},
        "hash": view.hash,
        "clear_on_close": d.get("clear_on_close").and_then(Value::as_bool).unwrap_or(false),
        "notify_on_close": d.get("notify_on_close").and_then(Value::as_bool).unwrap_or(false),
        "root_view_id": view.root_view_id,
        "previous_view_id": view.previous_view_id,
        "app_id": install.map(|i| i.app_id.clone()),
        "app_installed_team_id": view.team_id,
        "bot_id": install.map(|i| i.bot_id.clone()),
    })
}

fn view_arg(ctx: &Ctx<'_>, expected: Option<&str>) -> Result<Value, ApiError> {
    let view = match ctx.params.json("view") {
        Ok(Some(v)) => v,
        Ok(None) => return Err(ApiError::missing_arg("view")),
        Err(super::InvalidJson) => {
            return Err(ApiError::with_messages(
                "invalid_arguments",
                vec!["[ERROR] failed to parse view as JSON [json-pointer:/view]".to_owned()],
            ));
        }
    };
    match limits::validate_view(&view, expected) {
        Ok(()) => {
            let mut view = view;
            crate::blockkit::normalize_view(&mut view);
            Ok(view)
        }
        Err(ViewError::TooLarge) => Err(ApiError::new("view_too_large")),
        Err(ViewError::Invalid(v)) => Err(ApiError::with_messages(
            "invalid_arguments",
            v.iter().map(limits::Violation::to_slack_message).collect(),
        )),
    }
}

fn check_external_id(
    st: &State,
    team_id: &str,
    view: &Value,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let Some(ext) = view
        .get("external_id")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    else {
        return Ok(());
    };
    let taken = st.views.iter().any(|v| {
        v.team_id == team_id
            && Some(v.id.as_str()) != except
            && v.definition.get("external_id").and_then(Value::as_str) == Some(ext)
    });
    if taken {
        Err(ApiError::new("duplicate_external_id"))
    } else {
        Ok(())
    }
}

/// Exchanges a trigger id (3 s lifetime, single use).
fn take_trigger(ctx: &mut Ctx<'_>) -> Result<(String, String), ApiError> {
    let trigger_id = ctx
        .params
        .str("trigger_id")
        .or_else(|| ctx.params.str("interactivity_pointer"))
        .ok_or_else(|| ApiError::missing_arg("trigger_id"))?;
    if !ids::looks_like_trigger_id(&trigger_id) {
        return Err(ApiError::new("invalid_trigger_id"));
    }
    let ttl = ctx.st.timings.trigger_ttl;
    let trigger = ctx
        .st
        .triggers
        .get_mut(&trigger_id)
        .ok_or_else(|| ApiError::new("invalid_trigger_id"))?;
    if trigger.used {
        return Err(ApiError::new("exchanged_trigger_id"));
    }
    if trigger.issued.elapsed() > ttl {
        return Err(ApiError::new("expired_trigger_id"));
    }
    trigger.used = true;
    Ok((trigger.team_id.clone(), trigger.user_id.clone()))
}

fn store_view(
    st: &mut State,
    caller: &Caller,
    team_id: &str,
    user_id: &str,
    definition: Value,
) -> View {
    let kind = definition
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("modal")
        .to_owned();
    let mut view = View {
        id: ids::object_id('V'),
        team_id: team_id.to_owned(),
        user_id: user_id.to_owned(),
        kind,
        definition,
        hash: new_hash(),
        root_view_id: None,
        previous_view_id: None,
        install_id: caller.install.id.clone(),
        history: Vec::new(),
        closed: false,
        state_values: json!({}),
        inputs: crate::blockkit::Inputs::new(),
    };
    view.refresh_state();
    st.views.push(view.clone());
    view
}

fn out_view(st: &State, view: &View) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("view".into(), view_json(st, view));
    out
}

/// Remembers the conversation the person viewed when modal `view_id` was opened (the one
/// `trigger_id` was issued in) and pre-selects it where `default_to_current_conversation` asks.
fn from_conversation(st: &mut State, trigger_id: Option<String>, view_id: &str) {
    let Some(channel) = trigger_id
        .and_then(|t| crate::driver::conversation_of(&crate::driver::trigger_key(&t)))
        .and_then(|c| st.channel(&c).cloned())
    else {
        return;
    };
    crate::driver::note_conversation(&crate::driver::view_key(view_id), &channel.id);
    let kind = if channel.is_im {
        "im"
    } else if channel.is_private {
        "private"
    } else {
        "public"
    };
    let Some(view) = st.views.iter_mut().find(|v| v.id == view_id) else {
        return;
    };
    let blocks = view.definition.get("blocks").cloned().unwrap_or_default();
    let defaults =
        crate::blockkit::current_conversation_defaults(&blocks, &channel.id, kind, channel.is_im);
    if defaults.is_empty() {
        return;
    }
    for (block_id, action_id, value) in defaults {
        view.inputs
            .entry(block_id)
            .or_default()
            .insert(action_id, value);
    }
    view.refresh_state();
}

/// The `trigger_id` (or `interactivity_pointer`) a call carries.
fn trigger_arg(ctx: &Ctx<'_>) -> Option<String> {
    ctx.params
        .str("trigger_id")
        .or_else(|| ctx.params.str("interactivity_pointer"))
}

/// The answer to `views.open` / `views.push`: the stored view as it is once the conversation the
/// trigger came from has filled in `default_to_current_conversation` pickers.
fn opened(ctx: &mut Ctx<'_>, view: View) -> ApiResult {
    from_conversation(ctx.st, trigger_arg(ctx), &view.id);
    let view = ctx
        .st
        .views
        .iter()
        .find(|v| v.id == view.id)
        .cloned()
        .unwrap_or(view);
    Ok(out_view(ctx.st, &view))
}

/// `views.open`: opens a modal for the user behind `trigger_id`.
pub fn open(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let view_def = view_arg(ctx, Some("modal"))?;
    let (team_id, user_id) = take_trigger(ctx)?;
    check_external_id(ctx.st, &team_id, &view_def, None)?;
    let mut view = store_view(ctx.st, &caller, &team_id, &user_id, view_def);
    view.root_view_id = Some(view.id.clone());
    if let Some(v) = ctx.st.views.iter_mut().find(|v| v.id == view.id) {
        v.root_view_id = Some(view.id.clone());
    }
    opened(ctx, view)
}

/// `views.push`: pushes a modal on top of the user's open modal (stack ≤3).
pub fn push(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let view_def = view_arg(ctx, Some("modal"))?;
    let (team_id, user_id) = take_trigger(ctx)?;
    let stack: Vec<View> = ctx
        .st
        .views
        .iter()
        .filter(|v| v.kind == "modal" && v.user_id == user_id && !v.closed)
        .cloned()
        .collect();
    let Some(top) = stack.last().cloned() else {
        return Err(ApiError::new("not_found"));
    };
    if stack.len() >= MAX_STACK {
        return Err(ApiError::new("push_limit_reached"));
    }
    check_external_id(ctx.st, &team_id, &view_def, None)?;
    let mut view = store_view(ctx.st, &caller, &team_id, &user_id, view_def);
    view.root_view_id = top.root_view_id.clone().or(Some(top.id.clone()));
    view.previous_view_id = Some(top.id.clone());
    if let Some(v) = ctx.st.views.iter_mut().find(|v| v.id == view.id) {
        v.root_view_id.clone_from(&view.root_view_id);
        v.previous_view_id.clone_from(&view.previous_view_id);
    }
    opened(ctx, view)
}

/// `views.publish`: creates or replaces a user's App Home (`type: home`).
/// A stale `hash` gives `hash_conflict`.
pub fn publish(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let user_id = ctx.params.required("user_id")?;
    let view_def = view_arg(ctx, Some("home"))?;
    // DOCS-M views.publish: an unknown user is `invalid_arguments` with
    // "invalid `user_id`"; `user_not_found` is not in its error list.
    let bad_user =
        || ApiError::with_messages("invalid_arguments", vec!["invalid `user_id`".to_owned()]);
    let user = ctx.st.users.get(&user_id).cloned().ok_or_else(bad_user)?;
    let teams = ctx.st.install_teams(&caller.install);
    if !teams.contains(&user.team_id) {
        return Err(bad_user());
    }
    let hash = ctx.params.str("hash");
    let existing = ctx.st.views.iter().position(|v| {
        v.kind == "home" && v.user_id == user_id && v.install_id == caller.install.id
    });
    check_external_id(
        ctx.st,
        &user.team_id,
        &view_def,
        existing
            .and_then(|i| ctx.st.views.get(i))
            .map(|v| v.id.as_str()),
    )?;
    let view = match existing.and_then(|i| ctx.st.views.get_mut(i)) {
        Some(v) => {
            if hash.as_ref().is_some_and(|h| *h != v.hash) {
                return Err(ApiError::new("hash_conflict"));
            }
            v.replace_definition(view_def);
            v.clone()
        }
        None => store_view(ctx.st, &caller, &user.team_id, &user_id, view_def),
    };
    Ok(out_view(ctx.st, &view))
}

/// `views.update`: by `view_id` or `external_id`; a stale `hash` gives `hash_conflict`.
pub fn update(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let view_id = ctx.params.str("view_id");
    let external_id = ctx.params.str("external_id");
    if view_id.is_none() && external_id.is_none() {
        return Err(ApiError::missing_arg("view_id"));
    }
    let idx = ctx
        .st
        .views
        .iter()
        .position(|v| {
            v.install_id == caller.install.id
                && match (&view_id, &external_id) {
                    (Some(id), _) => v.id == *id,
                    (None, Some(ext)) => {
                        v.definition.get("external_id").and_then(Value::as_str) == Some(ext)
                    }
                    (None, None) => false,
                }
        })
        .ok_or_else(|| ApiError::new("not_found"))?;
    let kind = ctx
        .st
        .views
        .get(idx)
        .map(|v| v.kind.clone())
        .unwrap_or_default();
    let view_def = view_arg(ctx, Some(&kind))?;
    let (team_id, id) = match ctx.st.views.get(idx) {
        Some(v) => (v.team_id.clone(), v.id.clone()),
        None => return Err(ApiError::new("not_found")),
    };
    check_external_id(ctx.st, &team_id, &view_def, Some(&id))?;
    let hash = ctx.params.str("hash");
    let view = match ctx.st.views.get_mut(idx) {
        Some(v) => {
            if hash.as_ref().is_some_and(|h| *h != v.hash) {
                return Err(ApiError::new("hash_conflict"));
            }
            v.replace_definition(view_def);
            v.clone()
        }
        None => return Err(ApiError::new("not_found")),
    };
    Ok(out_view(ctx.st, &view))
}
