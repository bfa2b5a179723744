//! Refresh tokens: 256 random bits shown once to the client and stored only
//! as a SHA-256 hash, so a leaked table does not let anyone in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn refresh_token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Seals the answer of a refresh with a key only the holder of the spent
/// refresh token can derive, so a retry can get the same answer back.
pub fn seal_replay(refresh_token: &str, answer: &[u8]) -> Option<Vec<u8>> {
    use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(&replay_key(refresh_token)).ok()?;
    let nonce = aes_gcm::Aes256Gcm::generate_nonce(&mut OsRng);
    let mut sealed = nonce.to_vec();
    sealed.extend(cipher.encrypt(&nonce, answer).ok()?);
    Some(sealed)
}

/// Opens what [`seal_replay`] sealed with the same refresh token.
pub fn open_replay(refresh_token: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    use aes_gcm::aead::{Aead, KeyInit};
    if sealed.len() < 12 {
        return None;
    }
    let cipher = aes_gcm::Aes256Gcm::new_from_slice(&replay_key(refresh_token)).ok()?;
    let nonce: [u8; 12] = sealed[..12].try_into().ok()?;
    cipher
        .decrypt(&aes_gcm::Nonce::from(nonce), &sealed[12..])
        .ok()
}

fn replay_key(refresh_token: &str) -> [u8; 32] {
    // Domain-separated from the stored hash, which is SHA-256 of the token alone.
    Sha256::digest(format!("relief-refresh-replay:{refresh_token}").as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_opens_only_with_its_token() {
        let token = new_refresh_token();
        let sealed = seal_replay(&token, b"answer").expect("sealed");
        assert_eq!(
            open_replay(&token, &sealed).as_deref(),
            Some(b"answer".as_slice())
        );
        assert_eq!(open_replay(&new_refresh_token(), &sealed), None);
        assert_ne!(refresh_token_hash(&token), hex::encode(replay_key(&token)));
    }
}
