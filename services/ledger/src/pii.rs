//! Sensitive personal information at rest (SPEC §9): sealed with AES-256-GCM
//! (the row's id bound in as associated data, so a sealed value copied onto
//! another row does not open), and ID numbers found again through a keyed
//! hash, so the same person cannot be registered twice without the database
//! ever holding the number in clear.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::LedgerSettings;

/// Version byte in front of every sealed value, so keys can be rotated.
const KEY_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct Pii {
    cipher: Aes256Gcm,
    hash_key: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("sealing failed")]
    Seal,
    #[error("a sealed value does not open: wrong key, or altered")]
    Open,
    #[error("sealed value is malformed: {0}")]
    Format(String),
}

/// A value that will not seal or open is a fault of ours (a wrong key, or
/// data altered at rest), never the caller's: internal, detail logged only.
impl From<PiiError> for relief_runtime::error::Error {
    fn from(err: PiiError) -> Self {
        relief_runtime::error::Error::internal("ledger sealed data", err)
    }
}

impl Pii {
    pub fn from_settings(settings: &LedgerSettings) -> anyhow::Result<Self> {
        let key = STANDARD
            .decode(settings.pii_encryption_key.expose_secret())
            .map_err(|_| anyhow::anyhow!("ledger.pii_encryption_key must be base64"))?;
        anyhow::ensure!(
            key.len() == 32,
            "ledger.pii_encryption_key must be 32 bytes (base64 of 32 random bytes)"
        );
        let hash_key = STANDARD
            .decode(settings.pii_hash_key.expose_secret())
            .map_err(|_| anyhow::anyhow!("ledger.pii_hash_key must be base64"))?;
        anyhow::ensure!(
            hash_key.len() >= 32,
            "ledger.pii_hash_key must be at least 32 bytes"
        );
        Ok(Pii {
            cipher: Aes256Gcm::new_from_slice(&key)
                .map_err(|_| anyhow::anyhow!("ledger.pii_encryption_key must be 32 bytes"))?,
            hash_key,
        })
    }

    /// Seals `value` (as JSON) for the row `row_id`.
    pub fn seal<T: Serialize>(&self, row_id: &str, value: &T) -> Result<Vec<u8>, PiiError> {
        let plain = serde_json::to_vec(value).map_err(|err| PiiError::Format(err.to_string()))?;
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
            .map_err(|_| PiiError::Seal)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(KEY_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`Pii::seal`] sealed for the same row.
    pub fn open<T: DeserializeOwned>(&self, row_id: &str, sealed: &[u8]) -> Result<T, PiiError> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != KEY_VERSION {
            return Err(PiiError::Format(
                "unknown key version or too short".to_owned(),
            ));
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| PiiError::Format("nonce".to_owned()))?;
        let nonce = Nonce::from(nonce);
        let plain = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad: row_id.as_bytes(),
                },
            )
            .map_err(|_| PiiError::Open)?;
        serde_json::from_slice(&plain).map_err(|err| PiiError::Format(err.to_string()))
    }

    /// The keyed lookup hash of a normalised ID number.
    pub fn id_number_hash(&self, id_number: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key)
            .expect("HMAC takes keys of any length");
        mac.update(id_number.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn pii() -> Pii {
        Pii::from_settings(&LedgerSettings {
            pii_encryption_key: SecretString::from(STANDARD.encode([7u8; 32])),
            pii_hash_key: SecretString::from(STANDARD.encode([9u8; 32])),
        })
        .expect("valid keys")
    }

    #[test]
    fn seal_opens_only_for_its_row() {
        let pii = pii();
        let sealed = pii.seal("row-a", &"11010519491231002X").expect("seal");
        assert!(
            !sealed.windows(6).any(|w| w == b"110105"),
            "plain text must not show"
        );
        let opened: String = pii.open("row-a", &sealed).expect("open");
        assert_eq!(opened, "11010519491231002X");
        assert!(matches!(
            pii.open::<String>("row-b", &sealed),
            Err(PiiError::Open)
        ));
    }

    #[test]
    fn hash_is_keyed_and_stable() {
        let pii = pii();
        assert_eq!(pii.id_number_hash("x"), pii.id_number_hash("x"));
        assert_ne!(pii.id_number_hash("x"), pii.id_number_hash("y"));
    }
}
