//! Password hashing with argon2: the users table never holds a password, only its PHC hash.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::{Error, Result};

/// Hashes a password into a PHC string (`$argon2id$v=19$…`).
pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("cannot hash password: {e}")))
}

/// Checks a password against a stored hash. A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashes on a blocking thread: argon2 is deliberately slow.
pub async fn hash_blocking(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| Error::Internal(format!("password hashing thread failed: {e}")))?
}

/// Verifies on a blocking thread.
pub async fn verify_blocking(password: String, stored: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .map_err(|e| Error::Internal(format!("password check thread failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_hide_the_password() {
        let stored = hash("s3cret").unwrap();
        assert!(stored.starts_with("$argon2"));
        assert!(!stored.contains("s3cret"));
        assert!(verify("s3cret", &stored));
        assert!(!verify("S3cret", &stored));
        assert!(!verify("s3cret", "plain-text"));
    }
}
