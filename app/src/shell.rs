//! The HTML document, the router and the console layout.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::api::auth::current_user::get_current_user;
use crate::components::layout::Layout;
use crate::components::status::NotFound;
use crate::pages;
use crate::session::CurrentUserResource;

/// The whole HTML document the server sends for every console page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The console. Every route renders fully on the server (`SsrMode::Async`) so that pages work
/// without JavaScript and status codes (403, 404) can be set from the data. Only Sign in, Home and
/// Requests are in the main WebAssembly bundle; every other page is a `Lazy` route
/// (`pages::lazy_page!`) whose code loads when it is visited, so the first load stays small
/// (`scripts/wasm-size` holds it to a budget).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(CurrentUserResource(OnceResource::new(get_current_user())));

    view! {
        <Stylesheet id="leptos" href="/pkg/latch.css"/>
        <Title formatter=|page: String| {
            if page.is_empty() { "Latch".to_string() } else { format!("{page} · Latch") }
        }/>
        <Router>
            <Routes fallback=|| view! { <Layout><NotFound/></Layout> }>
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view={Lazy::<pages::setup::SetupRoute>::new()} ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::home::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/requests") view=pages::requests::RequestsPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/requests/:number")
                        view={Lazy::<pages::requests::RequestDetailRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/access-reviews")
                        view={Lazy::<pages::access_reviews::AccessReviewsRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/access-reviews/mine")
                        view={Lazy::<pages::access_reviews::mine::MyReviewsRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/access-reviews/:id")
                        view={Lazy::<pages::access_reviews::detail::CampaignRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/apps") view={Lazy::<pages::apps::AppsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/apps/:slug") view={Lazy::<pages::apps::AppRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/grants") view={Lazy::<pages::admin::grants::GrantsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/removals") view={Lazy::<pages::admin::removals::RemovalsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view={Lazy::<pages::admin::audit::AuditRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/tokens") view={Lazy::<pages::admin::tokens::TokensRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/policies") view={Lazy::<pages::admin::policies::PoliciesRoute>::new()} ssr=SsrMode::Async/>
                    <Route
                        path=path!("/admin/directory")
                        view={Lazy::<pages::admin::directory::DirectoryRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/settings")
                        view={Lazy::<pages::admin::settings::SettingsRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/settings/notifications")
                        view={Lazy::<pages::admin::notifications::NotificationsRoute>::new()}
                        ssr=SsrMode::Async
                    />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn ConsoleLayout() -> impl IntoView {
    view! {
        <Layout>
            <leptos_router::components::Outlet/>
        </Layout>
    }
}
