//! What a form does after it is submitted, the same way on every page: a refused submission shows
//! its error ([`ActionError`]) and keeps what was typed; a successful one says so, reloads what
//! shows the saved data and empties its form ([`Saved`]).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;

/// The error of an action's last submission, as an alert; nothing before or after a success.
#[component]
pub fn ActionError<S>(action: ServerAction<S>) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    move || {
        action
            .value()
            .with(|last| match last {
                Some(Err(e)) => Some(e.to_string()),
                _ => None,
            })
            .map(|message| view! { <p class="error" role="alert">{message}</p> })
    }
}

/// A success message, optionally ending in a link ("Created REQ-12").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    text: String,
    link: Option<(String, String)>,
}

impl Notice {
    /// `text` followed by a link labelled `label` to `href`.
    pub fn linked(text: impl Into<String>, href: String, label: String) -> Notice {
        Notice {
            text: text.into(),
            link: Some((href, label)),
        }
    }
}

impl From<&str> for Notice {
    fn from(text: &str) -> Notice {
        Notice {
            text: text.to_string(),
            link: None,
        }
    }
}

/// After-save state shared by a page's forms: the notice of the last success, and a version that
/// moves on each success (resources that show the saved data key on [`Saved::version`]). Reloads
/// happen after successes only, so a refused form keeps what was typed.
#[derive(Clone, Copy)]
pub struct Saved {
    version: RwSignal<u32>,
    notice: RwSignal<Option<Notice>>,
}

impl Default for Saved {
    fn default() -> Self {
        Saved::new()
    }
}

impl Saved {
    pub fn new() -> Self {
        Saved {
            version: RwSignal::new(0),
            notice: RwSignal::new(None),
        }
    }

    /// Moves on every success; a resource keyed on it reloads after each save.
    pub fn version(self) -> u32 {
        self.version.get()
    }

    /// Says `notice` (or nothing) and reloads.
    pub fn done(self, notice: Option<Notice>) {
        self.notice.set(notice);
        self.version.update(|v| *v = v.wrapping_add(1));
    }

    /// When `action` succeeds: empty `form` (the reload then shows the stored values), say
    /// `message` and reload. A refused submission clears an earlier success message (its error
    /// takes its place) and leaves the form as typed.
    pub fn after_save<S>(
        self,
        action: ServerAction<S>,
        form: Option<NodeRef<leptos::html::Form>>,
        message: &'static str,
    ) where
        S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: Send + Sync + 'static,
    {
        self.after_save_when(action, form, |_| true, move |_| Some(message.into()));
    }

    /// [`Saved::after_save`] for a form whose section shows the saved value itself: no message.
    pub fn reload_after<S>(self, action: ServerAction<S>)
    where
        S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: Send + Sync + 'static,
    {
        self.after_save_when(action, None, |_| true, |_| None);
    }

    /// [`Saved::after_save`] for actions whose answer says whether it saved (`succeeded`) and
    /// what to say (`notice`).
    pub fn after_save_when<S>(
        self,
        action: ServerAction<S>,
        form: Option<NodeRef<leptos::html::Form>>,
        succeeded: impl Fn(&S::Output) -> bool + Send + Sync + 'static,
        notice: impl Fn(&S::Output) -> Option<Notice> + Send + Sync + 'static,
    ) where
        S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
        S::Output: Send + Sync + 'static,
    {
        Effect::new(move || {
            let outcome = action.value().with(|last| match last {
                Some(Ok(output)) if succeeded(output) => Some(Ok(notice(output))),
                Some(Err(_)) => Some(Err(())),
                _ => None,
            });
            match outcome {
                Some(Ok(notice)) => {
                    if let Some(form) = form.and_then(|f| f.get_untracked()) {
                        form.reset();
                    }
                    self.done(notice);
                }
                Some(Err(())) => self.notice.set(None),
                None => {}
            }
        });
    }

    /// The last success message, if any.
    pub fn notice(self) -> impl IntoView {
        move || {
            self.notice.get().map(|Notice { text, link }| {
                view! {
                    <p class="notice" role="status">
                        {text}
                        {link.map(|(href, label)| view! { <a href=href>{label}</a> })}
                    </p>
                }
            })
        }
    }
}
