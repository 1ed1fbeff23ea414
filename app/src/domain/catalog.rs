//! Catalog: apps and entitlements, their identifiers, owners, limits and audience.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::duration::{DurationLimits, GrantDuration, GrantLength};
use super::error::{DomainError, DomainResult};
use super::ids::{
    AppId, BUILTIN_APP_OWNER_APPROVAL_POLICY_ID, EntitlementId, GroupId, PolicyId, UserId,
};
use super::time::BusinessCalendar;

/// Reference-product limit: an entitlement has at most 32 owner users and 32 owner entitlements.
pub const MAX_OWNER_USERS: usize = 32;
pub const MAX_OWNER_ENTITLEMENTS: usize = 32;
pub const MAX_NAME_LEN: usize = 200;
pub const MAX_DESCRIPTION_LEN: usize = 4_000;

fn check_slug_like(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// A short, URL-safe label such as `member` or `admin`: 1–63 lowercase ASCII letters, digits and single
/// hyphens, not starting or ending with a hyphen. Slugs appear in URLs and CLI commands, so they are
/// restricted to characters that never need escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> DomainResult<Self> {
        if check_slug_like(s, 63) {
            Ok(Slug(s.to_string()))
        } else {
            Err(DomainError::InvalidSlug {
                value: s.to_string(),
            })
        }
    }

    /// Derives a slug from a display name ("Engineering Team" → "engineering-team"), the way Instacart
    /// derives CLI aliases: lowercase, separators to hyphens, everything else dropped.
    pub fn from_name(name: &str) -> DomainResult<Self> {
        let mut out = String::new();
        for c in name.trim().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if (c.is_whitespace() || matches!(c, ':' | '-' | '_' | '.' | '/'))
                && !out.ends_with('-')
            {
                out.push('-');
            }
        }
        let trimmed: String = out.trim_matches('-').chars().take(63).collect();
        Slug::parse(trimmed.trim_end_matches('-')).map_err(|_| DomainError::InvalidSlug {
            value: name.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Slug {
    type Err = DomainError;
    fn from_str(s: &str) -> DomainResult<Self> {
        Slug::parse(s)
    }
}
impl TryFrom<String> for Slug {
    type Error = DomainError;
    fn try_from(s: String) -> DomainResult<Self> {
        Slug::parse(&s)
    }
}
impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}
impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A CLI shortcut for an entitlement (e.g. `aws-prod`), unique per tenant. Same character rules as a
/// slug but up to 100 characters, because aliases are usually derived from long names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Alias(String);

impl Alias {
    pub fn parse(s: &str) -> DomainResult<Self> {
        if check_slug_like(s, 100) {
            Ok(Alias(s.to_string()))
        } else {
            Err(DomainError::invalid(
                "alias",
                s,
                "use lowercase letters, digits and single hyphens (at most 100), e.g. aws-prod",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Alias {
    type Error = DomainError;
    fn try_from(s: String) -> DomainResult<Self> {
        Alias::parse(&s)
    }
}
impl From<Alias> for String {
    fn from(a: Alias) -> String {
        a.0
    }
}
impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_enum! {
    /// Risk level of an entitlement. It does not change routing by itself; it is passed to external
    /// deciders (webhooks) and shown to approvers, as Instacart does.
    pub enum RiskLevel: "risk level" {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}

/// Who may see (and therefore request) an entitlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "groups", rename_all = "snake_case")]
pub enum Visibility {
    Everyone,
    /// Members of any of these groups. An empty set means nobody: the usual way to retire an
    /// entitlement without deleting it at the source.
    Groups(BTreeSet<GroupId>),
}

/// How approved access is carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProvisioningMethod {
    /// A task for named provisioners (all notified, one completes it). With nobody named, the app
    /// owners get the task.
    Manual {
        provisioners: Vec<UserId>,
        instructions: Option<String>,
    },
    /// A signed HTTP call; failures fall back to a manual task for the app owners.
    Webhook { url: String },
}

impl ProvisioningMethod {
    fn validate(&self) -> DomainResult<()> {
        match self {
            ProvisioningMethod::Manual { instructions, .. } => {
                if instructions
                    .as_ref()
                    .is_some_and(|i| i.chars().count() > MAX_DESCRIPTION_LEN)
                {
                    return Err(DomainError::TooLong {
                        field: "provisioner instructions".into(),
                        max: MAX_DESCRIPTION_LEN,
                    });
                }
                Ok(())
            }
            ProvisioningMethod::Webhook { url } => validate_webhook_url(url),
        }
    }
}

/// Webhook targets, parsed as an HTTP client parses them (the `url` crate implements the WHATWG
/// URL standard), so what is checked is what will be called:
/// - `https://` to any host: internal provisioning services are the usual receivers;
/// - `http://` only to loopback (`localhost`, `127.0.0.0/8`, `[::1]`), for development;
/// - never user info (`https://user:pass@host/`): it hides the real host from a reader
///   (`http://127.0.0.1:x@other-host/` calls `other-host`) and puts credentials in the catalog;
/// - never link-local or unspecified addresses (`169.254.0.0/16`, `fe80::/10`, `0.0.0.0`, `[::]`):
///   cloud metadata services live there, and no provisioning receiver does.
///
/// This checks the configured URL; it is not a network policy (a public name may still resolve to
/// an internal address), which is the job of the deployment's egress rules.
pub fn validate_webhook_url(raw: &str) -> DomainResult<()> {
    let bad = |reason: &str| Err(DomainError::invalid("webhook URL", raw, reason));
    if raw.len() > 2_048 {
        return bad("it is longer than 2,048 characters");
    }
    if raw.trim() != raw || raw.chars().any(char::is_control) {
        return bad("it contains spaces or control characters");
    }
    let Ok(url) = url::Url::parse(raw) else {
        return bad("it is not a valid URL");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return bad(
            "it must not contain a user name or password (put credentials in the receiver's own configuration)",
        );
    }
    let Some(host) = url.host() else {
        return bad("it has no valid host");
    };
    let loopback = match &host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    let link_local_or_unspecified = match &host {
        url::Host::Domain(_) => false,
        url::Host::Ipv4(ip) => ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast(),
        url::Host::Ipv6(ip) => {
            ip.is_unspecified()
                || (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_link_local() || v4.is_unspecified())
        }
    };
    if link_local_or_unspecified {
        return bad(
            "link-local and unspecified addresses (such as cloud metadata services) are not allowed",
        );
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => bad("use https:// (http:// is allowed only for localhost)"),
        _ => bad("it must start with https://"),
    }
}

/// Tenant-wide settings that bound every entitlement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettings {
    /// Cap on any grant's length (Instacart: 90 days). `None` = no cap.
    pub max_grant_duration: Option<GrantDuration>,
    /// Business days for expiry reminders.
    pub calendar: BusinessCalendar,
}

impl TenantSettings {
    /// Instacart's setting: every grant capped at 90 days.
    pub fn with_cap_days(days: u64) -> Self {
        TenantSettings {
            max_grant_duration: Some(GrantDuration::days(days)),
            calendar: BusinessCalendar::default(),
        }
    }
}

/// A catalog application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    pub id: AppId,
    pub slug: Slug,
    pub name: String,
    pub owners: Vec<UserId>,
    /// App-level default request policy, used by entitlements without their own.
    pub default_request_policy: Option<PolicyId>,
    /// Markdown request instructions shown in the web UI and Slack.
    pub instructions: Option<String>,
}

impl App {
    pub fn validate(&self) -> DomainResult<()> {
        validate_name("app name", &self.name)?;
        if self
            .instructions
            .as_ref()
            .is_some_and(|i| i.chars().count() > MAX_DESCRIPTION_LEN)
        {
            return Err(DomainError::TooLong {
                field: "request instructions".into(),
                max: MAX_DESCRIPTION_LEN,
            });
        }
        Ok(())
    }
}

fn validate_name(field: &str, name: &str) -> DomainResult<()> {
    if name.trim().is_empty() {
        return Err(DomainError::Required {
            field: field.to_string(),
        });
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(DomainError::TooLong {
            field: field.to_string(),
            max: MAX_NAME_LEN,
        });
    }
    Ok(())
}

/// Something requestable in an app: a group membership, role, permission…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    pub id: EntitlementId,
    pub app_id: AppId,
    pub slug: Slug,
    pub display_name: String,
    pub description: String,
    pub alias: Option<Alias>,
    pub risk: RiskLevel,
    pub owner_users: Vec<UserId>,
    /// Entitlements whose holders are also owners (dynamic ownership).
    pub owner_entitlements: Vec<EntitlementId>,
    /// Longest grant allowed, or `Indefinite`.
    pub max_duration: GrantLength,
    /// Request policy; `None` falls back to the app default, then to the built-in app-owner approval.
    pub request_policy: Option<PolicyId>,
    /// Emergency ("break-glass") policy; `Some` means emergency access is enabled.
    pub emergency_policy: Option<PolicyId>,
    /// Review policy for access review campaigns that use entitlements' own review policies:
    /// its first approval step's approvers review this entitlement's grants. `None` leaves the
    /// campaign's own reviewers. Older stored bodies have no such key, hence the default.
    #[serde(default)]
    pub review_policy: Option<PolicyId>,
    pub provisioning: ProvisioningMethod,
    pub visibility: Visibility,
}

impl Entitlement {
    /// Checks the entitlement against its own rules and the tenant cap. Run on every save so that no
    /// stored entitlement promises more than the tenant allows.
    pub fn validate(&self, tenant: &TenantSettings) -> DomainResult<()> {
        validate_name("entitlement name", &self.display_name)?;
        if self.description.chars().count() > MAX_DESCRIPTION_LEN {
            return Err(DomainError::TooLong {
                field: "description".into(),
                max: MAX_DESCRIPTION_LEN,
            });
        }
        if self.owner_users.len() > MAX_OWNER_USERS {
            return Err(DomainError::TooManyOwners {
                what: "owner users".into(),
                max: MAX_OWNER_USERS,
            });
        }
        if self.owner_entitlements.len() > MAX_OWNER_ENTITLEMENTS {
            return Err(DomainError::TooManyOwners {
                what: "owner entitlements".into(),
                max: MAX_OWNER_ENTITLEMENTS,
            });
        }
        if let Some(cap) = tenant.max_grant_duration {
            match self.max_duration {
                GrantLength::Indefinite => {
                    return Err(DomainError::EntitlementMaxExceedsTenantCap {
                        max: "indefinite".into(),
                        cap: cap.to_string(),
                    });
                }
                GrantLength::Limited(m) if m > cap => {
                    return Err(DomainError::EntitlementMaxExceedsTenantCap {
                        max: m.to_string(),
                        cap: cap.to_string(),
                    });
                }
                GrantLength::Limited(_) => {}
            }
        }
        self.provisioning.validate()
    }

    /// The limits a request for this entitlement must respect.
    pub fn duration_limits(&self, tenant: &TenantSettings) -> DurationLimits {
        DurationLimits {
            entitlement_max: self.max_duration,
            tenant_cap: tenant.max_grant_duration,
        }
    }

    pub fn allows_emergency(&self) -> bool {
        self.emergency_policy.is_some()
    }

    /// The policy a new request must snapshot: the emergency policy for emergency requests, otherwise
    /// the entitlement's, the app's default, or the built-in app-owner approval policy.
    pub fn policy_for(&self, app: &App, emergency: bool) -> DomainResult<PolicyId> {
        if emergency {
            return self
                .emergency_policy
                .clone()
                .ok_or(DomainError::EmergencyNotEnabled);
        }
        Ok(self.request_policy_for(app))
    }

    /// The policy a normal request must snapshot: the entitlement's, the app's default, or the
    /// built-in app-owner approval policy.
    pub fn request_policy_for(&self, app: &App) -> PolicyId {
        self.request_policy
            .clone()
            .or_else(|| app.default_request_policy.clone())
            .unwrap_or_else(|| PolicyId::from(BUILTIN_APP_OWNER_APPROVAL_POLICY_ID))
    }

    /// Label for pickers: "Engineering Team — admin", so entitlements with the same name in different
    /// resources can be told apart.
    pub fn picker_label(&self) -> String {
        format!("{} — {}", self.display_name, self.slug)
    }
}

/// Aliases are CLI shortcuts, so one alias names one entitlement in the whole tenant. `others` are
/// the stored entitlements (the one being saved, matched by id, is skipped).
pub fn ensure_alias_free(
    alias: &Alias,
    own: &EntitlementId,
    others: &[Entitlement],
) -> DomainResult<()> {
    match others
        .iter()
        .find(|e| &e.id != own && e.alias.as_ref() == Some(alias))
    {
        Some(taken) => Err(DomainError::invalid(
            "alias",
            alias.as_str(),
            &format!(
                "it is already the alias of entitlement \"{}\"",
                taken.picker_label()
            ),
        )),
        None => Ok(()),
    }
}

/// Whether a user in `user_groups` can see (and request) `entitlement`.
pub fn can_see(entitlement: &Entitlement, user_groups: &BTreeSet<GroupId>) -> bool {
    match &entitlement.visibility {
        Visibility::Everyone => true,
        Visibility::Groups(groups) => !groups.is_disjoint(user_groups),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn entitlement() -> Entitlement {
        Entitlement {
            id: EntitlementId::from("ent-1"),
            app_id: AppId::from("aws"),
            slug: Slug::parse("admin").unwrap(),
            display_name: "Production".into(),
            description: String::new(),
            alias: Some(Alias::parse("aws-prod").unwrap()),
            risk: RiskLevel::High,
            owner_users: vec![UserId::from("owner")],
            owner_entitlements: vec![],
            max_duration: GrantLength::Limited(GrantDuration::days(30)),
            request_policy: Some(PolicyId::from("pol-1")),
            emergency_policy: None,
            review_policy: None,
            provisioning: ProvisioningMethod::Manual {
                provisioners: vec![UserId::from("prov")],
                instructions: None,
            },
            visibility: Visibility::Everyone,
        }
    }

    pub(crate) fn app() -> App {
        App {
            id: AppId::from("aws"),
            slug: Slug::parse("aws").unwrap(),
            name: "AWS".into(),
            owners: vec![UserId::from("app-owner")],
            default_request_policy: None,
            instructions: None,
        }
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_hyphens() {
        assert!(Slug::parse("member").is_ok());
        assert!(Slug::parse("read-only-2").is_ok());
        for bad in [
            "",
            "Admin",
            "-admin",
            "admin-",
            "a--b",
            "a_b",
            "a b",
            "é",
            &"a".repeat(64),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_and_aliases_can_be_derived_from_names() {
        assert_eq!(
            Slug::from_name("AccessPolicy:Okta:AWS-Analyst")
                .unwrap()
                .as_str(),
            "accesspolicy-okta-aws-analyst"
        );
        assert_eq!(
            Slug::from_name("  Engineering  Team ").unwrap().as_str(),
            "engineering-team"
        );
        assert!(Slug::from_name("!!!").is_err());
        assert!(Alias::parse("aws-prod").is_ok());
        assert!(Alias::parse("AWS prod").is_err());
    }

    #[test]
    fn visibility_to_everyone_or_to_named_groups() {
        let mut e = entitlement();
        let none = BTreeSet::new();
        let eng: BTreeSet<GroupId> = [GroupId::from("eng")].into();
        assert!(can_see(&e, &none));
        e.visibility = Visibility::Groups([GroupId::from("eng"), GroupId::from("sre")].into());
        assert!(can_see(&e, &eng));
        assert!(!can_see(&e, &none));
        assert!(!can_see(&e, &[GroupId::from("sales")].into()));
        e.visibility = Visibility::Groups(BTreeSet::new());
        assert!(
            !can_see(&e, &eng),
            "an empty audience hides the entitlement from everyone"
        );
    }

    #[test]
    fn no_entitlement_can_exceed_the_tenant_cap() {
        let tenant = TenantSettings::with_cap_days(90);
        let mut e = entitlement();
        assert!(e.validate(&tenant).is_ok());
        e.max_duration = GrantLength::Limited(GrantDuration::days(91));
        assert!(matches!(
            e.validate(&tenant),
            Err(DomainError::EntitlementMaxExceedsTenantCap { .. })
        ));
        e.max_duration = GrantLength::Indefinite;
        assert!(e.validate(&tenant).is_err());
        assert!(e.validate(&TenantSettings::default()).is_ok());
    }

    #[test]
    fn owners_are_limited_to_32_users_and_32_entitlements() {
        let mut e = entitlement();
        e.owner_users = (0..33).map(|i| UserId::new(format!("u{i}"))).collect();
        assert!(matches!(
            e.validate(&TenantSettings::default()),
            Err(DomainError::TooManyOwners { .. })
        ));
    }

    #[test]
    fn webhook_provisioning_requires_https() {
        let mut e = entitlement();
        e.provisioning = ProvisioningMethod::Webhook {
            url: "http://example.com/hook".into(),
        };
        assert!(e.validate(&TenantSettings::default()).is_err());
        e.provisioning = ProvisioningMethod::Webhook {
            url: "https://example.com/hook".into(),
        };
        assert!(e.validate(&TenantSettings::default()).is_ok());
        assert!(validate_webhook_url("http://localhost:8080/x").is_ok());
        assert!(validate_webhook_url("https://").is_err());
    }

    #[test]
    fn webhook_urls_are_judged_by_the_host_they_really_call() {
        for good in [
            "https://provisioner.internal.example/hooks/latch",
            "https://10.0.0.7:8443/hook",
            "http://127.0.0.1:9000/hook",
            "http://127.1.2.3/hook",
            "http://[::1]:8080/hook",
            "http://LOCALHOST/hook",
        ] {
            assert!(validate_webhook_url(good).is_ok(), "{good}");
        }
        for bad in [
            // User info makes the real host `other-host`, not loopback.
            "http://127.0.0.1:x@other-host/",
            "http://localhost@evil.example/",
            "https://user:pass@example.com/hook",
            "https://token@example.com/hook",
            "http://localhost.evil.example/hook",
            "http://127.0.0.1.evil.example/hook",
            "https://169.254.169.254/latest/meta-data/",
            "https://[fe80::1]/hook",
            "https://0.0.0.0/hook",
            "https://[::]/hook",
            "https://[::ffff:169.254.169.254]/hook",
            "ftp://example.com/hook",
            "javascript:alert(1)",
            " https://example.com/hook",
            "https://example.com/ho\nok",
            "https://example.com/\thook",
            "https://",
        ] {
            assert!(validate_webhook_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emergency_requests_use_the_emergency_policy_only_when_enabled() {
        let mut e = entitlement();
        let a = app();
        assert_eq!(
            e.policy_for(&a, true),
            Err(DomainError::EmergencyNotEnabled)
        );
        e.emergency_policy = Some(PolicyId::from("break-glass"));
        assert_eq!(e.policy_for(&a, true), Ok(PolicyId::from("break-glass")));
        assert_eq!(e.policy_for(&a, false), Ok(PolicyId::from("pol-1")));
    }

    #[test]
    fn an_alias_names_one_entitlement_in_the_whole_tenant() {
        let e = entitlement();
        let alias = Alias::parse("aws-prod").unwrap();
        assert!(ensure_alias_free(&alias, &e.id, std::slice::from_ref(&e)).is_ok());
        let err = ensure_alias_free(&alias, &EntitlementId::from("other"), &[e]).unwrap_err();
        assert!(err.to_string().contains("alias"), "{err}");
        assert!(err.to_string().contains("Production — admin"), "{err}");
        assert!(
            ensure_alias_free(
                &Alias::parse("gcp").unwrap(),
                &EntitlementId::from("x"),
                &[entitlement()]
            )
            .is_ok()
        );
    }

    #[test]
    fn without_any_policy_the_builtin_app_owner_approval_is_used() {
        let mut e = entitlement();
        let mut a = app();
        e.request_policy = None;
        assert_eq!(
            e.policy_for(&a, false),
            Ok(PolicyId::from(BUILTIN_APP_OWNER_APPROVAL_POLICY_ID))
        );
        a.default_request_policy = Some(PolicyId::from("app-default"));
        assert_eq!(e.policy_for(&a, false), Ok(PolicyId::from("app-default")));
    }
}
