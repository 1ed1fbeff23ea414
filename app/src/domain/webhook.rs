//! Signing outgoing provisioning webhooks, and their retry schedule.
//!
//! The signature is HMAC-SHA256 over `"{timestamp}.{body}"`, hex-encoded, sent as
//! `Latch-Signature: t={timestamp},v1={hex}`. Including the timestamp in the signed text and checking
//! it against a tolerance stops replay of an old, validly signed body.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::{DomainError, DomainResult};
use super::time::Timestamp;

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Latch-Signature";
/// Default accepted clock difference when verifying (5 minutes).
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// HMAC-SHA256 (RFC 2104) over the concatenation of `parts`, with the `hmac` crate.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    match keyed(key, parts) {
        Some(mac) => mac.finalize().into_bytes().into(),
        // Unreachable for SHA-256 (see `keyed`); a fixed value keeps this infallible.
        None => [0u8; 32],
    }
}

/// An HMAC-SHA256 keyed with `key` that has been fed `parts`, ready to finalize or verify.
/// HMAC takes keys of any length (longer ones are hashed first), so `new_from_slice` cannot fail
/// for SHA-256; the `Option` keeps that without an `expect`.
fn keyed(key: &[u8], parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

/// The HMAC of `"{timestamp}.{body}"`, the text a signature covers.
fn timestamped(secret: &[u8], timestamp_secs: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    keyed(secret, &[timestamp_secs.to_string().as_bytes(), b".", body])
}

fn mac(secret: &[u8], timestamp_secs: i64, body: &[u8]) -> [u8; 32] {
    timestamped(secret, timestamp_secs, body)
        .map(|mac| mac.finalize().into_bytes().into())
        .unwrap_or([0u8; 32])
}

/// Hex HMAC-SHA256 of `"{timestamp}.{body}"`.
pub fn sign(secret: &[u8], timestamp: Timestamp, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp.as_unix_seconds(), body))
}

/// The full header value: `t=1700000000,v1=<hex>`.
pub fn signature_header(secret: &[u8], timestamp: Timestamp, body: &[u8]) -> String {
    format!(
        "t={},v1={}",
        timestamp.as_unix_seconds(),
        sign(secret, timestamp, body)
    )
}

/// The header for a call signed with each of `secrets` (after a rotation, the new secret and the
/// previous one): `t=1700000000,v1=<hex>,v1=<hex>`. A receiver accepts the call when any `v1`
/// matches its secret.
pub fn signature_header_all(secrets: &[&[u8]], timestamp: Timestamp, body: &[u8]) -> String {
    let mut header = format!("t={}", timestamp.as_unix_seconds());
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&sign(secret, timestamp, body));
    }
    header
}

/// Verifies a signature header (for receivers, and for Latch's own test endpoint). Constant-time.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: Timestamp,
    tolerance_secs: i64,
) -> DomainResult<()> {
    let bad = |reason: &str| DomainError::InvalidSignature {
        reason: reason.to_string(),
    };
    let mut ts: Option<i64> = None;
    let mut sigs: Vec<&str> = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => ts = v.parse().ok(),
            Some(("v1", v)) => sigs.push(v),
            _ => {}
        }
    }
    let ts = ts.ok_or_else(|| bad("missing or malformed timestamp"))?;
    if (now.as_unix_seconds() - ts).abs() > tolerance_secs {
        return Err(bad("timestamp outside the allowed window"));
    }
    let expected = timestamped(secret, ts, body).ok_or_else(|| bad("signature does not match"))?;
    for s in sigs {
        // `verify_slice` compares in constant time and refuses a tag of any other length.
        if let Ok(bytes) = hex::decode(s)
            && expected.clone().verify_slice(&bytes).is_ok()
        {
            return Ok(());
        }
    }
    Err(bad("signature does not match"))
}

/// What a Super Admin sees of the webhook signing secret without seeing it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebhookSecretStatus {
    /// When the current secret was made.
    pub created_at: Timestamp,
    /// When it was shown; it is shown once, so after that only a rotation shows a secret.
    pub revealed_at: Option<Timestamp>,
    /// After a rotation, until when the previous secret still signs calls alongside.
    pub previous_valid_until: Option<Timestamp>,
}

