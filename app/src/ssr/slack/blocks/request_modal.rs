//! The "Submit a request" modal (product.md §a.4) and the app search behind its first field.
//!
//! The modal is rebuilt (with `views.update`) as the person chooses: the app's entitlements appear
//! once an app is chosen, the length and emergency fields once an entitlement that has them is
//! chosen, the custom length input once "Custom…" is chosen. The handlers read the submission by
//! the block and action ids below.

use serde::{Deserialize, Serialize};

use super::{SELECT_OPTIONS_MAX, checkbox_option, clip, option};
use crate::domain::{DurationLimits, GrantLength};
use crate::ssr::slack::api::slack_morphism::prelude::{
    SlackActionId, SlackBlock, SlackBlockCheckboxesElement, SlackBlockChoiceItem,
    SlackBlockExternalSelectElement, SlackBlockId, SlackBlockOptionGroup,
    SlackBlockPlainTextInputElement, SlackBlockPlainTextOnly, SlackBlockStaticSelectElement,
    SlackBlockSuggestionOptionGroups, SlackBlockSuggestionOptions, SlackBlockSuggestionResponse,
    SlackBlockUsersSelectElement, SlackCallbackId, SlackInputBlock, SlackModalView,
};

/// The modal's `callback_id` (its `view_submission` is routed by it).
pub const CALLBACK_ID: &str = "latch_request";
/// "What app do you need?": an `external_select` served by `/slack/options`.
pub const APP_BLOCK: &str = "request_app";
pub const APP_ACTION: &str = "request_app_select";
/// "What entitlement do you need?".
pub const ENTITLEMENT_BLOCK: &str = "request_entitlement";
pub const ENTITLEMENT_ACTION: &str = "request_entitlement_select";
/// "Length of access?": a preset, or [`CUSTOM_LENGTH_VALUE`].
pub const LENGTH_BLOCK: &str = "request_length";
pub const LENGTH_ACTION: &str = "request_length_select";
pub const CUSTOM_LENGTH_VALUE: &str = "custom";
/// The custom length, shown once "Custom…" is chosen ("10d 12h").
pub const CUSTOM_LENGTH_BLOCK: &str = "request_custom_length";
pub const CUSTOM_LENGTH_ACTION: &str = "request_custom_length_input";
/// "Why do you need this access?".
pub const JUSTIFICATION_BLOCK: &str = "request_justification";
pub const JUSTIFICATION_ACTION: &str = "request_justification_input";
pub const JUSTIFICATION_MAX: u64 = 3000;
/// "Emergency access": checked when its [`EMERGENCY_VALUE`] option is selected.
pub const EMERGENCY_BLOCK: &str = "request_emergency";
pub const EMERGENCY_ACTION: &str = "request_emergency_check";
pub const EMERGENCY_VALUE: &str = "emergency";
/// "Request for": a users select; empty means for myself.
pub const SUBJECT_BLOCK: &str = "request_subject";
pub const SUBJECT_ACTION: &str = "request_subject_select";

/// An app in the search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppChoice {
    pub id: String,
    pub name: String,
}

/// One requestable entitlement of the chosen app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementChoice {
    pub id: String,
    /// The app's name ("Engineering Team").
    pub app: String,
    /// The entitlement's name ("admin").
    pub name: String,
    /// Its slug or alias, shown so people can tell same-named entitlements apart.
    pub slug: String,
    /// Its description, or the app's when its own was never edited.
    pub description: String,
    /// Its maximum and the tenant cap: the length field shows only when they bound it.
    pub limits: DurationLimits,
    /// Whether it may be requested as an emergency.
    pub emergency: bool,
}

/// Whom the viewer may request for besides themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFor {
    /// Only themselves: the field is not shown.
    Myself,
    /// Their direct reports (managers).
    Reports,
    /// Any active user (Access Request Helpdesk / Admin, Super Admin).
    Anyone,
}

