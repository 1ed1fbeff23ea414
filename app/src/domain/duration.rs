//! Grant lengths: parsing, limits and human-readable formatting.
//!
//! A request asks for a length of access; the entitlement's maximum and the tenant-wide cap bound it.
//! Instacart caps every grant at 90 days so that expiry-plus-renewal replaces quarterly reviews, which
//! is why the tenant cap wins over any entitlement setting (including "indefinite").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::error::{DomainError, DomainResult};

pub const SECS_PER_MINUTE: u64 = 60;
pub const SECS_PER_HOUR: u64 = 3_600;
pub const SECS_PER_DAY: u64 = 86_400;
pub const SECS_PER_WEEK: u64 = 604_800;

/// Shortest grant anyone may ask for. Shorter grants expire before provisioning finishes.
pub const MIN_GRANT_SECS: u64 = 5 * SECS_PER_MINUTE;
/// Upper bound on any finite duration (10 years); beyond that, "indefinite" is the honest choice.
pub const MAX_FINITE_SECS: u64 = 3_650 * SECS_PER_DAY;

/// A positive, finite length of time in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct GrantDuration(u64);

impl GrantDuration {
    /// Validating constructor: between 5 minutes and 10 years.
    pub fn from_secs(secs: u64) -> DomainResult<Self> {
        if secs < MIN_GRANT_SECS {
            return Err(DomainError::InvalidDuration {
                value: format_secs(secs),
                reason: "the shortest allowed length is 5 minutes".into(),
            });
        }
        if secs > MAX_FINITE_SECS {
            return Err(DomainError::InvalidDuration {
                value: format_secs(secs),
                reason: "the longest finite length is 10 years".into(),
            });
        }
        Ok(GrantDuration(secs))
    }

    pub const fn hours(n: u64) -> Self {
        GrantDuration(n * SECS_PER_HOUR)
    }

    pub const fn days(n: u64) -> Self {
        GrantDuration(n * SECS_PER_DAY)
    }

    pub const fn weeks(n: u64) -> Self {
        GrantDuration(n * SECS_PER_WEEK)
    }

    pub const fn as_secs(self) -> u64 {
        self.0
    }
}

impl TryFrom<u64> for GrantDuration {
    type Error = DomainError;
    fn try_from(secs: u64) -> DomainResult<Self> {
        GrantDuration::from_secs(secs)
    }
}

impl From<GrantDuration> for u64 {
    fn from(d: GrantDuration) -> u64 {
        d.0
    }
}

impl fmt::Display for GrantDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_secs(self.0))
    }
}

/// Parses "90d", "2w 3d", "36h", "1w2d4h30m", "45 minutes", "2 weeks".
impl FromStr for GrantDuration {
    type Err = DomainError;
    fn from_str(s: &str) -> DomainResult<Self> {
        let bad = |reason: &str| DomainError::InvalidDuration {
            value: s.to_string(),
            reason: reason.to_string(),
        };
        let text = s.trim().to_ascii_lowercase();
        if text.is_empty() {
            return Err(bad("enter a length such as 8h, 3d or 2w"));
        }
        let mut total: u64 = 0;
        let mut chars = text.chars().peekable();
        let mut parsed_any = false;
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
                chars.next();
            }
            if chars.peek().is_none() {
                break;
            }
            let mut num = String::new();
            while let Some(c) = chars.peek().copied().filter(char::is_ascii_digit) {
                num.push(c);
                chars.next();
            }
            if num.is_empty() {
                return Err(bad("expected a number, e.g. 8h, 3d or 2w"));
            }
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let mut unit = String::new();
            while let Some(c) = chars.peek().copied().filter(char::is_ascii_alphabetic) {
                unit.push(c);
                chars.next();
            }
            let mult = match unit.as_str() {
                "m" | "min" | "mins" | "minute" | "minutes" => SECS_PER_MINUTE,
                "h" | "hr" | "hrs" | "hour" | "hours" => SECS_PER_HOUR,
                "d" | "day" | "days" => SECS_PER_DAY,
                "w" | "wk" | "wks" | "week" | "weeks" => SECS_PER_WEEK,
                "" => return Err(bad("every number needs a unit: m, h, d or w")),
                _ => return Err(bad("unknown unit; use m, h, d or w")),
            };
            let n: u64 = num.parse().map_err(|_| bad("number is too large"))?;
            total = n
                .checked_mul(mult)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| bad("number is too large"))?;
            parsed_any = true;
        }
        if !parsed_any {
            return Err(bad("enter a length such as 8h, 3d or 2w"));
        }
        GrantDuration::from_secs(total).map_err(|e| match e {
            DomainError::InvalidDuration { reason, .. } => bad(&reason),
            other => other,
        })
    }
}

