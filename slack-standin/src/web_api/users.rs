//! `users.info` and `users.lookupByEmail`.

use super::{ApiError, ApiResult, Ctx};
use serde_json::Map;

fn visible(ctx: &Ctx<'_>, caller: &super::Caller, user: &crate::state::User) -> bool {
    let teams = ctx.st.install_teams(&caller.install);
    teams.contains(&user.team_id)
        || (user.enterprise_id.is_some() && user.enterprise_id == caller.install.enterprise_id)
}

/// `users.info` (scope `users:read`).
pub fn info(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    caller.require_any(&["users:read"])?;
    let id = ctx
        .params
        .str("user")
        .ok_or_else(|| ApiError::new("user_not_found"))?;
    let user = ctx
        .st
        .users
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::new("user_not_found"))?;
    if !visible(ctx, &caller, &user) {
        return Err(ApiError::new("user_not_found"));
    }
    let mut out = Map::new();
    out.insert("user".into(), ctx.st.user_json(&user));
    Ok(out)
}

/// `users.lookupByEmail` (scope `users:read.email`). Unknown or deactivated
/// emails give `users_not_found` (plural, as Slack spells it).
pub fn lookup_by_email(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    caller.require_any(&["users:read.email"])?;
    let email = ctx.params.required("email")?;
    let user = ctx
        .st
        .users
        .values()
        .find(|u| {
            !u.deleted
                && u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&email))
                && visible(ctx, &caller, u)
        })
        .cloned()
        .ok_or_else(|| ApiError::new("users_not_found"))?;
    let mut out = Map::new();
    out.insert("user".into(), ctx.st.user_json(&user));
    Ok(out)
}
