//! argon2id password hashing, run off the async runtime.

use crate::domain::NewPassword;
use argon2::password_hash::{
    PasswordHasher as _, PasswordVerifier as _, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use sea_orm::DeriveValueType;
use std::fmt;
use tokio::sync::Semaphore;

/// OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`): it carries its own
/// parameters, so old hashes keep verifying after the parameters change.
/// Neither `Serialize` nor printable.
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct PasswordHash(String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

/// The password policy's verdict (`domain::password::check`) off the
/// threads that serve requests: its estimate is CPU work (milliseconds, and
/// bounded: only a password's first characters are estimated). What the
/// strength meter shows and what every new password must pass.
///
/// `password` is normalised to NFC first, as [`NewPassword::parse`] does.
///
/// # Errors
/// Internal, if the blocking task died.
pub async fn strength(
    password: String,
    context: OwnedPasswordContext,
) -> Result<crate::domain::Strength, crate::AppError> {
    let _permit = estimate_permit(&METER).await?;
    tokio::task::spawn_blocking(move || {
        crate::domain::check_password(
            &crate::domain::normalize_password(&password),
            context.borrowed(),
        )
    })
    .await
    .map_err(|error| super::errors::internal(anyhow::anyhow!("password estimate: {error}")))
}

/// [`NewPassword::parse`] off the request threads (see [`strength`]).
///
/// # Errors
/// `Invalid` naming `password` when the policy refuses it.
pub async fn parse_new(
    password: &str,
    context: OwnedPasswordContext,
) -> Result<NewPassword, crate::AppError> {
    let password = password.to_owned();
    let _permit = estimate_permit(&NEW_PASSWORDS).await?;
    tokio::task::spawn_blocking(move || NewPassword::parse(&password, context.borrowed()))
        .await
        .map_err(|error| super::errors::internal(anyhow::anyhow!("password estimate: {error}")))?
        .map_err(crate::AppError::from)
}

/// The meter's estimates: one fewer than the cores at a time (at least
/// one), however many ask. The meter is open to anyone, so a flood of it
/// queues here instead of filling the blocking pool, and leaves a core.
static METER: std::sync::LazyLock<Semaphore> =
    std::sync::LazyLock::new(|| Semaphore::new(cores().saturating_sub(1).max(1)));
/// Estimates of passwords being set (sign-up, change, reset, invitation):
/// a queue of their own, so a flood of meter verdicts never delays them
/// (helper-13 measured a sign-up at 4.4 s behind one when they shared it).
static NEW_PASSWORDS: std::sync::LazyLock<Semaphore> =
    std::sync::LazyLock::new(|| Semaphore::new(cores()));

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

async fn estimate_permit(
    queue: &'static Semaphore,
) -> Result<tokio::sync::SemaphorePermit<'static>, crate::AppError> {
    queue
        .acquire()
        .await
        .map_err(|error| super::errors::internal(anyhow::anyhow!("password estimates: {error}")))
}

/// A [`crate::domain::PasswordContext`] that owns its strings, to cross
/// into a blocking task.
#[derive(Debug, Clone, Default)]
pub struct OwnedPasswordContext {
    pub email: String,
    pub organization: String,
    pub name: String,
}

impl OwnedPasswordContext {
    fn borrowed(&self) -> crate::domain::PasswordContext<'_> {
        crate::domain::PasswordContext {
            email: &self.email,
            organization: &self.organization,
            name: &self.name,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("argon2: {0}")]
    Argon2(#[from] argon2::Error),
    #[error("password hash: {0}")]
    Hash(#[from] argon2::password_hash::Error),
    #[error("hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("hashing pool closed")]
    Closed,
}

pub struct Passwords {
    params: Params,
    /// Verified against when the email is unknown, so that an unknown email
    /// costs the same time as a wrong password.
    dummy: PasswordHash,
    /// Hashing is CPU- and memory-bound: at most one fewer than the cores
    /// at a time (one on a 1- or 2-core machine), so a burst of sign-ins
    /// queues and one core is always left for every other request (issue
    /// 16: the dashboard's p99 while 20 sign-ins hash at once).
    permits: Semaphore,
}

impl Passwords {
    pub fn new() -> Result<Self, PasswordError> {
        let params = Params::new(MEMORY_KIB, PASSES, LANES, None)?;
        let dummy = hash_blocking(&params, "ledgerlock timing equaliser")?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self {
            params,
            dummy,
            permits: Semaphore::new(cores.saturating_sub(1).max(1)),
        })
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<PasswordHash, PasswordError> {
        self.hash_text(password.expose()).await
    }

    /// Re-hashes a password that just verified against a hash made with
    /// weaker parameters (see [`Passwords::needs_rehash`]).
    pub async fn upgrade(&self, verified_password: &str) -> Result<PasswordHash, PasswordError> {
        self.hash_text(verified_password).await
    }

    async fn hash_text(&self, password: &str) -> Result<PasswordHash, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Closed)?;
        let params = self.params.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&params, &password)).await?
    }

    /// Whether a stored hash is weaker than what is used now (another
    /// algorithm, or less memory, passes or lanes).
    pub fn needs_rehash(&self, stored: &PasswordHash) -> bool {
        let Ok(parsed) = argon2::password_hash::PasswordHash::new(&stored.0) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm != Algorithm::Argon2id.ident()
            || params.m_cost() < self.params.m_cost()
            || params.t_cost() < self.params.t_cost()
            || params.p_cost() < self.params.p_cost()
    }

    /// Checks `candidate` against `stored`, or against a dummy hash when there
    /// is no account, taking the same time either way.
    pub async fn verify(
        &self,
        candidate: &str,
        stored: Option<&PasswordHash>,
    ) -> Result<bool, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Closed)?;
        let (hash, known) = match stored {
            Some(hash) => (hash.0.clone(), true),
            None => (self.dummy.0.clone(), false),
        };
        let candidate = candidate.to_owned();
        let matches = tokio::task::spawn_blocking(move || -> Result<bool, PasswordError> {
            let parsed = argon2::password_hash::PasswordHash::new(&hash)?;
            Ok(Argon2::default()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok())
        })
        .await??;
        Ok(known && matches)
    }
}

