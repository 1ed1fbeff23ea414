//! The Slack app manifest: download it, copy it, or read it in the box.

use leptos::prelude::*;

/// Percent-encodes for a `data:` URL (everything but unreserved characters).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Puts `text` on the clipboard (in the browser; clicks never run on the server).
#[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        #[wasm_bindgen::prelude::wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(js_namespace = ["navigator", "clipboard"], js_name = writeText)]
            fn write_text(text: &str) -> wasm_bindgen::JsValue;
        }
        // The returned promise settles on its own; a refusal leaves the text in the box to copy.
        let _ = write_text(text);
    }
}

#[component]
pub(super) fn Manifest(manifest: String, command: String, redirect_url: String) -> impl IntoView {
    let download = format!(
        "data:application/json;charset=utf-8,{}",
        percent_encode(&manifest)
    );
    let to_copy = manifest.clone();
    view! {
        <div class="slack-manifest" id="slack-manifest-section">
            <h3>"App manifest"</h3>
            <p>
                "Creating the Slack app is one paste: at api.slack.com/apps choose Create New App, From an app manifest, and paste this. It sets the bot scopes, the "
                <code>{command}</code>
                " slash command and the redirect, interactivity, events and options URLs of this Latch (redirect: "
                <code>{redirect_url}</code>
                ")."
            </p>
            <p>
                <a class="button" href=download download="latch-slack-manifest.json">
                    "Download manifest"
                </a>
                " "
                // A handler in the WebAssembly half, not an inline `onclick`: the
                // Content-Security-Policy allows no inline event handlers.
                <button type="button" on:click=move |_| copy_to_clipboard(&to_copy)>
                    "Copy manifest"
                </button>
            </p>
            <textarea id="slack-manifest" readonly rows="16" cols="80">
                {manifest}
            </textarea>
        </div>
    }
}