/// Formats seconds for people: the two largest non-zero units, e.g. "12 weeks 6 days", "1 day 12 hours".
/// Never prints "0 seconds": zero reads "less than a minute".
pub fn format_secs(secs: u64) -> String {
    let units = [
        (SECS_PER_WEEK, "week", "weeks"),
        (SECS_PER_DAY, "day", "days"),
        (SECS_PER_HOUR, "hour", "hours"),
        (SECS_PER_MINUTE, "minute", "minutes"),
    ];
    let mut rest = secs;
    let mut parts = Vec::new();
    for (size, one, many) in units {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
        if parts.len() == 2 {
            break;
        }
        if !parts.is_empty() && n == 0 {
            // "1 week 3 hours" is misleading-ish but exact; keep only contiguous units for brevity.
            break;
        }
    }
    if parts.is_empty() {
        "less than a minute".to_string()
    } else {
        parts.join(" ")
    }
}

/// How long a grant lasts, or may last: finite, or indefinite (no expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "secs", rename_all = "snake_case")]
pub enum GrantLength {
    Limited(GrantDuration),
    Indefinite,
}

impl GrantLength {
    pub fn as_duration(self) -> Option<GrantDuration> {
        match self {
            GrantLength::Limited(d) => Some(d),
            GrantLength::Indefinite => None,
        }
    }

    pub fn is_indefinite(self) -> bool {
        matches!(self, GrantLength::Indefinite)
    }

    /// True when `self` is strictly longer than `other` (indefinite is longer than anything finite).
    pub fn longer_than(self, other: GrantLength) -> bool {
        match (self, other) {
            (GrantLength::Indefinite, GrantLength::Indefinite) => false,
            (GrantLength::Indefinite, GrantLength::Limited(_)) => true,
            (GrantLength::Limited(_), GrantLength::Indefinite) => false,
            (GrantLength::Limited(a), GrantLength::Limited(b)) => a > b,
        }
    }
}

impl fmt::Display for GrantLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantLength::Limited(d) => d.fmt(f),
            GrantLength::Indefinite => f.write_str("indefinite"),
        }
    }
}

string_enum! {
    /// The preset lengths offered in the request form (the reference product's screenshot shows "2 weeks").
    pub enum DurationPreset: "duration preset" {
        OneHour => "1h",
        FourHours => "4h",
        EightHours => "8h",
        OneDay => "1d",
        ThreeDays => "3d",
        OneWeek => "1w",
        TwoWeeks => "2w",
        ThirtyDays => "30d",
        NinetyDays => "90d",
    }
}

impl DurationPreset {
    pub fn duration(self) -> GrantDuration {
        match self {
            DurationPreset::OneHour => GrantDuration::hours(1),
            DurationPreset::FourHours => GrantDuration::hours(4),
            DurationPreset::EightHours => GrantDuration::hours(8),
            DurationPreset::OneDay => GrantDuration::days(1),
            DurationPreset::ThreeDays => GrantDuration::days(3),
            DurationPreset::OneWeek => GrantDuration::weeks(1),
            DurationPreset::TwoWeeks => GrantDuration::weeks(2),
            DurationPreset::ThirtyDays => GrantDuration::days(30),
            DurationPreset::NinetyDays => GrantDuration::days(90),
        }
    }

    pub fn label(self) -> String {
        self.duration().to_string()
    }
}

/// What the requester picked in the "Length of access?" field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DurationChoice {
    Preset(DurationPreset),
    Custom(GrantDuration),
    Indefinite,
}

impl DurationChoice {
    pub fn length(self) -> GrantLength {
        match self {
            DurationChoice::Preset(p) => GrantLength::Limited(p.duration()),
            DurationChoice::Custom(d) => GrantLength::Limited(d),
            DurationChoice::Indefinite => GrantLength::Indefinite,
        }
    }
}

/// Parses form input: "indefinite", a preset name ("2w") or a custom length ("10d 12h").
impl FromStr for DurationChoice {
    type Err = DomainError;
    fn from_str(s: &str) -> DomainResult<Self> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("indefinite") || t.eq_ignore_ascii_case("permanent") {
            return Ok(DurationChoice::Indefinite);
        }
        if let Ok(p) = DurationPreset::parse(&t.to_ascii_lowercase()) {
            return Ok(DurationChoice::Preset(p));
        }
        t.parse::<GrantDuration>().map(DurationChoice::Custom)
    }
}