/// What the modal shows: the person's choices so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestModal {
    pub app: Option<AppChoice>,
    /// The chosen app's requestable entitlements (empty until an app is chosen).
    pub entitlements: Vec<EntitlementChoice>,
    pub entitlement_id: Option<String>,
    /// The chosen length value (a preset such as "1d", or [`CUSTOM_LENGTH_VALUE`]).
    pub length: Option<String>,
    pub request_for: RequestFor,
}

/// What the submission needs that is not in the inputs' state, carried in `private_metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestModalMetadata {
    pub app_id: Option<String>,
    pub entitlement_id: Option<String>,
}

impl RequestModalMetadata {
    pub fn parse(text: &str) -> Option<RequestModalMetadata> {
        serde_json::from_str(text).ok()
    }
}

fn input(
    block: &str,
    label: &str,
    element: impl Into<crate::ssr::slack::api::slack_morphism::prelude::SlackInputBlockElement>,
) -> SlackInputBlock {
    SlackInputBlock::new(SlackBlockPlainTextOnly::from(label), element.into())
        .with_block_id(SlackBlockId(block.into()))
}

/// The option that shows an entitlement: "App — Entitlement (slug)" and its description.
pub fn entitlement_option(e: &EntitlementChoice) -> SlackBlockChoiceItem<SlackBlockPlainTextOnly> {
    let name = if e.slug.is_empty() || e.slug == e.name {
        format!("{} — {}", e.app, e.name)
    } else {
        format!("{} — {} ({})", e.app, e.name, e.slug)
    };
    option(&name, &e.id, Some(&e.description))
}

fn entitlement_select(modal: &RequestModal) -> SlackBlockStaticSelectElement {
    let options: Vec<_> = modal.entitlements.iter().map(entitlement_option).collect();
    let select = SlackBlockStaticSelectElement::new()
        .with_action_id(SlackActionId(ENTITLEMENT_ACTION.into()))
        .with_placeholder("Choose an entitlement".into());
    let select = if options.len() <= SELECT_OPTIONS_MAX {
        select.with_options(options.clone())
    } else {
        // More than a select holds: groups of 100 (Slack allows 100 groups of 100).
        let groups = options
            .chunks(SELECT_OPTIONS_MAX)
            .take(SELECT_OPTIONS_MAX)
            .enumerate()
            .map(|(i, chunk)| {
                let first = i * SELECT_OPTIONS_MAX + 1;
                SlackBlockOptionGroup::new(
                    format!("Entitlements {first}–{}", first + chunk.len() - 1).into(),
                    chunk.to_vec(),
                )
            })
            .collect();
        select.with_option_groups(groups)
    };
    match chosen(modal) {
        Some(e) => select.with_initial_option(entitlement_option(e)),
        None => select,
    }
}

fn chosen(modal: &RequestModal) -> Option<&EntitlementChoice> {
    let id = modal.entitlement_id.as_deref()?;
    modal.entitlements.iter().find(|e| e.id == id)
}

fn length_block(limits: DurationLimits, length: Option<&str>) -> Option<SlackInputBlock> {
    let GrantLength::Limited(max) = limits.effective_max() else {
        return None;
    };
    let mut options: Vec<_> = limits
        .presets()
        .into_iter()
        .map(|p| option(&p.label(), p.as_str(), None))
        .collect();
    // The value is the length written out ("5 minutes"), which the submission parses as any
    // typed length.
    if let Some(max) = limits.maximum_unless_preset() {
        options.push(option(
            &format!("{max} (the most allowed)"),
            &max.to_string(),
            None,
        ));
    }
    options.push(option("Custom…", CUSTOM_LENGTH_VALUE, None));
    let initial = length
        .and_then(|v| options.iter().find(|o| o.value == v))
        .cloned();
    let select = SlackBlockStaticSelectElement::new()
        .with_action_id(SlackActionId(LENGTH_ACTION.into()))
        .with_placeholder("Choose a length".into())
        .with_options(options);
    let select = match initial {
        Some(o) => select.with_initial_option(o),
        None => select,
    };
    Some(
        input(LENGTH_BLOCK, "Length of access?", select)
            .with_hint(format!("At most {max}.").into())
            .with_dispatch_action(true),
    )
}

