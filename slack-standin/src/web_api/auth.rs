//! `auth.test` and `auth.revoke`.

use super::{ApiResult, Ctx};
use crate::state::TokenKind;
use serde_json::{Map, json};

/// `auth.test`: who the token belongs to.
pub fn test(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let install = &caller.install;
    let (team_id, team_name, domain) = match &install.team_id {
        Some(t) => {
            let team = ctx.st.teams.get(t);
            (
                t.clone(),
                team.map(|t| t.name.clone()).unwrap_or_default(),
                team.map(|t| t.domain.clone()).unwrap_or_default(),
            )
        }
        None => {
            let e = install.enterprise_id.clone().unwrap_or_default();
            let org = ctx.st.enterprises.get(&e);
            let name = org.map(|o| o.name.clone()).unwrap_or_default();
            let domain = name.to_lowercase().replace(' ', "-");
            (e, name, domain)
        }
    };
    let user = ctx.st.users.get(caller.user_id());
    let mut out = Map::new();
    out.insert("url".into(), json!(format!("https://{domain}.slack.com/")));
    out.insert("team".into(), json!(team_name));
    out.insert(
        "user".into(),
        json!(user.map(|u| u.name.clone()).unwrap_or_default()),
    );
    out.insert("team_id".into(), json!(team_id));
    out.insert("user_id".into(), json!(caller.user_id()));
    if caller.token.kind == TokenKind::Bot {
        out.insert("bot_id".into(), json!(install.bot_id));
    }
    out.insert("app_id".into(), json!(install.app_id));
    out.insert("app_name".into(), json!(ctx.core.config.app_name));
    if let Some(e) = &install.enterprise_id {
        out.insert("enterprise_id".into(), json!(e));
    }
    out.insert(
        "is_enterprise_install".into(),
        json!(install.is_enterprise_install),
    );
    Ok(out)
}

/// `auth.revoke`: revokes the calling token (`test=1` is a dry run). Sends
/// `tokens_revoked`, and `app_uninstalled` once no token is left, to the app's
/// events URL.
pub fn revoke(ctx: &mut Ctx<'_>) -> ApiResult {
    let caller = ctx.caller()?;
    let mut out = Map::new();
    if ctx.params.bool("test") {
        out.insert("revoked".into(), json!(false));
        return Ok(out);
    }
    if let Some(t) = ctx.st.tokens.get_mut(&caller.token.token) {
        t.revoked = true;
    }
    let install_id = caller.install.id.clone();
    let (oauth, bot) = match caller.token.kind {
        TokenKind::User => (vec![caller.user_id().to_owned()], Vec::new()),
        TokenKind::Bot => (Vec::new(), vec![caller.user_id().to_owned()]),
    };
    let remaining = ctx
        .st
        .tokens
        .values()
        .any(|t| t.install_id == install_id && !t.revoked);
    let team_id = caller.install.team_id.clone();
    let revoked_event = json!({"type": "tokens_revoked", "tokens": {"oauth": oauth, "bot": bot}});
    ctx.outbox.push(crate::driver::wrap_event(
        ctx.core,
        ctx.st,
        &caller.install,
        team_id.as_deref(),
        revoked_event,
    ));
    if !remaining {
        if let Some(install) = ctx.st.installs.get_mut(&install_id) {
            install.uninstalled = true;
            if let Some(w) = install
                .webhook_id
                .clone()
                .and_then(|w| ctx.st.webhooks.get_mut(&w))
            {
                w.revoked = true;
            }
        }
        let uninstalled = json!({"type": "app_uninstalled"});
        ctx.outbox.push(crate::driver::wrap_event(
            ctx.core,
            ctx.st,
            &caller.install,
            team_id.as_deref(),
            uninstalled,
        ));
    }
    out.insert("revoked".into(), json!(true));
    Ok(out)
}