/// The limits that apply to one entitlement in one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationLimits {
    /// The entitlement's maximum, or `Indefinite` when it may be held without expiry.
    pub entitlement_max: GrantLength,
    /// The tenant-wide cap (Instacart: 90 days), if any.
    pub tenant_cap: Option<GrantDuration>,
}

/// The default offered when the requester does not pick: one week (Instacart's module default), or the
/// maximum if that is shorter. Short defaults keep standing access low.
pub const DEFAULT_GRANT: GrantDuration = GrantDuration::weeks(1);

impl DurationLimits {
    /// The tighter of the entitlement maximum and the tenant cap. The cap always wins, even over an
    /// entitlement configured as indefinite (e.g. one saved before the cap was introduced).
    pub fn effective_max(self) -> GrantLength {
        match (self.entitlement_max, self.tenant_cap) {
            (GrantLength::Indefinite, None) => GrantLength::Indefinite,
            (GrantLength::Indefinite, Some(cap)) => GrantLength::Limited(cap),
            (GrantLength::Limited(m), None) => GrantLength::Limited(m),
            (GrantLength::Limited(m), Some(cap)) => GrantLength::Limited(m.min(cap)),
        }
    }

    /// Whether the form should show the "Length of access?" field at all: only when there is a limit.
    pub fn shows_length_field(self) -> bool {
        !self.effective_max().is_indefinite()
    }

    /// The presets to offer: those within the effective maximum.
    pub fn presets(self) -> Vec<DurationPreset> {
        DurationPreset::ALL
            .iter()
            .copied()
            .filter(|p| !GrantLength::Limited(p.duration()).longer_than(self.effective_max()))
            .collect()
    }

    /// The maximum itself, when it is finite and no preset is exactly that long: offered beside
    /// the presets, so an entitlement whose maximum is shorter than every preset (a 5-minute
    /// break-glass role) or between two of them (5 days) can be requested for its whole length
    /// without typing a custom one.
    pub fn maximum_unless_preset(self) -> Option<GrantDuration> {
        let GrantLength::Limited(max) = self.effective_max() else {
            return None;
        };
        (!self.presets().iter().any(|p| p.duration() == max)).then_some(max)
    }

    pub fn default_length(self) -> GrantLength {
        match self.effective_max() {
            GrantLength::Indefinite => GrantLength::Indefinite,
            GrantLength::Limited(m) => GrantLength::Limited(m.min(DEFAULT_GRANT)),
        }
    }

    /// Checks a requested length against both limits and returns it. The error says which limit was hit
    /// and what the limit is, so the form can show "at most 30 days".
    pub fn resolve(self, choice: DurationChoice) -> DomainResult<GrantLength> {
        self.check(choice.length())
    }

