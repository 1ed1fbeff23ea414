//! The catalog as the apps page (and the request and grant lists) show it. Everything built here
//! reaches a browser, so a viewer gets only the entitlements they may see, and only Super Admins
//! get the parts the edit forms need (versions, webhook addresses, provisioners' instructions).

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{App, CatalogViewer, Entitlement, UserId, Visibility};
use crate::shapes::{AppAdmin, AppListing, CatalogEntitlement, CatalogOverview, ProvisioningKind};
use crate::ssr::access::settings::{self, Managed};
use crate::ssr::access::{AccessResult, catalog, policies};
use crate::ssr::db::Db;

/// (app name, entitlement display name) for every entitlement id, for listing rows.
pub(crate) async fn entitlement_labels(
    db: &Db,
) -> AccessResult<BTreeMap<String, (String, String)>> {
    let mut labels = BTreeMap::new();
    for stored in catalog::list(db).await? {
        for (e, _) in stored.entitlements {
            labels.insert(
                e.id.to_string(),
                (stored.app.name.clone(), e.display_name.clone()),
            );
        }
    }
    Ok(labels)
}

/// `stored` as a catalog entry, with its admin part only for an admin viewer.
fn entry(
    stored: &Entitlement,
    version: u64,
    app: &App,
    admin: bool,
    managed: &BTreeMap<String, String>,
) -> CatalogEntitlement {
    CatalogEntitlement {
        managed_by: admin
            .then(|| managed.get(stored.id.as_str()).cloned())
            .flatten(),
        id: stored.id.clone(),
        slug: stored.slug.clone(),
        display_name: stored.display_name.clone(),
        description: stored.description.clone(),
        alias: stored.alias.clone(),
        risk: stored.risk,
        owner_users: stored.owner_users.clone(),
        max_duration: stored.max_duration,
        request_policy: stored.request_policy.clone(),
        effective_request_policy: stored.request_policy_for(app),
        emergency_policy: stored.emergency_policy.clone(),
        provisioning: match &stored.provisioning {
            crate::domain::ProvisioningMethod::Manual { provisioners, .. } => {
                ProvisioningKind::Manual {
                    provisioners: provisioners.clone(),
                }
            }
            crate::domain::ProvisioningMethod::Webhook { .. } => ProvisioningKind::Webhook,
        },
        visibility: stored.visibility.clone(),
        admin: admin.then(|| crate::shapes::EntitlementAdmin {
            stored: stored.clone(),
            version,
        }),
    }
}

/// The catalog as `viewer` may see it: admins get every entitlement with the edit forms' parts;
/// everyone else only the entitlements visible to their groups (`domain::can_see`), without them.
pub async fn apps_for(db: &Db, viewer: CatalogViewer<'_>) -> AccessResult<Vec<AppListing>> {
    let admin = viewer.is_admin();
    let managed_apps = settings::managed_files(db, Managed::App).await?;
    let managed_entitlements = settings::managed_files(db, Managed::Entitlement).await?;
    Ok(catalog::list(db)
        .await?
        .into_iter()
        .map(|stored| AppListing {
            entitlements: stored
                .entitlements
                .iter()
                .filter(|(e, _)| match viewer {
                    CatalogViewer::Admin => true,
                    CatalogViewer::Member { groups } => crate::domain::can_see(e, groups),
                })
                .map(|(e, version)| entry(e, *version, &stored.app, admin, &managed_entitlements))
                .collect(),
            instructions_html: stored
                .app
                .instructions
                .as_deref()
                .map(crate::ssr::markdown::to_safe_html),
            admin: admin.then_some(AppAdmin {
                version: stored.version,
            }),
            managed_by: admin
                .then(|| managed_apps.get(stored.app.id.as_str()).cloned())
                .flatten(),
            description: stored.description,
            app: stored.app,
        })
        .collect())
}

