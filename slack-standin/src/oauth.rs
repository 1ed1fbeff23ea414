//! OAuth v2 ("Add to Slack", slack.md §1): the consent page at
//! `/oauth/v2/authorize` and the `oauth.v2.access` code exchange.
//!
//! Slack's rules modelled here:
//! - unknown `client_id`, a `redirect_uri` outside the app's Redirect URLs, or
//!   unknown scopes show an error page and never redirect;
//! - Allow → 302 to `redirect_uri?code=…&state=…`; Cancel →
//!   `?error=access_denied&state=…`;
//! - codes are single use and expire after 10 minutes (`invalid_code`);
//! - a `redirect_uri` sent to authorize must be repeated identically to
//!   `oauth.v2.access` (`bad_redirect_uri`);
//! - client credentials via HTTP Basic or form params (`invalid_client_id`,
//!   `bad_client_secret`);
//! - org-wide (Enterprise Grid) installs return `team: null`,
//!   `enterprise: {id,name}`, `is_enterprise_install: true`.

use crate::config::ConsentMode;
use crate::ids;
use crate::server::Core;
use crate::state::{Installation, OAuthCode, State, Token, TokenKind, User, Webhook};
use crate::web_api::{ApiError, ApiResult, Ctx};
use axum::Form;
use axum::extract::{Query, State as AxumState};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

/// Scopes Slack knows (bot and user). Anything else is "Invalid permissions requested".
const KNOWN_SCOPES: &[&str] = &[
    "admin",
    "app_mentions:read",
    "assistant:write",
    "bookmarks:read",
    "bookmarks:write",
    "calls:read",
    "calls:write",
    "canvases:read",
    "canvases:write",
    "channels:history",
    "channels:join",
    "channels:manage",
    "channels:read",
    "channels:write",
    "channels:write.invites",
    "channels:write.topic",
    "chat:write",
    "chat:write.customize",
    "chat:write.public",
    "commands",
    "dnd:read",
    "emoji:read",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "groups:write",
    "groups:write.invites",
    "groups:write.topic",
    "identity.avatar",
    "identity.basic",
    "identity.email",
    "identity.team",
    "im:history",
    "im:read",
    "im:write",
    "im:write.topic",
    "incoming-webhook",
    "links:read",
    "links:write",
    "metadata.message:read",
    "mpim:history",
    "mpim:read",
    "mpim:write",
    "mpim:write.topic",
    "pins:read",
    "pins:write",
    "reactions:read",
    "reactions:write",
    "reminders:read",
    "reminders:write",
    "search:read",
    "team:read",
    "usergroups:read",
    "usergroups:write",
    "users.profile:read",
    "users:read",
    "users:read.email",
    "users:write",
    "workflow.steps:execute",
];

/// Query of `GET /oauth/v2/authorize` (`response_type` and PKCE are ignored).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    /// App client id.
    pub client_id: Option<String>,
    /// Comma-separated bot scopes.
    pub scope: Option<String>,
    /// Comma-separated user scopes.
    pub user_scope: Option<String>,
    /// Callback URL.
    pub redirect_uri: Option<String>,
    /// Opaque CSRF value echoed back.
    pub state: Option<String>,
    /// Workspace to pre-select.
    pub team: Option<String>,
}

/// What the installer chose on the consent page.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Consent {
    /// Workspace (`T…`) or, for an org-wide install, enterprise (`E…`).
    /// Default: the `team` parameter, else the first workspace.
    #[serde(default)]
    pub target: Option<String>,
    /// Installing user. Default: the first admin of the workspace.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Channel for the `incoming-webhook` scope. Default: the first public channel.
    #[serde(default)]
    pub webhook_channel: Option<String>,
    /// Install org-wide (Enterprise Grid).
    #[serde(default)]
    pub org_wide: bool,
}

/// Why an authorize request cannot proceed (shown as an error page, no redirect).
#[derive(Debug, Clone)]
pub struct AuthorizeError {
    /// Slack error code.
    pub code: &'static str,
    /// Human message.
    pub message: String,
}

struct Validated {
    scopes: Vec<String>,
    user_scopes: Vec<String>,
    redirect_param: Option<String>,
    redirect: String,
    state: String,
}