/// The "Submit a request" modal for the choices so far.
pub fn request_modal(modal: &RequestModal) -> SlackModalView {
    let metadata = RequestModalMetadata {
        app_id: modal.app.as_ref().map(|a| a.id.clone()),
        entitlement_id: chosen(modal).map(|e| e.id.clone()),
    };
    let mut blocks: Vec<SlackBlock> = Vec::new();

    let app_select = SlackBlockExternalSelectElement::new()
        .with_action_id(SlackActionId(APP_ACTION.into()))
        .with_placeholder("Search apps".into())
        .with_min_query_length(0);
    let app_select = match &modal.app {
        Some(app) => app_select.with_initial_option(option(&app.name, &app.id, None)),
        None => app_select,
    };
    blocks.push(
        input(APP_BLOCK, "What app do you need?", app_select)
            .with_dispatch_action(true)
            .into(),
    );

    if modal.app.is_some() {
        if modal.entitlements.is_empty() {
            blocks.push(
                crate::ssr::slack::api::slack_morphism::prelude::SlackSectionBlock::new()
                    .with_text(
                        crate::ssr::slack::api::slack_morphism::prelude::SlackBlockText::from(
                            SlackBlockPlainTextOnly::from(
                                "You cannot request anything in this app. Choose another app.",
                            ),
                        ),
                    )
                    .into(),
            );
        } else {
            blocks.push(
                input(
                    ENTITLEMENT_BLOCK,
                    "What entitlement do you need?",
                    entitlement_select(modal),
                )
                .with_dispatch_action(true)
                .into(),
            );
        }
    }

    let entitlement = chosen(modal);
    if let Some(e) = entitlement
        && let Some(length) = length_block(e.limits, modal.length.as_deref())
    {
        blocks.push(length.into());
        if modal.length.as_deref() == Some(CUSTOM_LENGTH_VALUE) {
            blocks.push(
                input(
                    CUSTOM_LENGTH_BLOCK,
                    "Custom length",
                    SlackBlockPlainTextInputElement::new()
                        .with_action_id(SlackActionId(CUSTOM_LENGTH_ACTION.into()))
                        .with_placeholder("e.g. 8h, 3d or 2w".into())
                        .with_max_length(50),
                )
                .into(),
            );
        }
    }

    blocks.push(
        input(
            JUSTIFICATION_BLOCK,
            "Why do you need this access?",
            SlackBlockPlainTextInputElement::new()
                .with_action_id(SlackActionId(JUSTIFICATION_ACTION.into()))
                .with_multiline(true)
                .with_min_length(1)
                .with_max_length(JUSTIFICATION_MAX),
        )
        .into(),
    );

    if entitlement.is_some_and(|e| e.emergency) {
        blocks.push(
            input(
                EMERGENCY_BLOCK,
                "Emergency access",
                SlackBlockCheckboxesElement::new(vec![checkbox_option(
                    "This is an emergency",
                    EMERGENCY_VALUE,
                )])
                .with_action_id(SlackActionId(EMERGENCY_ACTION.into())),
            )
            .with_optional(true)
            .into(),
        );
    }

    let subject_hint = match modal.request_for {
        RequestFor::Myself => None,
        RequestFor::Reports => {
            Some("Leave empty to request for yourself, or choose one of your reports.")
        }
        RequestFor::Anyone => {
            Some("Leave empty to request for yourself, or choose any active person.")
        }
    };
    if let Some(hint) = subject_hint {
        blocks.push(
            input(
                SUBJECT_BLOCK,
                "Request for",
                SlackBlockUsersSelectElement::new()
                    .with_action_id(SlackActionId(SUBJECT_ACTION.into()))
                    .with_placeholder("Myself".into()),
            )
            .with_optional(true)
            .with_hint(hint.into())
            .into(),
        );
    }

    SlackModalView::new("Submit a request".into(), blocks)
        .with_submit("Submit".into())
        .with_close("Cancel".into())
        .with_callback_id(SlackCallbackId(CALLBACK_ID.into()))
        .with_private_metadata(serde_json::to_string(&metadata).unwrap_or_default())
}

