//! Admin > API tokens: create a token for automation (`/api/v1`) with its scopes and an optional
//! expiry, see it this once, list tokens (never their secrets) and revoke them.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::tokens::{CreateApiToken, RevokeApiToken, list_api_tokens};
use crate::components::async_list::list_or_empty;
use crate::components::forms::ActionError;
use crate::components::require::RequireSuperAdmin;
use crate::components::time::utc_minute_ms;
use crate::domain::api_tokens::Scope;
use crate::shapes::ApiTokenRow;

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let rows = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_tokens(),
    );
    let created = move || {
        create.value().get().and_then(Result::ok).map(|created| {
            view! {
                <div class="notice" data-new-token="">
                    <p>{format!("Token \"{}\" created. Copy it now: it is not shown again.", created.row.name)}</p>
                    <p><code class="token">{created.token}</code></p>
                </div>
            }
        })
    };
    view! {
        <Title text="API tokens"/>
        <RequireSuperAdmin>
            <h1>"API tokens"</h1>
            <p class="hint">
                "Tokens let automation call the JSON API under /api/v1 (described at /api/v1/openapi.json) with "
                <code>"Authorization: Bearer <token>"</code>
                ". A token acts as the Super Admin who created it and works only while they are one; every use is in the audit log under its name."
            </p>
            <ActionForm action=create attr:class="stacked">
                <label>"Name"<input name="name" required maxlength="80"/></label>
                <fieldset>
                    <legend>"Scopes"</legend>
                    {Scope::ALL.iter().map(|scope| {
                        let field = scope.as_str().replace(':', "_");
                        view! {
                            <label class="inline"><input type="checkbox" name=field value="on"/>{format!(" {scope}")}</label>
                        }
                    }).collect_view()}
                </fieldset>
                <label>"Expires in (days; empty: never)"<input name="expires_in_days" type="number" min="1" max="3650"/></label>
                <button type="submit" class="button">"Create token"</button>
            </ActionForm>
            <ActionError action=create/>
            {created}
            <ActionError action=revoke/>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    list_or_empty(rows.await, "No API token yet.", |rows| view! {
                        <table class="list">
                            <thead><tr>
                                <th>"Name"</th><th>"Scopes"</th><th>"Created"</th><th>"Expires"</th>
                                <th>"Last used"</th><th>"State"</th><th></th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! { <TokenItem r revoke/> }).collect_view()}
                            </tbody>
                        </table>
                    })
                })}
            </Suspense>
        </RequireSuperAdmin>
    }
}

/// One token, with Revoke while it is live.
#[component]
fn TokenItem(r: ApiTokenRow, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    let state = match (r.revoked_at, r.live) {
        (Some(_), _) => "revoked",
        (None, true) => "live",
        (None, false) => "expired",
    };
    let id = r.id.clone();
    view! {
        <tr data-token=r.id.clone()>
            <td>{r.name.clone()}</td>
            <td>{r.scopes.join(" ")}</td>
            <td>{format!("{} by {}", utc_minute_ms(r.created_at), r.created_by)}</td>
            <td>{r.expires_at.map(utc_minute_ms).unwrap_or_else(|| "never".into())}</td>
            <td>{r.last_used_at.map(utc_minute_ms).unwrap_or_else(|| "never".into())}</td>
            <td>{state}</td>
            <td>
                {(r.revoked_at.is_none()).then(|| view! {
                    <ActionForm action=revoke attr:class="inline">
                        <input type="hidden" name="id" value=id.clone()/>
                        <button type="submit" class="button">"Revoke"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

crate::pages::lazy_page!(TokensRoute, TokensPage);