fn split_scopes(s: Option<&str>) -> Vec<String> {
    s.unwrap_or("")
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `uri` is allowed by the configured Redirect URLs (equal or a sub-path).
pub fn redirect_allowed(configured: &[String], uri: &str) -> bool {
    if configured.is_empty() {
        return uri.starts_with("http://") || uri.starts_with("https://");
    }
    let base = uri.split(['?', '#']).next().unwrap_or(uri);
    configured.iter().any(|c| {
        let c = c.trim_end_matches('/');
        base == c || base.starts_with(&format!("{c}/"))
    })
}

fn validate(core: &Core, p: &AuthorizeParams) -> Result<Validated, AuthorizeError> {
    let client_id = p.client_id.clone().unwrap_or_default();
    if client_id != core.config.client_id {
        return Err(AuthorizeError {
            code: "invalid_client_id",
            message: "Invalid client_id parameter".into(),
        });
    }
    let redirect = match &p.redirect_uri {
        Some(r) if redirect_allowed(&core.config.redirect_urls, r) => r.clone(),
        Some(r) => {
            return Err(AuthorizeError {
                code: "bad_redirect_uri",
                message: format!("redirect_uri did not match any configured URIs. Passed URI: {r}"),
            });
        }
        None => core
            .config
            .redirect_urls
            .first()
            .cloned()
            .ok_or_else(|| AuthorizeError {
                code: "bad_redirect_uri",
                message: "No redirect_uri was passed and the app has no configured Redirect URLs"
                    .into(),
            })?,
    };
    let scopes = split_scopes(p.scope.as_deref());
    let user_scopes = split_scopes(p.user_scope.as_deref());
    if scopes.is_empty() && user_scopes.is_empty() {
        return Err(AuthorizeError {
            code: "invalid_scope",
            message: "No scopes were requested".into(),
        });
    }
    if let Some(bad) = scopes
        .iter()
        .chain(&user_scopes)
        .find(|s| !KNOWN_SCOPES.contains(&s.as_str()))
    {
        return Err(AuthorizeError {
            code: "invalid_scope",
            message: format!("Invalid permissions requested: {bad}"),
        });
    }
    Ok(Validated {
        scopes,
        user_scopes,
        redirect_param: p.redirect_uri.clone(),
        redirect,
        state: p.state.clone().unwrap_or_default(),
    })
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{query}")
}

fn pick_user(st: &State, teams: &[String], wanted: Option<&str>) -> Result<String, AuthorizeError> {
    if let Some(id) = wanted {
        return st
            .users
            .get(id)
            .filter(|u| teams.contains(&u.team_id) && !u.is_bot && !u.deleted)
            .map(|u| u.id.clone())
            .ok_or_else(|| AuthorizeError {
                code: "invalid_user",
                message: format!("Unknown installing user {id}"),
            });
    }
    let humans: Vec<&User> = st
        .users
        .values()
        .filter(|u| teams.contains(&u.team_id) && !u.is_bot && !u.deleted)
        .collect();
    humans
        .iter()
        .find(|u| u.is_admin)
        .or_else(|| humans.first())
        .map(|u| u.id.clone())
        .ok_or_else(|| AuthorizeError {
            code: "no_user",
            message: "The workspace has no user to install the app".into(),
        })
}

/// Performs the install the consent page would: creates (or refreshes) the
/// installation, mints tokens and a code, and returns the redirect URL.
pub fn approve(
    core: &Core,
    params: &AuthorizeParams,
    consent: &Consent,
) -> Result<String, AuthorizeError> {
    let v = validate(core, params)?;
    let mut guard = core.state.lock();
    let st = &mut *guard;
    let not_found = |what: String| AuthorizeError {
        code: "invalid_team",
        message: what,
    };
    let target = consent.target.clone().or_else(|| params.team.clone());
    let (team_id, enterprise_id, org_wide) = if consent.org_wide
        || target.as_deref().is_some_and(|t| t.starts_with('E'))
    {
        let enterprise = match target.as_deref() {
            Some(t) if t.starts_with('E') => st.enterprises.get(t).cloned(),
            Some(t) => st
                .teams
                .get(t)
                .and_then(|t| t.enterprise_id.clone())
                .and_then(|e| st.enterprises.get(&e).cloned()),
            None => st.enterprises.values().next().cloned(),
        }
        .ok_or_else(|| {
            not_found("Org-wide installs need an Enterprise Grid organisation".into())
        })?;
        (None, Some(enterprise.id), true)
    } else {
        let team = match target.as_deref() {
            Some(t) => st.teams.get(t).cloned(),
            None => st.teams.values().next().cloned(),
        }
        .ok_or_else(|| not_found(format!("Unknown workspace {}", target.unwrap_or_default())))?;
        (Some(team.id.clone()), team.enterprise_id.clone(), false)
    };
    let teams: Vec<String> = match (&team_id, &enterprise_id) {
        (Some(t), _) => vec![t.clone()],
        (None, Some(e)) => st
            .enterprises
            .get(e)
            .map(|e| e.team_ids.clone())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let installer = pick_user(st, &teams, consent.user_id.as_deref())?;
    let webhook_channel = if v.scopes.iter().any(|s| s == "incoming-webhook") {
        let channel = match consent.webhook_channel.as_deref() {
            Some(id) => st
                .channel(id)
                .filter(|c| teams.contains(&c.team_id) && !c.is_archived && !c.is_im)
                .cloned(),
            None => st
                .channels
                .iter()
                .find(|c| teams.contains(&c.team_id) && !c.is_private && !c.is_archived && !c.is_im)
                .cloned(),
        };
        Some(channel.ok_or_else(|| AuthorizeError {
            code: "invalid_channel",
            message: "Pick a channel for the app to post to".into(),
        })?)
    } else {
        None
    };

    // Reinstalling keeps the bot user and live tokens, as Slack does.
    let existing = st
        .installs
        .values()
        .find(|i| {
            i.team_id == team_id
                && i.enterprise_id == enterprise_id
                && i.is_enterprise_install == org_wide
                && !i.uninstalled
        })
        .cloned();
    let app_id = core.config.app_id.clone();
    let mut install = match existing {
        Some(i) => i,
        None => {
            let home_team = teams.first().cloned().unwrap_or_default();
            let bot_user_id = ids::object_id(if org_wide { 'W' } else { 'U' });
            let bot_id = ids::object_id('B');
            st.add_user(User {
                id: bot_user_id.clone(),
                team_id: home_team,
                enterprise_id: enterprise_id.clone(),
                name: core.config.app_name.to_lowercase(),
                real_name: core.config.app_name.clone(),
                email: None,
                is_bot: true,
                is_admin: false,
                deleted: false,
                bot_id: Some(bot_id.clone()),
            });
            Installation {
                id: format!("I{}", ids::secret(10)),
                team_id: team_id.clone(),
                enterprise_id: enterprise_id.clone(),
                is_enterprise_install: org_wide,
                app_id,
                bot_user_id,
                bot_id,
                authed_user_id: installer.clone(),
                scopes: Vec::new(),
                user_scopes: Vec::new(),
                webhook_id: None,
                uninstalled: false,
            }
        }
    };
    for s in &v.scopes {
        if !install.scopes.contains(s) {
            install.scopes.push(s.clone());
        }
    }
    install.authed_user_id = installer.clone();
    install.user_scopes = v.user_scopes.clone();
    if let Some(channel) = &webhook_channel {
        let hook = Webhook {
            id: ids::object_id('B'),
            team_id: channel.team_id.clone(),
            channel_id: channel.id.clone(),
            secret: ids::secret(24),
            revoked: false,
        };
        install.webhook_id = Some(hook.id.clone());
        st.webhooks.insert(hook.id.clone(), hook);
        if let Some(c) = st.channel_mut(&channel.id)
            && !c.has_member(&install.bot_user_id)
        {
            c.members.push(install.bot_user_id.clone());
        }
    }
    if !install.scopes.is_empty() {
        let live = st
            .tokens
            .values_mut()
            .find(|t| t.install_id == install.id && t.kind == TokenKind::Bot && !t.revoked);
        match live {
            Some(t) => t.scopes.clone_from(&install.scopes),
            None => {
                let token = ids::bot_token();
                st.tokens.insert(
                    token.clone(),
                    Token {
                        token,
                        kind: TokenKind::Bot,
                        install_id: install.id.clone(),
                        user_id: install.bot_user_id.clone(),
                        scopes: install.scopes.clone(),
                        revoked: false,
                    },
                );
            }
        }
    }
    if !v.user_scopes.is_empty() {
        for t in st.tokens.values_mut().filter(|t| {
            t.install_id == install.id && t.kind == TokenKind::User && t.user_id == installer
        }) {
            t.revoked = true;
        }
        let token = ids::user_token();
        st.tokens.insert(
            token.clone(),
            Token {
                token,
                kind: TokenKind::User,
                install_id: install.id.clone(),
                user_id: installer,
                scopes: v.user_scopes.clone(),
                revoked: false,
            },
        );
    }
    let code = format!(
        "{}.{}.{}",
        ids::digits(10),
        ids::digits(13),
        ids::hex_string(64)
    );
    st.codes.insert(
        code.clone(),
        OAuthCode {
            code: code.clone(),
            client_id: core.config.client_id.clone(),
            redirect_uri: v.redirect_param.clone(),
            install_id: install.id.clone(),
            issued: Instant::now(),
            used: false,
        },
    );
    st.installs.insert(install.id.clone(), install);
    Ok(with_query(
        &v.redirect,
        &[("code", &code), ("state", &v.state)],
    ))
}

/// The redirect for a Cancel click: `error=access_denied&state=…`.
pub fn deny(core: &Core, params: &AuthorizeParams) -> Result<String, AuthorizeError> {
    let v = validate(core, params)?;
    Ok(with_query(
        &v.redirect,
        &[("error", "access_denied"), ("state", &v.state)],
    ))
}

fn error_page(err: &AuthorizeError) -> Response {
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Slack: something went wrong</title>{STYLE}</head>\
         <body><main class=\"card\"><h1>Oops, something went wrong.</h1><p>{}</p><p class=\"code\">Error: <code>{}</code></p>\
         </main></body></html>",
        escape(&err.message),
        escape(err.code)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

const STYLE: &str = "<style>body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;background:#f8f8f8;color:#1d1c1d;margin:0}\
.card{max-width:560px;margin:48px auto;background:#fff;border:1px solid #ddd;border-radius:8px;padding:32px}\
h1{font-size:22px}ul{padding-left:20px}label{display:block;font-weight:600;margin:16px 0 6px}select{width:100%;padding:8px;font-size:15px}\
.actions{display:flex;gap:12px;margin-top:24px}button{padding:10px 20px;font-size:15px;border-radius:4px;border:1px solid #bbb;background:#fff;cursor:pointer}\
button.allow{background:#007a5a;color:#fff;border-color:#007a5a}.code{color:#616061;font-size:13px}</style>";

/// Minimal HTML escaping.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn consent_page(core: &Core, p: &AuthorizeParams, v: &Validated) -> Response {
    let st = core.state.lock();
    let mut html = String::new();
    let app = escape(&core.config.app_name);
    let _ = write!(
        html,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{app} is requesting permission</title>{STYLE}</head><body>\
         <main class=\"card\"><h1>{app} is requesting permission to access your Slack workspace</h1>\
         <form method=\"post\" action=\"/oauth/v2/authorize\">"
    );
    for (name, value) in [
        ("client_id", &p.client_id),
        ("scope", &p.scope),
        ("user_scope", &p.user_scope),
        ("redirect_uri", &p.redirect_uri),
        ("state", &p.state),
        ("team", &p.team),
    ] {
        if let Some(value) = value {
            let _ = write!(
                html,
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            );
        }
    }
    html.push_str("<label for=\"target\">Workspace</label><select id=\"target\" name=\"target\">");
    for team in st.teams.values() {
        let selected = if p.team.as_deref() == Some(&team.id) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            html,
            "<option value=\"{}\"{selected}>{} ({}.slack.com)</option>",
            team.id,
            escape(&team.name),
            escape(&team.domain)
        );
    }
    for org in st.enterprises.values() {
        let _ = write!(
            html,
            "<option value=\"{}\">Entire organization: {} (org-wide install)</option>",
            org.id,
            escape(&org.name)
        );
    }
    html.push_str("</select><label for=\"user_id\">Signed in as</label><select id=\"user_id\" name=\"user_id\">");
    // Slack's consent page is seen by someone signed in to the workspace chosen above; with no
    // one picked, the installer is that workspace's admin (or first member), never a person of
    // another workspace that merely sorts first.
    html.push_str(
        "<option value=\"\" selected>Someone in the chosen workspace (its admin first)</option>",
    );
    for u in st.users.values().filter(|u| !u.is_bot && !u.deleted) {
        let team = st
            .teams
            .get(&u.team_id)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        let _ = write!(
            html,
            "<option value=\"{}\">{} ({}, {})</option>",
            u.id,
            escape(&u.real_name),
            escape(u.email.as_deref().unwrap_or("")),
            escape(&team)
        );
    }
    html.push_str("</select>");
    let _ = write!(html, "<p>{app} will be able to:</p><ul>");
    for s in &v.scopes {
        let _ = write!(html, "<li><code>{}</code></li>", escape(s));
    }
    for s in &v.user_scopes {
        let _ = write!(html, "<li><code>{}</code> (on your behalf)</li>", escape(s));
    }
    html.push_str("</ul>");
    if v.scopes.iter().any(|s| s == "incoming-webhook") {
        html.push_str("<label for=\"webhook_channel\">Where should ");
        html.push_str(&app);
        html.push_str(" post?</label><select id=\"webhook_channel\" name=\"webhook_channel\">");
        for c in st.channels.iter().filter(|c| !c.is_im && !c.is_archived) {
            let team = st
                .teams
                .get(&c.team_id)
                .map(|t| t.name.clone())
                .unwrap_or_default();
            let lock = if c.is_private { "🔒" } else { "#" };
            let _ = write!(
                html,
                "<option value=\"{}\">{lock}{} ({})</option>",
                c.id,
                escape(&c.name),
                escape(&team)
            );
        }
        html.push_str("</select>");
    }
    html.push_str(
        "<div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button>\
         <button class=\"allow\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button></div></form></main></body></html>",
    );
    Html(html).into_response()
}

/// `GET /oauth/v2/authorize`.
pub async fn authorize_page(
    AxumState(core): AxumState<Arc<Core>>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    let v = match validate(&core, &params) {
        Ok(v) => v,
        Err(e) => return error_page(&e),
    };
    let mode = core.state.lock().consent;
    let outcome = match mode {
        ConsentMode::Interactive => return consent_page(&core, &params, &v),
        ConsentMode::AutoApprove => approve(&core, &params, &Consent::default()),
        ConsentMode::AutoApproveOrgWide => approve(
            &core,
            &params,
            &Consent {
                org_wide: true,
                ..Consent::default()
            },
        ),
        ConsentMode::AutoDeny => deny(&core, &params),
    };
    match outcome {
        Ok(url) => found(&url),
        Err(e) => error_page(&e),
    }
}

/// Form posted by the consent page.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    webhook_channel: Option<String>,
}

