//! Passwords: argon2id hashes (PHC strings) and the policy a new one meets.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashes a password with a fresh salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the stored hash. A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Why a new password is refused, or `None` when it is acceptable: at least
/// 10 characters, letters and digits, not the login name.
pub fn policy_violation(password: &str, login_name: &str) -> Option<&'static str> {
    if password.chars().count() < 10 {
        return Some("at least 10 characters");
    }
    if password.chars().count() > 128 {
        return Some("at most 128 characters");
    }
    if !password.chars().any(|c| c.is_alphabetic()) || !password.chars().any(|c| c.is_ascii_digit())
    {
        return Some("must contain letters and digits");
    }
    if password.to_lowercase().contains(&login_name.to_lowercase()) && !login_name.is_empty() {
        return Some("must not contain the login name");
    }
    None
}

/// A hash to verify against when the login name does not exist, so a wrong
/// name costs the same time as a wrong password.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let first = hash("correct horse 42").expect("hash");
        let second = hash("correct horse 42").expect("hash");
        assert_ne!(first, second, "salted");
        assert!(verify("correct horse 42", &first));
        assert!(!verify("correct horse 43", &first));
        assert!(!verify("anything", "not a hash"));
        assert!(!verify("anything", decoy_hash()));
    }

    #[test]
    fn policy() {
        assert_eq!(
            policy_violation("short1", "a"),
            Some("at least 10 characters")
        );
        assert_eq!(
            policy_violation("onlyletterss", "a"),
            Some("must contain letters and digits")
        );
        assert_eq!(
            policy_violation("zhangsan2026x", "zhangsan"),
            Some("must not contain the login name")
        );
        assert_eq!(policy_violation("Winter-relief-2026", "zhangsan"), None);
    }
}