/// Retry schedule for failed webhook calls: 30 s, 2 min, 10 min, 30 min, 1 h, then give up and fall back
/// to a manual task. Exponential-ish and bounded, so a dead endpoint costs about 1¾ hours, not days.
pub const RETRY_DELAYS_SECS: [u64; 5] = [30, 120, 600, 1_800, 3_600];

/// Delay before attempt number `failed_attempts + 1`, or `None` when it is time to stop retrying.
/// `failed_attempts` counts failures so far (1 after the first failure).
pub fn retry_delay_secs(failed_attempts: u32) -> Option<u64> {
    let idx = usize::try_from(failed_attempts).ok()?.checked_sub(1)?;
    RETRY_DELAYS_SECS.get(idx).copied()
}

/// Total attempts before falling back to manual provisioning.
pub const MAX_ATTEMPTS: u32 = RETRY_DELAYS_SECS.len() as u32 + 1;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const T: Timestamp = Timestamp::from_unix_seconds(1_700_000_000);

    #[test]
    fn a_header_signed_with_two_secrets_verifies_with_either() {
        let header = signature_header_all(&[b"new", b"old"], T, b"{}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(header.matches(",v1=").count(), 2);
        verify(b"new", &header, b"{}", T, 300).unwrap();
        verify(b"old", &header, b"{}", T, 300).unwrap();
        assert!(verify(b"other", &header, b"{}", T, 300).is_err());
    }

    #[test]
    fn signatures_match_the_hmac_sha256_reference_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", &[b"what do ya want for nothing?"])),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 4231 test case 6: 131-byte key (longer than a block, so it is hashed first).
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        // Our scheme signs "{t}.{body}".
        assert_eq!(
            sign(b"secret", T, b"{}"),
            hex::encode(hmac_sha256(b"secret", &[b"1700000000.{}"]))
        );
    }

    #[test]
    fn a_signed_body_verifies_and_a_tampered_one_does_not() {
        let h = signature_header(b"s3cret", T, b"{\"grant\":1}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert!(verify(b"s3cret", &h, b"{\"grant\":1}", T, DEFAULT_TOLERANCE_SECS).is_ok());
        assert!(verify(b"s3cret", &h, b"{\"grant\":2}", T, DEFAULT_TOLERANCE_SECS).is_err());
        assert!(verify(b"other", &h, b"{\"grant\":1}", T, DEFAULT_TOLERANCE_SECS).is_err());
        assert!(verify(b"s3cret", "v1=abc", b"", T, DEFAULT_TOLERANCE_SECS).is_err());
    }

    #[test]
    fn a_truncated_or_lengthened_signature_is_refused() {
        let full = sign(b"k", T, b"x");
        for v1 in [
            &full[..32],
            &full[..full.len() - 2],
            &format!("{full}00"),
            "",
        ] {
            let header = format!("t=1700000000,v1={v1}");
            assert!(
                verify(b"k", &header, b"x", T, DEFAULT_TOLERANCE_SECS).is_err(),
                "{v1:?} should not verify"
            );
        }
        let header = format!("t=1700000000,v1={full}");
        verify(b"k", &header, b"x", T, DEFAULT_TOLERANCE_SECS).unwrap();
    }

    #[test]
    fn old_signatures_are_rejected_to_prevent_replay() {
        let h = signature_header(b"k", T, b"x");
        let later = Timestamp::from_unix_seconds(1_700_000_000 + 301);
        assert!(verify(b"k", &h, b"x", later, DEFAULT_TOLERANCE_SECS).is_err());
    }

    #[test]
    fn retries_back_off_and_then_stop() {
        assert_eq!(retry_delay_secs(0), None);
        assert_eq!(retry_delay_secs(1), Some(30));
        assert_eq!(retry_delay_secs(2), Some(120));
        assert_eq!(retry_delay_secs(5), Some(3_600));
        assert_eq!(retry_delay_secs(6), None);
        assert_eq!(MAX_ATTEMPTS, 6);
        let delays: Vec<u64> = (1..MAX_ATTEMPTS).filter_map(retry_delay_secs).collect();
        assert!(delays.windows(2).all(|w| w[0] < w[1]));
    }
}