/// `POST /oauth/v2/authorize` (the consent page's Allow / Cancel).
pub async fn authorize_decision(
    AxumState(core): AxumState<Arc<Core>>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let outcome = if form.decision.as_deref() == Some("allow") {
        let consent = Consent {
            target: form.target,
            user_id: form.user_id.filter(|id| !id.is_empty()),
            webhook_channel: form.webhook_channel,
            org_wide: false,
        };
        approve(&core, &form.params, &consent)
    } else {
        deny(&core, &form.params)
    };
    match outcome {
        Ok(url) => found(&url),
        Err(e) => error_page(&e),
    }
}

/// A 302 Found, as Slack sends for the OAuth callback.
fn found(url: &str) -> Response {
    let mut resp = Redirect::to(url).into_response();
    *resp.status_mut() = StatusCode::FOUND;
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    resp
}

/// `oauth.v2.access`: exchanges a code for tokens.
pub fn access(ctx: &mut Ctx<'_>) -> ApiResult {
    let (client_id, client_secret) = match &ctx.basic {
        Some((id, secret)) => (Some(id.clone()), Some(secret.clone())),
        None => (ctx.params.str("client_id"), ctx.params.str("client_secret")),
    };
    match ctx.params.str("grant_type").as_deref() {
        None | Some("authorization_code") => {}
        Some("refresh_token") => return Err(ApiError::new("invalid_refresh_token")),
        Some(_) => return Err(ApiError::new("invalid_grant_type")),
    }
    let config = &ctx.core.config;
    if client_id.as_deref() != Some(config.client_id.as_str()) {
        return Err(ApiError::new("invalid_client_id"));
    }
    if client_secret.as_deref() != Some(config.client_secret.as_str()) {
        return Err(ApiError::new("bad_client_secret"));
    }
    let code_arg = ctx
        .params
        .str("code")
        .ok_or_else(|| ApiError::new("invalid_code"))?;
    let ttl = ctx.st.timings.oauth_code_ttl;
    let code = ctx
        .st
        .codes
        .get(&code_arg)
        .cloned()
        .ok_or_else(|| ApiError::new("invalid_code"))?;
    if code.used || code.issued.elapsed() > ttl || code.client_id != config.client_id {
        return Err(ApiError::new("invalid_code"));
    }
    let redirect_arg = ctx.params.str("redirect_uri");
    match (&code.redirect_uri, &redirect_arg) {
        (Some(expected), Some(given)) if expected == given => {}
        (Some(_), _) => return Err(ApiError::new("bad_redirect_uri")),
        (None, Some(given)) if !redirect_allowed(&config.redirect_urls, given) => {
            return Err(ApiError::new("bad_redirect_uri"));
        }
        (None, _) => {}
    }
    if let Some(c) = ctx.st.codes.get_mut(&code_arg) {
        c.used = true;
    }
    let install = ctx
        .st
        .installs
        .get(&code.install_id)
        .cloned()
        .ok_or_else(|| ApiError::new("invalid_code"))?;
    token_response(ctx.st, &install, &ctx.core.base_url)
}

