//! Sign-in, sign-out and first-run setup: plain HTML form posts, so they work without JavaScript.
//! Every outcome is a redirect; failures carry only a short code the page turns into a message.
//! A failure of ours (the database, the session store) is an `AppError` answered as the 500 page
//! with the request id to quote; the log line has the cause.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Extension;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use app::domain::audit::{TYPED_TEXT_MAX_CHARS, bounded_typed_text};
use app::error::{AppError, OrInternal};
use app::ssr::auth::SESSION_USER_KEY;
use app::ssr::passwords::{self, MIN_PASSWORD_CHARS};
use app::ssr::setup::{self, FirstAdminError};
use app::ssr::throttle::{self, ACCOUNT_POLICY, ADDRESS_POLICY};
use app::ssr::{AppState, users};

use super::client_address::TrustedProxies;
use super::guard::urlencode;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Where `next` is resolved against to see where a browser would really go.
const NEXT_BASE: &str = "http://latch.invalid/";

/// The path to follow after sign-in: `next` when a browser would stay on this site, else `/`.
///
/// `next` is resolved the way a browser resolves a `Location` (WHATWG URL rules, which the `url`
/// crate implements): tabs and newlines vanish anywhere, `\` counts as `/`, and `//host` or
/// `/\host` names another host. So `/<tab>/evil.example` is `//evil.example` to a browser even
/// though it starts with a single slash. What comes back is the re-serialised path, query and
/// fragment (percent-encoded), never the raw input.
pub fn safe_next(next: &str) -> String {
    let home = || "/".to_string();
    let Ok(base) = url::Url::parse(NEXT_BASE) else {
        return home();
    };
    if !next.starts_with('/') {
        return home();
    }
    let Ok(resolved) = base.join(next) else {
        return home();
    };
    if resolved.origin() != base.origin() || resolved.path() == "/login" {
        return home();
    }
    let mut local = resolved.path().to_string();
    if let Some(query) = resolved.query() {
        local.push('?');
        local.push_str(query);
    }
    if let Some(fragment) = resolved.fragment() {
        local.push('#');
        local.push_str(fragment);
    }
    // Belt and braces: a path that starts with two slashes would itself name a host.
    if local.starts_with("//") {
        home()
    } else {
        local
    }
}

fn back_to_login(code: &str, next: &str) -> Response {
    let next = safe_next(next);
    let target = if next == "/" {
        format!("/login?error={code}")
    } else {
        format!("/login?error={code}&next={}", urlencode(&next))
    };
    Redirect::to(&target).into_response()
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(proxies): Extension<Arc<TrustedProxies>>,
    headers: HeaderMap,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let email = form.email.trim().to_lowercase();
    if email.is_empty() || form.password.is_empty() {
        return Ok(back_to_login("missing", &form.next));
    }
    // What a stranger typed goes into logs, the audit log and throttle keys only capped: they
    // must not be able to write megabytes (or fake log lines) there.
    let (typed, altered) = bounded_typed_text(&email, TYPED_TEXT_MAX_CHARS);
    let client = proxies.client_address(peer.ip(), &headers);
    let account_key = throttle::account_key(&typed);
    let address_key = throttle::address_key(&client.to_string());

    // Each attempt is counted before its password is checked, atomically, so a burst of
    // concurrent guesses gets no more password checks than the policy allows.
    let wait = async {
        let account = throttle::begin_attempt(&state.db, &account_key, ACCOUNT_POLICY).await?;
        if account > 0 {
            return Ok(account);
        }
        let address = throttle::begin_attempt(&state.db, &address_key, ADDRESS_POLICY).await?;
        if address > 0 {
            // Refused before any password was checked: not a failure of this account.
            throttle::forgive(&state.db, &account_key).await?;
        }
        Ok::<_, sqlx::Error>(address)
    };
    let wait_ms = wait.await.or_internal("sign-in throttle lookup failed")?;
    if wait_ms > 0 {
        tracing::warn!(email = %typed, client = %client, wait_ms, "sign-in throttled");
        return Ok(back_to_login("throttled", &form.next));
    }

    let account = users::find_by_email(&state.db, &email)
        .await
        .or_internal("sign-in lookup failed")?;
    let password = form.password.clone();
    let stored = account
        .as_ref()
        .filter(|a| a.active)
        .and_then(|a| a.password_hash.clone());
    // Argon2 is deliberately slow: keep it off the async workers.
    let verified = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => passwords::verify_password(&password, &hash),
        None => {
            passwords::verify_against_dummy(&password);
            false
        }
    })
    .await
    .unwrap_or(false);

    let Some(account) = account.filter(|_| verified) else {
        // The attempt was already counted against both keys.
        // Recorded whether or not the account exists (the log is for admins, who may see that),
        // under the address that was typed (capped).
        tracing::warn!(email = %typed, client = %client, "failed sign-in");
        let mut details = serde_json::json!({ "peer": client.to_string() });
        if altered {
            details["email_truncated"] = serde_json::Value::Bool(true);
        }
        audit(
            &state,
            app::domain::AuditActor::System,
            "auth.sign_in_failed",
            format!("email:{typed}"),
            Some(details.to_string()),
        )
        .await;
        return Ok(back_to_login("invalid", &form.next));
    };

    if let Err(error) = throttle::clear(&state.db, &account_key).await {
        tracing::warn!(%error, "could not clear the sign-in throttle");
    }
    if let Err(error) = throttle::forgive(&state.db, &address_key).await {
        tracing::warn!(%error, "could not take a successful sign-in off the address throttle");
    }
    // A fresh session id on sign-in prevents session fixation.
    let signed_in = async {
        session.cycle_id().await?;
        session.insert(SESSION_USER_KEY, account.user.id).await
    };
    signed_in.await.or_internal("could not start a session")?;
    tracing::info!(user_id = account.user.id, email = %email, "signed in");
    audit(
        &state,
        app::domain::AuditActor::User(app::ssr::access::user_id(account.user.id)),
        "auth.signed_in",
        format!("user:{}", account.user.id),
        None,
    )
    .await;
    Ok(Redirect::to(&safe_next(&form.next)).into_response())
}

