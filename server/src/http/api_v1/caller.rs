//! `ApiCaller`: the bearer token of an `/api/v1` call, checked (known, secret matches, not
//! revoked, not expired, its creator still an active Super Admin), else 401. A session cookie
//! is no credential here (the guard lets `/api/v1` through without loading one), so a browser
//! cannot be made to call the API on a signed-in admin's behalf.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use app::domain::UserId;
use app::domain::api_tokens::Endpoint;
use app::ssr::AppState;
use app::ssr::access::Actor;
use app::ssr::api_tokens::{self, Authenticated, Refusal};

use super::ApiError;

/// The token an API call came with.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    token: Authenticated,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .ok_or_else(|| ApiError::unauthorized(Refusal::Missing.to_string()))?;
        match api_tokens::authenticate(&state.db, presented).await? {
            Ok(token) => Ok(ApiCaller { token }),
            Err(refusal) => Err(ApiError::unauthorized(refusal.to_string())),
        }
    }
}

impl ApiCaller {
    /// 403 unless the token has `endpoint`'s scope.
    pub fn require(&self, endpoint: Endpoint) -> Result<(), ApiError> {
        let scope = endpoint.scope();
        if self.token.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "This API token does not have the scope \"{scope}\"."
            )))
        }
    }

    /// Checks that the token has `endpoint`'s scope (else 403) and records the call in the audit
    /// log (`api_token.used`, with the person acted for, if any) before any work is done. Gives
    /// the token's creator, who acts where nobody else is named.
    pub async fn authorize(
        &self,
        state: &AppState,
        endpoint: Endpoint,
        on_behalf_of: Option<&UserId>,
    ) -> Result<Actor, ApiError> {
        self.require(endpoint)?;
        api_tokens::record_use(&state.db, &self.token, endpoint, on_behalf_of).await?;
        Ok(self.token.creator.clone())
    }
}