fn token_response(st: &State, install: &Installation, base_url: &str) -> ApiResult {
    let bot = st
        .tokens
        .values()
        .find(|t| t.install_id == install.id && t.kind == TokenKind::Bot && !t.revoked);
    let user = st.tokens.values().find(|t| {
        t.install_id == install.id
            && t.kind == TokenKind::User
            && !t.revoked
            && t.user_id == install.authed_user_id
    });
    let mut out = Map::new();
    if let Some(bot) = bot {
        out.insert("access_token".into(), json!(bot.token));
        out.insert("token_type".into(), json!("bot"));
        out.insert("scope".into(), json!(bot.scopes.join(",")));
        out.insert("bot_user_id".into(), json!(install.bot_user_id));
    }
    out.insert("app_id".into(), json!(install.app_id));
    let team = install
        .team_id
        .as_ref()
        .and_then(|t| st.teams.get(t))
        .map(|t| json!({"id": t.id, "name": t.name}))
        .unwrap_or(Value::Null);
    out.insert("team".into(), team);
    let enterprise = install
        .enterprise_id
        .as_ref()
        .and_then(|e| st.enterprises.get(e))
        .map(|e| json!({"id": e.id, "name": e.name}))
        .unwrap_or(Value::Null);
    out.insert("enterprise".into(), enterprise);
    out.insert(
        "is_enterprise_install".into(),
        json!(install.is_enterprise_install),
    );
    let mut authed = Map::new();
    authed.insert("id".into(), json!(install.authed_user_id));
    if let Some(user) = user {
        authed.insert("scope".into(), json!(user.scopes.join(",")));
        authed.insert("access_token".into(), json!(user.token));
        authed.insert("token_type".into(), json!("user"));
    }
    out.insert("authed_user".into(), Value::Object(authed));
    if let Some(hook) = install.webhook_id.as_ref().and_then(|w| st.webhooks.get(w)) {
        let channel = st.channel(&hook.channel_id);
        let domain = st
            .teams
            .get(&hook.team_id)
            .map(|t| t.domain.clone())
            .unwrap_or_default();
        let name = channel
            .map(|c| {
                if c.is_private {
                    c.name.clone()
                } else {
                    format!("#{}", c.name)
                }
            })
            .unwrap_or_default();
        out.insert(
            "incoming_webhook".into(),
            json!({
                "channel": name,
                "channel_id": hook.channel_id,
                "configuration_url": format!("https://{domain}.slack.com/services/{}", hook.id),
                "url": format!("{base_url}/services/{}/{}/{}", hook.team_id, hook.id, hook.secret),
            }),
        );
    }
    Ok(out)
}
