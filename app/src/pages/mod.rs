//! One module per console page.

pub mod access_reviews;
pub mod admin;
pub mod apps;
pub mod home;
pub mod login;
pub mod requests;
pub mod setup;

/// Declares `$route`, a lazily loaded route for the page component `$page`.
///
/// With `cargo leptos build --split` the page's code goes into its own WebAssembly chunk, which
/// the browser fetches only when the page is visited (or, on a direct visit, in parallel with
/// the main bundle: the server names the chunk in a preload link). The server renders the page as
/// before, so it works without JavaScript. Used for pages most people never open (the admin
/// pages), so that the first page load stays small as the console grows.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        #[doc = concat!("The lazily loaded route for [`", stringify!($page), "`].")]
        #[derive(Debug)]
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> leptos::prelude::AnyView {
                leptos::prelude::IntoAny::into_any(leptos::prelude::view! { <$page/> })
            }
        }
    };
}
pub(crate) use lazy_page;