fn hash_blocking(params: &Params, password: &str) -> Result<PasswordHash, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let hash = argon2.hash_password(password.as_bytes(), &salt)?;
    Ok(PasswordHash(hash.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_required_parameters_and_verify() {
        let passwords = Passwords::new().unwrap();
        let password = NewPassword::parse(
            "a long enough passphrase",
            crate::domain::PasswordContext::default(),
        )
        .unwrap();
        let hash = passwords.hash(&password).await.unwrap();
        assert!(
            hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.0
        );
        assert!(
            passwords
                .verify("a long enough passphrase", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("a long enough passphrasE", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("a long enough passphrase", None)
                .await
                .unwrap()
        );
        assert_eq!(format!("{hash:?}"), "PasswordHash([redacted])");
        assert!(!passwords.needs_rehash(&hash));
    }

    #[tokio::test]
    async fn weaker_hashes_are_flagged_for_upgrade() {
        let passwords = Passwords::new().unwrap();
        let weak_params = Params::new(4096, 1, 1, None).unwrap();
        let weak = hash_blocking(&weak_params, "a long enough passphrase").unwrap();
        assert!(passwords.needs_rehash(&weak));
        assert!(
            passwords
                .verify("a long enough passphrase", Some(&weak))
                .await
                .unwrap()
        );
        let upgraded = passwords.upgrade("a long enough passphrase").await.unwrap();
        assert!(!passwords.needs_rehash(&upgraded));
        assert!(passwords.needs_rehash(&PasswordHash("$2b$12$notargon".into())));
    }
}
