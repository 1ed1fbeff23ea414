//! Secrets at rest. Bot tokens and webhook URLs are sealed with XChaCha20-Poly1305 under a key
//! derived (HKDF-SHA256) from `LATCH_SECRET_KEY`, with a fresh random nonce each time. The
//! associated data names the row and field, so a sealed value copied to another row won't open.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const VERSION: &str = "v1.";
const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("sealing failed")]
    Seal,
    /// Wrong key (LATCH_SECRET_KEY changed), tampered data or a value moved between rows.
    #[error("a sealed secret could not be opened (has LATCH_SECRET_KEY changed?)")]
    Open,
}

pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    pub fn derive(secret_key: &str) -> Sealer {
        let key = crate::ssr::secret_key::derive(secret_key, b"latch slack secrets v1");
        Sealer {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    pub fn seal(&self, plaintext: &str, context: &str) -> Result<String, SealError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Seal)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        ))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<String, SealError> {
        let encoded = sealed.strip_prefix(VERSION).ok_or(SealError::Open)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(encoded)
            .map_err(|_| SealError::Open)?;
        if bytes.len() <= NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain).map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_the_same_key_and_context() {
        let sealer = Sealer::derive("k".repeat(40).as_str());
        let sealed = sealer.seal("xoxb-secret", "team:T1/bot_token").unwrap();
        assert!(!sealed.contains("xoxb"));
        assert_eq!(
            sealer.open(&sealed, "team:T1/bot_token").unwrap(),
            "xoxb-secret"
        );
        assert!(sealer.open(&sealed, "team:T2/bot_token").is_err());
        assert!(
            Sealer::derive("j".repeat(40).as_str())
                .open(&sealed, "team:T1/bot_token")
                .is_err()
        );
        assert_ne!(
            sealed,
            sealer.seal("xoxb-secret", "team:T1/bot_token").unwrap(),
            "fresh nonce"
        );
    }
}