/// The catalog as the apps page shows it to `viewer` ([`apps_for`]), with the names behind the
/// ids it shows.
pub async fn overview(db: &Db, viewer: CatalogViewer<'_>) -> AccessResult<CatalogOverview> {
    let apps = apps_for(db, viewer).await?;
    let mut people_ids: BTreeSet<String> = BTreeSet::new();
    let mut group_ids: BTreeSet<String> = BTreeSet::new();
    let ids = |users: &[UserId]| users.iter().map(|u| u.to_string()).collect::<Vec<_>>();
    for l in &apps {
        people_ids.extend(ids(&l.app.owners));
        for e in &l.entitlements {
            people_ids.extend(ids(&e.owner_users));
            if let ProvisioningKind::Manual { provisioners } = &e.provisioning {
                people_ids.extend(ids(provisioners));
            }
            if let Visibility::Groups(gs) = &e.visibility {
                group_ids.extend(gs.iter().map(|g| g.to_string()));
            }
        }
    }
    let mut out = CatalogOverview {
        apps,
        // Shown as unset when unreadable; requests are refused meanwhile (see `tenant`), with a
        // message telling the admin to set it again here.
        grant_cap_days: catalog::tenant(db)
            .await
            .ok()
            .and_then(|t| t.max_grant_duration)
            .map(|d| d.as_secs() / 86_400),
        ..CatalogOverview::default()
    };
    let emails: Vec<(i64, String)> = sqlx::query_as("SELECT id, email FROM users")
        .fetch_all(&db.pool)
        .await?;
    for (id, email) in emails {
        let id = id.to_string();
        if people_ids.contains(&id) {
            out.people.insert(id, email);
        }
    }
    let groups: Vec<(String, String)> = sqlx::query_as("SELECT id, name FROM groups")
        .fetch_all(&db.pool)
        .await?;
    for (id, name) in groups {
        // Admins pick groups by name in the forms; others only need the ones shown.
        if viewer.is_admin() || group_ids.contains(&id) {
            out.groups.insert(id, name);
        }
    }
    for p in policies::list(db).await? {
        out.policies.push((p.id.to_string(), p.name));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::domain::catalog::tests::{app, entitlement};
    use crate::domain::{ProvisioningMethod, UserId};

    const URL: &str = "https://user:s3cret@hooks.example/provision?token=t0ken";

    fn webhook_entitlement() -> Entitlement {
        let mut e = entitlement();
        e.provisioning = ProvisioningMethod::Webhook { url: URL.into() };
        e
    }

    #[test]
    fn a_member_gets_neither_the_webhook_address_nor_the_edit_forms_parts() {
        let stored = webhook_entitlement();
        let managed = BTreeMap::from([(stored.id.to_string(), "apps/x.yaml".to_string())]);
        let shown = entry(&stored, 7, &app(), false, &managed);
        assert_eq!(shown.provisioning, ProvisioningKind::Webhook);
        assert_eq!(shown.admin, None);
        assert_eq!(shown.managed_by, None);
        let wire = serde_json::to_string(&shown).unwrap();
        assert!(
            !wire.contains("s3cret") && !wire.contains("hooks.example"),
            "{wire}"
        );
        // Manual provisioning names the provisioners, never their instructions.
        let mut manual = entitlement();
        manual.provisioning = ProvisioningMethod::Manual {
            provisioners: vec![UserId::from("prov")],
            instructions: Some("vault path secret/prod".into()),
        };
        let wire =
            serde_json::to_string(&entry(&manual, 1, &app(), false, &BTreeMap::new())).unwrap();
        assert!(
            wire.contains("prov") && !wire.contains("vault path"),
            "{wire}"
        );
    }

    #[test]
    fn a_super_admin_gets_the_stored_entitlement_and_its_version_for_the_edit_form() {
        let stored = webhook_entitlement();
        let managed = BTreeMap::from([(stored.id.to_string(), "apps/x.yaml".to_string())]);
        let shown = entry(&stored, 7, &app(), true, &managed);
        assert_eq!(shown.managed_by.as_deref(), Some("apps/x.yaml"));
        let admin = shown.admin.unwrap();
        assert_eq!(admin.stored, stored);
        assert_eq!(admin.version, 7);
        assert_eq!(
            shown.effective_request_policy,
            stored.request_policy_for(&app())
        );
    }
}