    /// Same as [`Self::resolve`] for an already-computed length (approver edits, extensions).
    pub fn check(self, length: GrantLength) -> DomainResult<GrantLength> {
        match length {
            GrantLength::Indefinite => match self.effective_max() {
                GrantLength::Indefinite => Ok(GrantLength::Indefinite),
                GrantLength::Limited(max) => Err(DomainError::IndefiniteNotAllowed {
                    max: max.to_string(),
                }),
            },
            GrantLength::Limited(d) => {
                if let GrantLength::Limited(max) = self.entitlement_max
                    && d > max
                {
                    return Err(DomainError::DurationExceedsMaximum {
                        requested: d.to_string(),
                        max: max.to_string(),
                    });
                }
                if let Some(cap) = self.tenant_cap
                    && d > cap
                {
                    return Err(DomainError::DurationExceedsTenantCap {
                        requested: d.to_string(),
                        max: cap.to_string(),
                    });
                }
                Ok(GrantLength::Limited(d))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn limits(max: GrantLength, cap: Option<u64>) -> DurationLimits {
        DurationLimits {
            entitlement_max: max,
            tenant_cap: cap.map(GrantDuration::days),
        }
    }

    #[test]
    fn custom_lengths_parse_from_friendly_text() {
        assert_eq!("90d".parse::<GrantDuration>(), Ok(GrantDuration::days(90)));
        assert_eq!(
            "2w 3d".parse::<GrantDuration>().map(|d| d.as_secs()),
            Ok(17 * SECS_PER_DAY)
        );
        assert_eq!(
            "1 day, 12 hours"
                .parse::<GrantDuration>()
                .map(|d| d.as_secs()),
            Ok(36 * SECS_PER_HOUR)
        );
        assert_eq!(
            "45 minutes".parse::<GrantDuration>().map(|d| d.as_secs()),
            Ok(2700)
        );
        for bad in [
            "",
            "abc",
            "10",
            "5x",
            "0h",
            "1m",
            "99999999999999999999d",
            "-3d",
        ] {
            assert!(bad.parse::<GrantDuration>().is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn durations_read_as_weeks_and_days_and_never_zero_seconds() {
        assert_eq!(GrantDuration::days(90).to_string(), "12 weeks 6 days");
        assert_eq!(GrantDuration::weeks(2).to_string(), "2 weeks");
        assert_eq!(GrantDuration::hours(36).to_string(), "1 day 12 hours");
        assert_eq!(GrantDuration::hours(1).to_string(), "1 hour");
        assert_eq!(format_secs(0), "less than a minute");
        assert_eq!(GrantLength::Indefinite.to_string(), "indefinite");
    }

    #[test]
    fn choices_parse_presets_custom_and_indefinite() {
        assert_eq!(
            "2w".parse::<DurationChoice>(),
            Ok(DurationChoice::Preset(DurationPreset::TwoWeeks))
        );
        assert_eq!(
            "10d".parse::<DurationChoice>(),
            Ok(DurationChoice::Custom(GrantDuration::days(10)))
        );
        assert_eq!(
            "Indefinite".parse::<DurationChoice>(),
            Ok(DurationChoice::Indefinite)
        );
    }

    #[test]
    fn a_request_longer_than_the_entitlement_maximum_is_rejected_with_the_limit() {
        let l = limits(GrantLength::Limited(GrantDuration::days(30)), Some(90));
        let err = l
            .resolve(DurationChoice::Custom(GrantDuration::days(31)))
            .unwrap_err();
        assert_eq!(
            err,
            DomainError::DurationExceedsMaximum {
                requested: "4 weeks 3 days".into(),
                max: "4 weeks 2 days".into()
            }
        );
        assert!(
            l.resolve(DurationChoice::Preset(DurationPreset::ThirtyDays))
                .is_ok()
        );
    }

    #[test]
    fn the_tenant_cap_bounds_every_entitlement_even_indefinite_ones() {
        let l = limits(GrantLength::Indefinite, Some(90));
        assert_eq!(
            l.effective_max(),
            GrantLength::Limited(GrantDuration::days(90))
        );
        assert!(matches!(
            l.resolve(DurationChoice::Indefinite),
            Err(DomainError::IndefiniteNotAllowed { .. })
        ));
        assert!(matches!(
            l.resolve(DurationChoice::Custom(GrantDuration::days(91))),
            Err(DomainError::DurationExceedsTenantCap { .. })
        ));
        assert!(l.shows_length_field());
    }

    #[test]
    fn indefinite_is_allowed_only_without_any_maximum() {
        let l = limits(GrantLength::Indefinite, None);
        assert_eq!(
            l.resolve(DurationChoice::Indefinite),
            Ok(GrantLength::Indefinite)
        );
        assert!(!l.shows_length_field());
        assert_eq!(l.default_length(), GrantLength::Indefinite);
        let l = limits(GrantLength::Limited(GrantDuration::days(7)), None);
        assert!(l.resolve(DurationChoice::Indefinite).is_err());
    }

    #[test]
    fn a_maximum_that_is_no_preset_is_offered_beside_the_presets() {
        let five_minutes = GrantDuration::from_secs(300).unwrap();
        let l = limits(GrantLength::Limited(five_minutes), None);
        assert!(l.presets().is_empty());
        assert_eq!(l.maximum_unless_preset(), Some(five_minutes));
        let l = limits(GrantLength::Limited(GrantDuration::days(5)), None);
        assert_eq!(l.maximum_unless_preset(), Some(GrantDuration::days(5)));
        let l = limits(GrantLength::Limited(GrantDuration::days(3)), None);
        assert_eq!(l.maximum_unless_preset(), None);
        let l = limits(GrantLength::Indefinite, None);
        assert_eq!(l.maximum_unless_preset(), None);
        // The tenant cap counts as the maximum too.
        let l = limits(GrantLength::Indefinite, Some(45));
        assert_eq!(l.maximum_unless_preset(), Some(GrantDuration::days(45)));
    }

    #[test]
    fn only_presets_within_the_maximum_are_offered() {
        let l = limits(GrantLength::Limited(GrantDuration::days(3)), Some(90));
        let p = l.presets();
        assert!(p.contains(&DurationPreset::ThreeDays));
        assert!(!p.contains(&DurationPreset::OneWeek));
        assert_eq!(
            l.default_length(),
            GrantLength::Limited(GrantDuration::days(3))
        );
    }
}
