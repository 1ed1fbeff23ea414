//! Markdown (app instructions) to HTML that is safe to put in a page.
//!
//! Instructions are written by admins but shown to everyone who requests or provisions access, so
//! the output must not carry script: raw HTML in the source is shown as text, and links may only
//! go to http(s), mailto or this site. Images become links (no third-party fetches from our pages).

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// Renders `markdown` as sanitised HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            dest_url,
            title,
            id,
            ..
        }) => Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let allowed = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (lower.starts_with('/') && !lower.starts_with("//"))
        || lower.starts_with('#');
    if allowed { url } else { CowStr::Borrowed("#") }
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_becomes_html() {
        let html = to_safe_html(
            "Add the user to **admins**:\n\n1. Open [the console](https://db.example.com)\n2. Run `grant`",
        );
        assert!(html.contains("<strong>admins</strong>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://db.example.com">the console</a>"#),
            "{html}"
        );
        assert!(
            html.contains("<ol>") && html.contains("<code>grant</code>"),
            "{html}"
        );
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_safe_html("Hi <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_web_mail_and_local_links_survive() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "//evil.example/x",
            "vbscript:x",
        ] {
            let html = to_safe_html(&format!("[x]({bad})"));
            assert!(html.contains(r##"href="#""##), "{bad}: {html}");
        }
        for good in [
            "https://a.example/x",
            "mailto:it@example.com",
            "/requests",
            "#step-2",
        ] {
            let html = to_safe_html(&format!("[x]({good})"));
            assert!(
                html.contains(&format!(r#"href="{good}""#)),
                "{good}: {html}"
            );
        }
    }

    #[test]
    fn images_become_links() {
        let html = to_safe_html("![diagram](https://img.example/d.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(r#"<a href="https://img.example/d.png">diagram</a>"#),
            "{html}"
        );
    }
}
