//! Sensitive personal information at rest (SPEC §9), the one way every
//! service seals it: AES-256-GCM, with the row's id bound in as associated
//! data so a sealed value copied onto another row does not open, and a key
//! version byte in front so keys can be rotated.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Version byte in front of every sealed value.
const KEY_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// Seals and opens values of one service with its key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("sealing failed")]
    Seal,
    #[error("a sealed value does not open: wrong key, or altered")]
    Open,
    #[error("sealed value is malformed: {0}")]
    Format(String),
}

/// A value that will not seal or open is a fault of ours (a wrong key, or
/// data altered at rest), never the caller's: internal, detail logged only.
impl From<SealError> for crate::error::Error {
    fn from(err: SealError) -> Self {
        crate::error::Error::internal("sealed data", err)
    }
}

impl Sealer {
    /// A sealer from the base64 of 32 random bytes; `setting` names the
    /// configuration key in the error.
    pub fn from_base64_key(setting: &str, key: &str) -> anyhow::Result<Self> {
        let key = STANDARD
            .decode(key)
            .map_err(|_| anyhow::anyhow!("{setting} must be base64"))?;
        anyhow::ensure!(
            key.len() == 32,
            "{setting} must be 32 bytes (base64 of 32 random bytes)"
        );
        Ok(Sealer {
            cipher: Aes256Gcm::new_from_slice(&key)
                .map_err(|_| anyhow::anyhow!("{setting} must be 32 bytes"))?,
        })
    }

    /// Seals `value` (as JSON) for the row `row_id`.
    pub fn seal<T: Serialize>(&self, row_id: &str, value: &T) -> Result<Vec<u8>, SealError> {
        let plain = serde_json::to_vec(value).map_err(|err| SealError::Format(err.to_string()))?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: row_id.as_bytes(),
                },
            )
            .map_err(|_| SealError::Seal)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(KEY_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`Sealer::seal`] sealed for the same row.
    pub fn open<T: DeserializeOwned>(&self, row_id: &str, sealed: &[u8]) -> Result<T, SealError> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != KEY_VERSION {
            return Err(SealError::Format(
                "unknown key version or too short".to_owned(),
            ));
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| SealError::Format("nonce".to_owned()))?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad: row_id.as_bytes(),
                },
            )
            .map_err(|_| SealError::Open)?;
        serde_json::from_slice(&plain).map_err(|err| SealError::Format(err.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_row() {
        let sealer = Sealer::from_base64_key("key", &STANDARD.encode([7u8; 32])).expect("key");
        let sealed = sealer.seal("row-a", &"11010519491231002X").expect("seal");
        assert!(
            !sealed.windows(6).any(|w| w == b"110105"),
            "plain text must not show"
        );
        let opened: String = sealer.open("row-a", &sealed).expect("open");
        assert_eq!(opened, "11010519491231002X");
        assert!(matches!(
            sealer.open::<String>("row-b", &sealed),
            Err(SealError::Open)
        ));
    }

    #[test]
    fn a_short_or_wrong_key_is_refused_naming_the_setting() {
        let err = Sealer::from_base64_key("x.key", &STANDARD.encode([7u8; 16]))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("x.key"));
    }
}
