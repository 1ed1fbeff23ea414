//! Page guards. They only decide what to render: every server function checks authorization
//! again on the server, and the server's middleware already answers 403 for admin paths.

use leptos::prelude::*;

use crate::components::status::{Forbidden, ServerError};
use crate::session::CurrentUserResource;

/// Renders its children for Super Admins and the 403 page for everyone else.
#[component]
pub fn RequireSuperAdmin(children: ChildrenFn) -> impl IntoView {
    let user = expect_context::<CurrentUserResource>().0;
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) if user.is_super_admin() => {
                        children.with_value(|children| children()).into_any()
                    }
                    Ok(_) => view! { <Forbidden/> }.into_any(),
                    Err(_) => view! { <ServerError/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
