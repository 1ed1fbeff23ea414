use app::api::auth::current_user::GetCurrentUser;
use app::domain::Role;

use crate::helpers::{call_server_fn, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_shows_who_is_signed_in_with_sign_out_and_navigation() {
    let app = spawn_app().await;
    app.sign_in_as("ada@example.com", Role::BasicUser).await;
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("Test Person"), "{html}");
    assert!(html.contains(r#"action="/auth/logout""#));
    for link in ["/requests", "/access-reviews", "/apps"] {
        assert!(
            html.contains(&format!(r#"href="{link}""#)),
            "missing {link}"
        );
    }
    assert!(
        !html.contains(r#"href="/admin/settings""#),
        "non-admins don't see the Admin section"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn super_admins_reach_settings_notifications() {
    let app = spawn_app().await;
    app.sign_in_as("root@example.com", Role::SuperAdmin).await;
    let response = app.get("/admin/settings/notifications").await;
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    // Type-erased views leave a hydration marker before the closing tag.
    assert!(html.contains("<h1>Notifications"), "{html}");
    assert!(html.contains("Slack"));
    assert!(html.contains(r#"href="/admin/settings""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_without_the_role_get_a_403_page_inside_the_layout() {
    let app = spawn_app().await;
    app.sign_in_as("ada@example.com", Role::BasicUser).await;
    for path in ["/admin/settings", "/admin/settings/notifications"] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 403, "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("You don&#x27;t have access to this page")
                || html.contains("You don't have access to this page"),
            "{html}"
        );
        assert!(
            html.contains(r#"action="/auth/logout""#),
            "the layout is kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_get_a_404_inside_the_layout() {
    let app = spawn_app().await;
    app.sign_in_as("ada@example.com", Role::BasicUser).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status().as_u16(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains(r#"action="/auth/logout""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_current_user_server_function_needs_no_hidden_ui_to_be_safe() {
    let app = spawn_app().await;
    let anonymous = call_server_fn(&app, &crate::helpers::client(), GetCurrentUser {}).await;
    assert_eq!(anonymous, Ok(None));

    let user = app.sign_in_as("ada@example.com", Role::BasicUser).await;
    let me = app.call(GetCurrentUser {}).await.unwrap();
    assert_eq!(me, Some(user));
}
