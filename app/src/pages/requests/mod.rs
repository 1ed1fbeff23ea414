//! Requests: the request form, Assigned to me, my provisioning tasks, My access and My requests
//! (with live status), each a section component; and the request page ([`detail`]) with its
//! history and actions. The sections share the page's actions through [`PageActions`].

mod access;
mod assigned;
mod detail;
mod mine;
mod parts;
mod request_access;
mod tasks;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::approvals::DecideRequest;
use crate::api::grants::{CompleteTask, ReleaseGrant};
use crate::api::requests::CreateRequest;
use crate::components::forms::Saved;

pub use detail::{RequestDetailPage, RequestDetailRoute};

/// The actions of the Requests page, shared by its sections: a section shows the outcome of the
/// ones it submits, and reloads when one that changes its rows succeeds.
#[derive(Clone, Copy)]
struct PageActions {
    create: ServerAction<CreateRequest>,
    decide: ServerAction<DecideRequest>,
    complete: ServerAction<CompleteTask>,
    release: ServerAction<ReleaseGrant>,
    /// A request (or extension) was created: its notice, and the reload of My requests.
    created: Saved,
    /// How many of my requests are closed. My access reloads when it changes: a request that
    /// closed may have granted something.
    closed: RwSignal<usize>,
}

impl PageActions {
    fn new() -> Self {
        PageActions {
            create: ServerAction::new(),
            decide: ServerAction::new(),
            complete: ServerAction::new(),
            release: ServerAction::new(),
            created: Saved::new(),
            closed: RwSignal::new(0),
        }
    }
}

#[component]
pub fn RequestsPage() -> impl IntoView {
    provide_context(PageActions::new());
    view! {
        <Title text="Requests"/>
        <h1>"Requests"</h1>
        <request_access::RequestAccess/>
        <assigned::AssignedToMe/>
        <tasks::MyTasks/>
        <access::MyAccess/>
        <mine::MyRequests/>
    }
}
