//! Accounts, passwords (argon2) and bearer tokens (random, stored as sha256).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use citydeck_domain::{Action, Permission};
use citydeck_protocol::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{Db, DbResult};
use crate::error::AppError;
use crate::AppState;

/// How long a token stays valid. Long, because field staff may be offline for days; the sync engine logs in
/// again with its stored credentials when a token is refused.
pub const TOKEN_TTL_DAYS: i64 = 7;

/// The demo accounts `--demo` creates: (username, role).
pub const DEMO_ACCOUNTS: &[(&str, Role)] = &[
    ("operator", Role::Operator),
    ("commander", Role::Commander),
    ("commander2", Role::Commander),
    ("leader", Role::Leader),
    ("field", Role::Field),
    ("admin", Role::Admin),
];

pub use citydeck_protocol::demo::{demo_password, DEMO_PASSWORD_DEFAULT, DEMO_PASSWORD_ENV};

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default params cannot fail")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Creates the demo accounts that do not exist yet. Returns how many were created.
pub fn ensure_demo_accounts(db: &Db) -> DbResult<usize> {
    let password = demo_password();
    let mut created = 0;
    for (name, role) in DEMO_ACCOUNTS {
        if db.ensure_user(name, *role, || hash_password(&password))? {
            created += 1;
        }
    }
    Ok(created)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_expiry(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(TOKEN_TTL_DAYS)
}

/// The authenticated caller. Extracting it from a request fails with 401 when the bearer token is missing,
/// unknown or expired.
#[derive(Clone, Debug)]
pub struct Caller {
    pub username: String,
    pub role: Role,
}

impl Caller {
    pub fn require(&self, action: Action, what: &'static str) -> Result<(), AppError> {
        if self.role.may(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                role: self.role.as_str(),
                action: what,
            })
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or(AppError::Unauthorized)?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthorized)?;
        let hash = token_hash(token);
        let db = state.db.clone();
        let found = tokio::task::spawn_blocking(move || db.session(&hash)).await??;
        match found {
            Some((username, role, expires)) if expires > Utc::now() => Ok(Caller { username, role }),
            _ => Err(AppError::Unauthorized),
        }
    }
}