/// Records a sign-in event in the audit log, each in its own transaction. The sign-in itself has
/// already happened (or been refused), so a failure to record is logged loudly, not fatal.
async fn audit(
    state: &AppState,
    actor: app::domain::AuditActor,
    action: &str,
    target: String,
    after: Option<String>,
) {
    let entry = app::ssr::access::audit::Entry::new(actor, action, target).after(after);
    if let Err(error) =
        app::ssr::access::audit::record(&state.db, app::ssr::access::now(), entry).await
    {
        tracing::error!(%error, action, "could not record a sign-in event in the audit log");
    }
}

pub async fn logout(State(state): State<AppState>, session: Session) -> Response {
    let user: Option<i64> = session.get(SESSION_USER_KEY).await.ok().flatten();
    if let Err(error) = session.flush().await {
        tracing::error!(%error, "could not end a session");
    }
    if let Some(id) = user {
        audit(
            &state,
            app::domain::AuditActor::User(app::ssr::access::user_id(id)),
            "auth.signed_out",
            format!("user:{id}"),
            None,
        )
        .await;
    }
    Redirect::to("/login?signed_out=1").into_response()
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn setup(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<SetupForm>,
) -> Result<Response, AppError> {
    let back = |code: &str| {
        Redirect::to(&format!(
            "/setup?token={}&error={code}",
            urlencode(&form.token)
        ))
        .into_response()
    };
    let link_is_valid = setup::is_valid(&state.db, &form.token)
        .await
        .or_internal("setup link lookup failed")?;
    if !link_is_valid {
        return Ok(
            Redirect::to(&format!("/setup?token={}", urlencode(&form.token))).into_response(),
        );
    }
    if form.name.trim().is_empty() {
        return Ok(back("name"));
    }
    if app::domain::Email::parse(&form.email).is_err() {
        return Ok(back("email"));
    }
    if form.password.chars().count() < MIN_PASSWORD_CHARS {
        return Ok(back("weak"));
    }
    if form.password != form.password_confirm {
        return Ok(back("mismatch"));
    }
    let password = form.password.clone();
    let hash = tokio::task::spawn_blocking(move || passwords::hash_password(&password))
        .await
        .or_internal("password hashing task failed")?
        .or_internal("could not hash a password")?;
    let created =
        setup::create_first_admin(&state.db, &form.token, &form.email, &form.name, &hash).await;
    let user = match created {
        Ok(user) => user,
        Err(FirstAdminError::LinkInvalid) => {
            return Ok(
                Redirect::to(&format!("/setup?token={}", urlencode(&form.token))).into_response(),
            );
        }
        Err(FirstAdminError::EmailTaken) => return Ok(back("taken")),
        Err(error @ (FirstAdminError::Db(_) | FirstAdminError::Storage(_))) => {
            return Err(error).or_internal("could not create the first admin");
        }
    };
    tracing::info!(user_id = user.id, email = %user.email, "first Super Admin created via setup link");
    let signed_in = async {
        session.cycle_id().await?;
        session.insert(SESSION_USER_KEY, user.id).await
    };
    if let Err(error) = signed_in.await {
        // The account exists; signing in by hand still works.
        tracing::error!(%error, "could not start a session");
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(Redirect::to("/").into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::{NEXT_BASE, safe_next};

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/admin/settings?tab=x"), "/admin/settings?tab=x");
        assert_eq!(safe_next("/requests/42#history"), "/requests/42#history");
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/login",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad}");
        }
    }

    /// Each of these is a way to write another site that a browser follows from a `Location`.
    #[test]
    fn redirects_that_a_browser_would_take_off_site_go_home_instead() {
        let attacks = [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\t\n/evil.example",
            "\t//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "//evil.example",
            "///evil.example",
            "/\t\\evil.example",
            "https:evil.example",
            "https:/evil.example",
            "http://evil.example/",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " //evil.example",
            "\u{0}//evil.example",
            "data:text/html,hi",
        ];
        for attack in attacks {
            assert_eq!(safe_next(attack), "/", "{attack:?}");
        }
    }

    /// What comes back is re-serialised, so a browser reads it as the same local path.
    #[test]
    fn oddly_written_local_paths_stay_local_and_come_back_encoded() {
        let base = url::Url::parse(NEXT_BASE).unwrap();
        for odd in [
            "/%09/evil.example",
            "/ /evil.example",
            "/%2F/evil.example",
            "/a\u{1}b",
            "/\u{7f}x",
            "/./..//evil.example",
        ] {
            let local = safe_next(odd);
            assert!(
                local.starts_with('/') && !local.starts_with("//"),
                "{odd:?} -> {local:?}"
            );
            assert!(
                !local.chars().any(|c| c.is_control() || c == '\\'),
                "{odd:?} -> {local:?}"
            );
            let followed = base.join(&local).unwrap();
            assert_eq!(followed.origin(), base.origin(), "{odd:?} -> {local:?}");
        }
        assert_eq!(safe_next("/%09/evil.example"), "/%09/evil.example");
    }
}
