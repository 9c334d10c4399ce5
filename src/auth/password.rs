//! Argon2id password hashes, computed on a small pool of dedicated threads.
//!
//! One check costs about 19 MiB of memory (argon2's default `m = 19456` KiB) and tens of
//! milliseconds of CPU. Run anywhere (the blocking pool, the database pool), a burst of parallel
//! logins before authentication allocated that much per thread and the allocator kept it: a
//! few bursts of 32 logins took the server from 56 MB to about 1 GB. Here each worker thread owns
//! one reusable block buffer, at most `workers` checks run at once, and a check that cannot start
//! within the queue timeout answers 503 with `Retry-After` instead of waiting without bound.

use std::cell::RefCell;
use std::time::Duration;

use argon2::password_hash::{Output, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::ApiError;
use crate::workers::{Refused, Workers};

thread_local! {
    /// The argon2 working memory of this thread, reused by every hash it computes.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2 with `params` into `out`, in this thread's reusable memory.
fn argon2_into(params: Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        let need = argon.params().block_count();
        if blocks.len() != need {
            blocks.clear();
            blocks.shrink_to_fit();
            blocks.resize(need, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..])
    })
}

/// A new PHC-format argon2id hash with the default parameters (synchronous: for the CLI and the
/// bootstrap; request handlers go through [`Passwords::hash`]).
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_buf).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(params.clone(), password.as_bytes(), salt_bytes, &mut out).map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(|e| anyhow::anyhow!("parameters: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC `hash` (argon2id only; the comparison is constant-time).
pub fn verify(password: &str, hash: &str) -> bool {
    let Ok(phc) = PasswordHash::new(hash) else { return false };
    if phc.algorithm != Algorithm::Argon2id.ident() {
        return false;
    }
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&phc), phc.salt, phc.hash) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else { return false };
    let mut out = vec![0u8; expected.len()];
    if argon2_into(params, password.as_bytes(), salt_bytes, &mut out).is_err() {
        return false;
    }
    Output::new(&out).is_ok_and(|o| o == expected)
}

/// A fixed hash to check unknown usernames against, so they cost as much as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not-a-real-password-9!").unwrap_or_default())
}

/// The password pool: `workers` dedicated threads, admission bounded with a timeout.
#[derive(Clone)]
pub struct Passwords {
    pool: Workers,
}

impl Passwords {
    pub fn new(workers: usize, queue_timeout: Duration) -> Self {
        Self { pool: Workers::new("password", workers, queue_timeout, 0) }
    }

    /// Runs `f` on a password worker once a slot is free; 503 when none frees up in time.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        self.pool.run(f).await.map_err(|refused| match refused {
            Refused::Busy => ApiError::Unavailable("password checks are saturated".into()),
            Refused::Stopped => ApiError::Internal(anyhow::anyhow!("a password worker stopped")),
        })
    }

    /// Checks a password against a stored hash, or against a dummy hash when there is none.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        self.run(move || match hash {
            Some(h) => verify(&password, &h),
            None => {
                let _ = verify(&password, dummy_hash());
                false
            }
        })
        .await
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || hash(&password)).await?.map_err(ApiError::Internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("Corr3ct-horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("Corr3ct-horse", &h));
        assert!(!verify("corr3ct-horse", &h));
        assert!(!verify("Corr3ct-horse", "not a hash"));
    }

    #[test]
    fn hashes_of_the_argon2_crate_still_verify() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let h = Argon2::default().hash_password(b"Older-hash-1", &salt).unwrap().to_string();
        assert!(verify("Older-hash-1", &h));
        assert!(!verify("Older-hash-2", &h));
    }

    #[actix_web::test]
    async fn the_pool_refuses_when_saturated() {
        let pool = Passwords::new(1, Duration::from_millis(50));
        let slow = pool.clone();
        let first = actix_web::rt::spawn(async move { slow.run(|| std::thread::sleep(Duration::from_millis(400))).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = pool.run(|| ()).await;
        assert!(matches!(second, Err(ApiError::Unavailable(_))));
        assert!(first.await.unwrap().is_ok());
        assert!(pool.verify("x".into(), None).await.is_ok_and(|ok| !ok));
    }
}
