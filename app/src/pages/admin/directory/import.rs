//! CSV import of people: all rows apply, or none and every bad row is listed.

use leptos::prelude::*;

use super::DirectoryActions;
use crate::api::directory::ImportDirectoryCsv;
use crate::shapes::ImportOutcome;

#[component]
pub(super) fn ImportCsv() -> impl IntoView {
    let DirectoryActions { saved, .. } = expect_context();
    let import = ServerAction::<ImportDirectoryCsv>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    // The outcome below says what was imported; a rejected file stays in the box to fix.
    saved.after_save_when(
        import,
        Some(form),
        |outcome| matches!(outcome, ImportOutcome::Imported { .. }),
        |_| None,
    );
    view! {
        <section class="card">
            <h2>"Import from CSV"</h2>
            <p>"Columns: email, name, manager_email, department, title, groups (separated by ;). If any row is wrong, nothing changes."</p>
            <ActionForm action=import node_ref=form attr:class="stacked">
                <textarea name="csv" rows="8" placeholder="email,name,manager_email,department,title,groups"></textarea>
                <button type="submit" class="button primary">"Import"</button>
            </ActionForm>
            {move || import.value().get().map(|r| match r {
                Ok(ImportOutcome::Imported { created, updated }) => view! {
                    <p class="notice" role="status">{format!("Imported: {created} new, {updated} updated.")}</p>
                }.into_any(),
                Ok(ImportOutcome::Rejected(errors)) => view! {
                    <div class="error" role="alert">
                        <p>"Nothing was imported. Fix these rows and try again:"</p>
                        <ul>{errors.into_iter().map(|e| view! { <li>{e.to_string()}</li> }).collect_view()}</ul>
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </section>
    }
}
