//! `pins.add`.

use super::{ApiError, ApiResult, Ctx, resolve_channel};
use crate::state::Pin;
use serde_json::Map;

/// `pins.add` (scope `pins:write`): pins a message by `channel` + `timestamp`.
pub fn add(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    caller.require_any(&["pins:write"])?;
    // DOCS-M pins.add: `channel_not_found` — "The `channel` argument was not
    // specified or was invalid".
    let channel_arg = ctx
        .params
        .str("channel")
        .ok_or_else(|| ApiError::new("channel_not_found"))?;
    let channel = resolve_channel(ctx.st, &caller, &channel_arg)?;
    let ts = ctx
        .params
        .str("timestamp")
        .ok_or_else(|| ApiError::new("no_item_specified"))?;
    if !crate::ids::is_valid_ts(&ts) {
        return Err(ApiError::new("bad_timestamp"));
    }
    if !channel.has_member(caller.user_id()) {
        return Err(ApiError::new("not_in_channel"));
    }
    if ctx.st.message_mut(&channel.id, &ts).is_none() {
        return Err(ApiError::new("message_not_found"));
    }
    if ctx
        .st
        .pins
        .iter()
        .any(|p| p.channel == channel.id && p.ts == ts)
    {
        return Err(ApiError::new("already_pinned"));
    }
    ctx.st.pins.push(Pin {
        channel: channel.id,
        ts,
        pinned_by: caller.user_id().to_owned(),
    });
    Ok(Map::new())
}
