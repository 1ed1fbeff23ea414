//! The directory: people (manager, department, title, status, roles), groups, and CSV import. Every
//! change goes through one [`Saved`]: its notice at the top, and a reload of people and groups
//! after each success.

mod groups;
mod import;
mod people;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::directory::{
    DeleteGroup, RemoveGroupMember, SetDirectoryRole, UpdateDirectoryUser,
};
use crate::components::forms::{ActionError, Saved};
use crate::components::require::RequireSuperAdmin;

/// The actions rows submit, and the page's after-save state.
#[derive(Clone, Copy)]
struct DirectoryActions {
    update: ServerAction<UpdateDirectoryUser>,
    set_role: ServerAction<SetDirectoryRole>,
    remove: ServerAction<RemoveGroupMember>,
    delete: ServerAction<DeleteGroup>,
    saved: Saved,
}

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let actions = DirectoryActions {
        update: ServerAction::new(),
        set_role: ServerAction::new(),
        remove: ServerAction::new(),
        delete: ServerAction::new(),
        saved: Saved::new(),
    };
    let DirectoryActions {
        update,
        set_role,
        remove,
        delete,
        saved,
    } = actions;
    saved.after_save(update, None, "Person saved.");
    saved.after_save(set_role, None, "Roles saved.");
    saved.after_save(remove, None, "Member removed.");
    saved.after_save(delete, None, "Group deleted.");
    provide_context(actions);
    view! {
        <Title text="Directory"/>
        <RequireSuperAdmin>
            <h1>"Directory"</h1>
            {saved.notice()}
            <ActionError action=update/>
            <ActionError action=set_role/>
            <people::People/>
            <groups::Groups/>
            <groups::NewGroup/>
            <import::ImportCsv/>
        </RequireSuperAdmin>
    }
}

crate::pages::lazy_page!(DirectoryRoute, DirectoryPage);