/// The answer to the app search (`block_suggestion` for [`APP_ACTION`]): the apps whose name
/// contains `query` (case-insensitive), by name. More than 100 matches cannot be shown: the first
/// 100 come under a group label asking to refine the search.
pub fn request_options(apps: &[AppChoice], query: &str) -> SlackBlockSuggestionResponse {
    let needle = query.trim().to_lowercase();
    let mut matches: Vec<&AppChoice> = apps
        .iter()
        .filter(|a| a.name.to_lowercase().contains(&needle))
        .collect();
    matches.sort_by_key(|a| a.name.to_lowercase());
    let total = matches.len();
    let options: Vec<_> = matches
        .into_iter()
        .take(SELECT_OPTIONS_MAX)
        .map(|a| option(&a.name, &a.id, None))
        .collect();
    if total <= SELECT_OPTIONS_MAX {
        SlackBlockSuggestionResponse::Options(SlackBlockSuggestionOptions::new(options))
    } else {
        let label = clip(
            &format!("{total} apps match: type more of the name to narrow them"),
            super::OPTION_TEXT_MAX,
        );
        SlackBlockSuggestionResponse::OptionGroups(SlackBlockSuggestionOptionGroups::new(vec![
            SlackBlockOptionGroup::new(label.into(), options),
        ]))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::super::check::assert_view_accepted;
    use super::*;
    use crate::domain::{GrantDuration, GrantLength};
    use crate::ssr::slack::api::slack_morphism::prelude::SlackView;
    use serde_json::Value;

    fn limits(max: GrantLength) -> DurationLimits {
        DurationLimits {
            entitlement_max: max,
            tenant_cap: None,
        }
    }

    fn entitlement(i: usize, max: GrantLength, emergency: bool) -> EntitlementChoice {
        EntitlementChoice {
            id: format!("ent-{i}"),
            app: "Engineering Team".into(),
            name: format!("admin {i}"),
            slug: format!("eng-admin-{i}"),
            description: "Full control of the engineering workspace".into(),
            limits: limits(max),
            emergency,
        }
    }

    fn app() -> AppChoice {
        AppChoice {
            id: "app-1".into(),
            name: "Engineering Team".into(),
        }
    }

    fn json(view: &SlackModalView) -> Value {
        let view = SlackView::Modal(view.clone());
        assert_view_accepted(&view);
        serde_json::to_value(&view).unwrap()
    }

    fn block<'a>(view: &'a Value, block_id: &str) -> Option<&'a Value> {
        view["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["block_id"] == block_id)
    }

    fn labels(view: &Value) -> Vec<String> {
        view["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|b| b["label"]["text"].as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn blocks_request_modal_before_an_app_is_chosen_asks_only_for_the_app_and_the_reason() {
        let view = json(&request_modal(&RequestModal {
            app: None,
            entitlements: vec![],
            entitlement_id: None,
            length: None,
            request_for: RequestFor::Myself,
        }));
        assert_eq!(view["title"]["text"], "Submit a request");
        assert_eq!(view["submit"]["text"], "Submit");
        assert_eq!(view["close"]["text"], "Cancel");
        assert_eq!(view["callback_id"], CALLBACK_ID);
        assert_eq!(
            labels(&view),
            ["What app do you need?", "Why do you need this access?"]
        );
        let app = block(&view, APP_BLOCK).unwrap();
        assert_eq!(app["dispatch_action"], true);
        assert_eq!(app["element"]["type"], "external_select");
        assert_eq!(app["element"]["min_query_length"], 0);
        assert_eq!(app["element"]["action_id"], APP_ACTION);
        let why = block(&view, JUSTIFICATION_BLOCK).unwrap();
        assert_eq!(why["element"]["multiline"], true);
        assert!(why.get("optional").is_none_or(|o| o == false));
    }

    #[test]
    fn blocks_request_modal_with_a_bounded_entitlement_offers_presets_under_the_maximum_and_custom()
    {
        let e = entitlement(1, GrantLength::Limited(GrantDuration::days(3)), true);
        let view = json(&request_modal(&RequestModal {
            app: Some(app()),
            entitlements: vec![e.clone()],
            entitlement_id: Some(e.id.clone()),
            length: Some(CUSTOM_LENGTH_VALUE.into()),
            request_for: RequestFor::Reports,
        }));
        assert_eq!(
            labels(&view),
            [
                "What app do you need?",
                "What entitlement do you need?",
                "Length of access?",
                "Custom length",
                "Why do you need this access?",
                "Emergency access",
                "Request for",
            ]
        );
        let options: Vec<&str> = block(&view, LENGTH_BLOCK).unwrap()["element"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["text"]["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            options,
            ["1 hour", "4 hours", "8 hours", "1 day", "3 days", "Custom…"]
        );
        let ent = block(&view, ENTITLEMENT_BLOCK).unwrap();
        assert_eq!(
            ent["element"]["options"][0]["text"]["text"],
            "Engineering Team — admin 1 (eng-admin-1)"
        );
        assert_eq!(
            ent["element"]["options"][0]["description"]["text"],
            "Full control of the engineering workspace"
        );
        let metadata = RequestModalMetadata::parse(view["private_metadata"].as_str().unwrap());
        assert_eq!(
            metadata,
            Some(RequestModalMetadata {
                app_id: Some("app-1".into()),
                entitlement_id: Some("ent-1".into()),
            })
        );
    }

    #[test]
    fn blocks_request_modal_offers_a_maximum_shorter_than_every_preset_as_a_choice() {
        let five_minutes = GrantDuration::from_secs(300).unwrap();
        let e = entitlement(1, GrantLength::Limited(five_minutes), false);
        let view = json(&request_modal(&RequestModal {
            app: Some(app()),
            entitlements: vec![e.clone()],
            entitlement_id: Some(e.id.clone()),
            length: None,
            request_for: RequestFor::Myself,
        }));
        let options: Vec<(&str, &str)> = block(&view, LENGTH_BLOCK).unwrap()["element"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["text"]["text"].as_str().unwrap(),
                    o["value"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            options,
            [
                ("5 minutes (the most allowed)", "5 minutes"),
                ("Custom…", CUSTOM_LENGTH_VALUE)
            ]
        );
        // The value is what the submission parses, as a typed length is.
        assert_eq!(
            "5 minutes".parse::<crate::domain::DurationChoice>(),
            Ok(crate::domain::DurationChoice::Custom(five_minutes))
        );
    }

    #[test]
    fn blocks_request_modal_for_an_indefinite_entitlement_shows_no_length_and_never_zero_seconds() {
        let e = entitlement(1, GrantLength::Indefinite, false);
        let modal = request_modal(&RequestModal {
            app: Some(app()),
            entitlements: vec![e.clone()],
            entitlement_id: Some(e.id.clone()),
            length: None,
            request_for: RequestFor::Myself,
        });
        let view = json(&modal);
        assert_eq!(
            labels(&view),
            [
                "What app do you need?",
                "What entitlement do you need?",
                "Why do you need this access?",
            ]
        );
        let text = view.to_string();
        assert!(!text.contains("0 seconds"), "{text}");
        assert!(!text.contains("Emergency"), "{text}");
    }

    #[test]
    fn blocks_request_modal_stays_within_slack_limits_with_long_names_and_many_entitlements() {
        let long = "Ж".repeat(400);
        let entitlements: Vec<EntitlementChoice> = (0..250)
            .map(|i| EntitlementChoice {
                app: long.clone(),
                name: long.clone(),
                slug: long.clone(),
                description: long.clone(),
                ..entitlement(i, GrantLength::Limited(GrantDuration::days(90)), true)
            })
            .collect();
        let view = json(&request_modal(&RequestModal {
            app: Some(AppChoice {
                id: "app-1".into(),
                name: long.clone(),
            }),
            entitlements: entitlements.clone(),
            entitlement_id: Some("ent-200".into()),
            length: Some("1w".into()),
            request_for: RequestFor::Anyone,
        }));
        let groups = block(&view, ENTITLEMENT_BLOCK).unwrap()["element"]["option_groups"]
            .as_array()
            .unwrap()
            .clone();
        let shown: usize = groups
            .iter()
            .map(|g| g["options"].as_array().unwrap().len())
            .sum();
        assert_eq!(shown, 250, "every entitlement is offered");
        let length = block(&view, LENGTH_BLOCK).unwrap();
        assert_eq!(length["element"]["initial_option"]["value"], "1w");
        assert_eq!(length["hint"]["text"], "At most 12 weeks 6 days.");
    }

    #[test]
    fn blocks_request_modal_for_an_app_without_requestable_entitlements_says_so() {
        let view = json(&request_modal(&RequestModal {
            app: Some(app()),
            entitlements: vec![],
            entitlement_id: None,
            length: None,
            request_for: RequestFor::Myself,
        }));
        assert!(block(&view, ENTITLEMENT_BLOCK).is_none());
        assert!(
            view.to_string()
                .contains("You cannot request anything in this app")
        );
    }

    fn apps(n: usize, name: &str) -> Vec<AppChoice> {
        (0..n)
            .map(|i| AppChoice {
                id: format!("app-{i}"),
                name: format!("{name} {i:03}"),
            })
            .collect()
    }

    fn answer(response: &SlackBlockSuggestionResponse) -> Value {
        let json = serde_json::to_value(response).unwrap();
        slack_standin::blockkit::check_options_answer(&json)
            .unwrap_or_else(|e| panic!("Slack would refuse this answer: {e:?}\n{json}"));
        json
    }

    #[test]
    fn blocks_request_options_match_by_name_case_insensitively_in_order() {
        let mut list = apps(3, "Figma");
        list.push(AppChoice {
            id: "gh".into(),
            name: "GitHub".into(),
        });
        let json = answer(&request_options(&list, "  figMA "));
        let names: Vec<&str> = json["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["text"]["text"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Figma 000", "Figma 001", "Figma 002"]);
        let empty = answer(&request_options(&list, "nothing like it"));
        assert_eq!(empty["options"].as_array().unwrap().len(), 0);
        let all = answer(&request_options(&list, ""));
        assert_eq!(all["options"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn blocks_request_options_with_more_than_100_matches_ask_to_refine_the_search() {
        let exactly = answer(&request_options(&apps(100, "App"), "app"));
        assert_eq!(exactly["options"].as_array().unwrap().len(), 100);
        let json = answer(&request_options(&apps(150, "App"), "app"));
        let group = &json["option_groups"][0];
        assert_eq!(
            group["label"]["text"],
            "150 apps match: type more of the name to narrow them"
        );
        assert_eq!(group["options"].as_array().unwrap().len(), 100);
        let long = answer(&request_options(&apps(3, &"L".repeat(300)), ""));
        assert!(
            long["options"][0]["text"]["text"]
                .as_str()
                .unwrap()
                .ends_with('…')
        );
    }
}
