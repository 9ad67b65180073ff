//! Password hashing with argon2: the users table never holds a password, only its PHC hash.

use std::cell::RefCell;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// Length of the stored hash output.
const OUTPUT_LEN: usize = 32;

/// Argon2id with OWASP's low-memory setting (7 MiB, 5 passes): as strong as the 19 MiB, 2 pass
/// default, with a third of the memory, which keeps the hub small while logins run.
fn argon2() -> Argon2<'static> {
    let params = Params::new(7 * 1024, 5, 1, Some(OUTPUT_LEN)).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

thread_local! {
    /// Argon2's working memory, kept per thread: allocating and freeing megabytes per login
    /// leaves them behind in the allocator.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn compute(argon: &Argon2<'_>, params: &Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<()> {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        memory.resize(params.block_count(), Block::default());
        argon
            .hash_password_into_with_memory(password, salt, out, &mut memory[..])
            .map_err(|e| Error::Internal(format!("cannot hash password: {e}")))
    })
}

/// Hashes a password into a PHC string (`$argon2id$v=19$…`).
pub fn hash(password: &str) -> Result<String> {
    let internal = |what: &str, e: &dyn std::fmt::Display| {
        Error::Internal(format!("cannot hash password ({what}): {e}"))
    };
    let salt = SaltString::generate(&mut OsRng);
    let argon = argon2();
    let params = argon.params().clone();
    let mut salt_bytes = [0_u8; 64];
    let salt_raw = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| internal("salt", &e))?;
    let mut out = [0_u8; OUTPUT_LEN];
    compute(&argon, &params, password.as_bytes(), salt_raw, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| internal("params", &e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| internal("output", &e))?),
    };
    Ok(phc.to_string())
}

/// Checks a password against a stored hash. A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed))
    else {
        return false;
    };
    let version = parsed
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or(Version::V0x13);
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_bytes = [0_u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0_u8; expected.len()];
    if compute(&argon, &params, password.as_bytes(), salt_raw, &mut out).is_err() {
        return false;
    }
    // Output's equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// A unit of work for the argon2 threads.
type Job = Box<dyn FnOnce() + Send>;

/// Argon2 runs on two long-lived threads of its own, so at most two hashes hold memory at once
/// and a burst of logins cannot spread it over many threads.
fn workers() -> &'static Mutex<mpsc::Sender<Job>> {
    static WORKERS: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    WORKERS.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..2 {
            let receiver = receiver.clone();
            let _ = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    loop {
                        let job = match receiver.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
        }
        Mutex::new(sender)
    })
}

/// Runs `work` on an argon2 thread and waits for it without blocking the runtime.
async fn on_worker<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = reply.send(work());
    });
    workers()
        .lock()
        .map_err(|_| Error::Internal("password workers poisoned".into()))?
        .send(job)
        .map_err(|_| Error::Internal("password workers stopped".into()))?;
    answer
        .await
        .map_err(|_| Error::Internal("password worker failed".into()))
}

/// Hashes on an argon2 thread: argon2 is deliberately slow.
pub async fn hash_blocking(password: String) -> Result<String> {
    on_worker(move || hash(&password)).await?
}

/// Verifies on an argon2 thread.
pub async fn verify_blocking(password: String, stored: String) -> Result<bool> {
    on_worker(move || verify(&password, &stored)).await
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
        // Hashes made with the argon2 crate's defaults (older hubs) still verify.
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut OsRng);
        let default_hash = Argon2::default()
            .hash_password(b"old", &salt)
            .unwrap()
            .to_string();
        assert!(verify("old", &default_hash));
        assert!(!verify("new", &default_hash));
    }
}
