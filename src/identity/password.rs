//! Password hashing with argon2id (m = 19 MiB, t = 2, p = 1: OWASP's parameters, the crate's
//! defaults). Each hash holds one core for ~15 ms and 19 MiB, so it runs on the blocking pool
//! behind a semaphore sized to the cores: a login flood queues instead of starving the async
//! workers or the memory.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

#[derive(Debug, Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
    /// A real hash of a random password, verified when the email is unknown so that an
    /// unknown account and a wrong password take the same time.
    dummy_hash: Arc<String>,
}

impl PasswordHasherPool {
    pub fn new(concurrency: usize) -> Result<Self, PasswordError> {
        let dummy = crate::secrets::new_secret();
        let dummy_hash = hash_now(&dummy)?;
        Ok(Self { permits: Arc::new(Semaphore::new(concurrency.max(1))), dummy_hash: Arc::new(dummy_hash) })
    }

    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        let _permit = self.permits.acquire().await.map_err(|e| PasswordError::Hashing(e.to_string()))?;
        tokio::task::spawn_blocking(move || hash_now(&password))
            .await
            .map_err(|e| PasswordError::Hashing(e.to_string()))?
    }

    /// Verifies `password` against `stored` (a PHC string), or against the dummy hash when
    /// there is no stored hash, always returning false then.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, PasswordError> {
        let _permit = self.permits.acquire().await.map_err(|e| PasswordError::Hashing(e.to_string()))?;
        let real = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let ok = tokio::task::spawn_blocking(move || verify_now(&password, &phc))
            .await
            .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        Ok(real && ok)
    }
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    PasswordHasher::<PasswordHash>::hash_password(&Argon2::default(), password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordVerifier::<str>::verify_password(&Argon2::default(), password.as_bytes(), phc).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let pool = PasswordHasherPool::new(2).unwrap();
        let hash = pool.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(pool.verify("correct horse".into(), Some(hash.clone())).await.unwrap());
        assert!(!pool.verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(!pool.verify("anything".into(), None).await.unwrap());
    }
}
