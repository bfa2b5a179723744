//! Sensitive personal information at rest (SPEC §9): sealed with the
//! runtime's [`Sealer`] (AES-256-GCM, the row's id bound in), and ID numbers
//! found again through a keyed hash, so the same person cannot be registered
//! twice without the database ever holding the number in clear.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use relief_runtime::sealing::{SealError, Sealer};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::LedgerSettings;

#[derive(Clone)]
pub struct Pii {
    sealer: Sealer,
    hash_key: Vec<u8>,
}

impl Pii {
    pub fn from_settings(settings: &LedgerSettings) -> anyhow::Result<Self> {
        let sealer = Sealer::from_base64_key(
            "ledger.pii_encryption_key",
            settings.pii_encryption_key.expose_secret(),
        )?;
        let hash_key = STANDARD
            .decode(settings.pii_hash_key.expose_secret())
            .map_err(|_| anyhow::anyhow!("ledger.pii_hash_key must be base64"))?;
        anyhow::ensure!(
            hash_key.len() >= 32,
            "ledger.pii_hash_key must be at least 32 bytes"
        );
        Ok(Pii { sealer, hash_key })
    }

    /// Seals `value` (as JSON) for the row `row_id`.
    pub fn seal<T: Serialize>(&self, row_id: &str, value: &T) -> Result<Vec<u8>, SealError> {
        self.sealer.seal(row_id, value)
    }

    /// Opens what [`Pii::seal`] sealed for the same row.
    pub fn open<T: DeserializeOwned>(&self, row_id: &str, sealed: &[u8]) -> Result<T, SealError> {
        self.sealer.open(row_id, sealed)
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
    fn hash_is_keyed_and_stable() {
        let pii = pii();
        assert_eq!(pii.id_number_hash("x"), pii.id_number_hash("x"));
        assert_ne!(pii.id_number_hash("x"), pii.id_number_hash("y"));
    }
}
