//! Sign-in, sign-out and first-run setup: plain HTML form posts, so they work without JavaScript.
//! Every outcome is a redirect; failures carry only a short code the page turns into a message.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use tower_sessions::Session;

use app::ssr::auth::SESSION_USER_KEY;
use app::ssr::passwords::{self, MIN_PASSWORD_CHARS};
use app::ssr::setup::{self, FirstAdminError};
use app::ssr::throttle::{self, ACCOUNT_POLICY, ADDRESS_POLICY};
use app::ssr::{users, AppState};

use super::guard::{error_page, urlencode};

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Only local paths are followed after sign-in (no open redirects).
pub fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local && !next.starts_with("/login") { next } else { "/" }
}

fn back_to_login(code: &str, next: &str) -> Response {
    let next = safe_next(next);
    let target = if next == "/" {
        format!("/login?error={code}")
    } else {
        format!("/login?error={code}&next={}", urlencode(next))
    };
    Redirect::to(&target).into_response()
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Response {
    let email = form.email.trim().to_lowercase();
    if email.is_empty() || form.password.is_empty() {
        return back_to_login("missing", &form.next);
    }
    let account_key = throttle::account_key(&email);
    let address_key = throttle::address_key(&peer.ip().to_string());

    let wait = async {
        let account = throttle::wait_ms(&state.db, &account_key, ACCOUNT_POLICY).await?;
        let address = throttle::wait_ms(&state.db, &address_key, ADDRESS_POLICY).await?;
        Ok::<_, sqlx::Error>(account.max(address))
    };
    match wait.await {
        Ok(0) => {}
        Ok(ms) => {
            tracing::warn!(email = %email, peer = %peer.ip(), wait_ms = ms, "sign-in throttled");
            return back_to_login("throttled", &form.next);
        }
        Err(error) => {
            tracing::error!(%error, "sign-in throttle lookup failed");
            return error_page(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        }
    }

    let account = match users::find_by_email(&state.db, &email).await {
        Ok(account) => account,
        Err(error) => {
            tracing::error!(%error, "sign-in lookup failed");
            return error_page(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let password = form.password.clone();
    let stored = account.as_ref().filter(|a| a.active).and_then(|a| a.password_hash.clone());
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
        for key in [&account_key, &address_key] {
            if let Err(error) = throttle::record_failure(&state.db, key).await {
                tracing::error!(%error, "could not record a failed sign-in");
            }
        }
        tracing::warn!(email = %email, peer = %peer.ip(), "failed sign-in");
        // Recorded whether or not the account exists (the log is for admins, who may see that),
        // under the address that was typed; throttling bounds how fast these can pile up.
        audit(
            &state,
            app::domain::AuditActor::System,
            "auth.sign_in_failed",
            format!("email:{}", email.to_lowercase()),
            Some(serde_json::json!({ "peer": peer.ip().to_string() }).to_string()),
        )
        .await;
        return back_to_login("invalid", &form.next);
    };

    if let Err(error) = throttle::clear(&state.db, &account_key).await {
        tracing::warn!(%error, "could not clear the sign-in throttle");
    }
    // A fresh session id on sign-in prevents session fixation.
    let signed_in = async {
        session.cycle_id().await?;
        session.insert(SESSION_USER_KEY, account.user.id).await
    };
    if let Err(error) = signed_in.await {
        tracing::error!(%error, "could not start a session");
        return error_page(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
    tracing::info!(user_id = account.user.id, email = %email, "signed in");
    audit(
        &state,
        app::domain::AuditActor::User(app::ssr::access::user_id(account.user.id)),
        "auth.signed_in",
        format!("user:{}", account.user.id),
        None,
    )
    .await;
    Redirect::to(safe_next(&form.next)).into_response()
}

/// Records a sign-in event in the audit log, each in its own transaction. The sign-in itself has
/// already happened (or been refused), so a failure to record is logged loudly, not fatal.
async fn audit(state: &AppState, actor: app::domain::AuditActor, action: &str, target: String, after: Option<String>) {
    let entry = app::ssr::access::audit::Entry::new(actor, action, target).after(after);
    if let Err(error) = app::ssr::access::audit::record(&state.db, app::ssr::access::now(), entry).await {
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

pub async fn setup(State(state): State<AppState>, session: Session, Form(form): Form<SetupForm>) -> Response {
    let back = |code: &str| {
        Redirect::to(&format!("/setup?token={}&error={code}", urlencode(&form.token))).into_response()
    };
    match setup::is_valid(&state.db, &form.token).await {
        Ok(true) => {}
        Ok(false) => return Redirect::to(&format!("/setup?token={}", urlencode(&form.token))).into_response(),
        Err(error) => {
            tracing::error!(%error, "setup link lookup failed");
            return error_page(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
    if form.name.trim().is_empty() {
        return back("name");
    }
    if !users::is_plausible_email(&form.email) {
        return back("email");
    }
    if form.password.chars().count() < MIN_PASSWORD_CHARS {
        return back("weak");
    }
    if form.password != form.password_confirm {
        return back("mismatch");
    }
    let password = form.password.clone();
    let hash = match tokio::task::spawn_blocking(move || passwords::hash_password(&password)).await {
        Ok(Ok(hash)) => hash,
        Ok(Err(error)) => {
            tracing::error!(%error, "could not hash a password");
            return error_page(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        }
        Err(error) => {
            tracing::error!(%error, "password hashing task failed");
            return error_page(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    match setup::create_first_admin(&state.db, &form.token, &form.email, &form.name, &hash).await {
        Ok(user) => {
            tracing::info!(user_id = user.id, email = %user.email, "first Super Admin created via setup link");
            let signed_in = async {
                session.cycle_id().await?;
                session.insert(SESSION_USER_KEY, user.id).await
            };
            if let Err(error) = signed_in.await {
                tracing::error!(%error, "could not start a session");
                return Redirect::to("/login").into_response();
            }
            Redirect::to("/").into_response()
        }
        Err(FirstAdminError::LinkInvalid) => {
            Redirect::to(&format!("/setup?token={}", urlencode(&form.token))).into_response()
        }
        Err(FirstAdminError::EmailTaken) => back("taken"),
        Err(error @ (FirstAdminError::Db(_) | FirstAdminError::Storage(_))) => {
            tracing::error!(%error, "could not create the first admin");
            error_page(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/admin/settings?tab=x"), "/admin/settings?tab=x");
        for bad in ["", "https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", "/login"] {
            assert_eq!(safe_next(bad), "/", "{bad}");
        }
    }
}
