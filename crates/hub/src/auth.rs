//! Accounts, passwords (argon2) and bearer tokens (random, stored as sha256).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use citydeck_domain::{Action, Permission};
use citydeck_protocol::{AreaLevel, AreaSummary, Role};
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
    ("feed", Role::Feed),
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

/// The scoped demo accounts, operators both: `district` sees one district, `street` one street in it.
pub const DEMO_SCOPED: [&str; 2] = ["district", "street"];

/// The demo accounts' scopes: the first district (by id) that has a street, and its first street (by id).
/// `None` when the city has no district with a street.
pub fn demo_scopes(areas: &[AreaSummary]) -> Option<[String; 2]> {
    let mut streets: Vec<&AreaSummary> = areas.iter().filter(|a| a.level == AreaLevel::Street).collect();
    streets.sort_by(|a, b| (&a.parent, &a.id).cmp(&(&b.parent, &b.id)));
    let mut districts: Vec<&str> = areas
        .iter()
        .filter(|a| a.level == AreaLevel::District)
        .map(|a| a.id.as_str())
        .collect();
    districts.sort_unstable();
    districts.into_iter().find_map(|d| {
        let street = streets.iter().find(|s| s.parent.as_deref() == Some(d))?;
        Some([d.to_string(), street.id.clone()])
    })
}

/// Creates the demo accounts that do not exist yet, and, when the city has areas, the scoped ones (their
/// scopes set to [`demo_scopes`] at every start). Returns how many were created.
pub fn ensure_demo_accounts(db: &Db) -> DbResult<usize> {
    let password = demo_password();
    let mut created = 0;
    for (name, role) in DEMO_ACCOUNTS {
        if db.ensure_user(name, *role, || hash_password(&password))? {
            created += 1;
        }
    }
    match demo_scopes(&db.areas()?) {
        Some(scopes) => {
            for (name, scope) in DEMO_SCOPED.iter().zip(&scopes) {
                if db.ensure_user(name, Role::Operator, || hash_password(&password))? {
                    created += 1;
                }
                db.set_scope(name, Some(scope))?;
            }
            tracing::info!(district = %scopes[0], street = %scopes[1], "scoped demo accounts district, street");
        }
        None => tracing::info!(
            "the scoped demo accounts district and street were not created: the hub has no district with a \
             street (start it with --areas FILE)"
        ),
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
    /// The area the account is scoped to (None: the whole city).
    pub scope: Option<String>,
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
            Some(s) if s.expires > Utc::now() => Ok(Caller {
                username: s.username,
                role: s.role,
                scope: s.scope,
            }),
            _ => Err(AppError::Unauthorized),
        }
    }
}
