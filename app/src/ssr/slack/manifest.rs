//! The Slack app manifest for this Latch: pasting it at api.slack.com/apps creates the app with the
//! right scopes, slash command and request URLs in one step.

use serde_json::json;

use crate::ssr::PublicUrl;
use crate::ssr::slack::{
    BOT_SCOPES, COMMANDS_PATH, EVENTS_PATH, INTERACTIVITY_PATH, OAUTH_CALLBACK_PATH, OPTIONS_PATH,
    SlackConfig,
};

pub const APP_NAME: &str = "Latch";

/// The events Latch subscribes to: the App Home opening, what people write in their DM with the
/// app (`message.im`, for thread comments), and the two that end an installation.
pub const BOT_EVENTS: &[&str] = &[
    "app_home_opened",
    "message.im",
    "app_uninstalled",
    "tokens_revoked",
];

pub fn manifest(config: &SlackConfig, public_url: &PublicUrl) -> serde_json::Value {
    json!({
        "_metadata": { "major_version": 1, "minor_version": 1 },
        "display_information": {
            "name": APP_NAME,
            "description": "Request, approve and review just-in-time access from Slack.",
            "background_color": "#1f2937"
        },
        "features": {
            "app_home": {
                "home_tab_enabled": true,
                "messages_tab_enabled": true,
                "messages_tab_read_only_enabled": false
            },
            "bot_user": { "display_name": APP_NAME, "always_online": true },
            "slash_commands": [{
                "command": config.command,
                "url": public_url.join(COMMANDS_PATH),
                "description": "Request access and manage your grants",
                "usage_hint": "request",
                "should_escape": false
            }]
        },
        "oauth_config": {
            "redirect_urls": [public_url.join(OAUTH_CALLBACK_PATH)],
            "scopes": { "bot": BOT_SCOPES }
        },
        "settings": {
            "event_subscriptions": {
                "request_url": public_url.join(EVENTS_PATH),
                // `message.im`: replies in the threads of Latch's DMs become comments (scope
                // `im:history`, in `BOT_SCOPES`).
                "bot_events": BOT_EVENTS
            },
            "interactivity": {
                "is_enabled": true,
                "request_url": public_url.join(INTERACTIVITY_PATH),
                "message_menu_options_url": public_url.join(OPTIONS_PATH)
            },
            "org_deploy_enabled": true,
            "socket_mode_enabled": false,
            "token_rotation_enabled": false
        }
    })
}

/// The manifest as pretty JSON (Slack accepts JSON or YAML).
pub fn manifest_json(config: &SlackConfig, public_url: &PublicUrl) -> String {
    serde_json::to_string_pretty(&manifest(config, public_url)).unwrap_or_default()
}
