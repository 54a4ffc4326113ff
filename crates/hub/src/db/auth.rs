//! Accounts (with the area each may be scoped to) and bearer-token sessions (tokens stored hashed; shared by
//! all replicas).

use chrono::{DateTime, Utc};
use citydeck_protocol::Role;

use super::Db;
use crate::error::{DbError, DbResult};
use crate::sql::{p, ts};

pub struct User {
    pub username: String,
    pub role: Role,
    pub pw_hash: String,
    /// The area the account is scoped to (None: the whole city).
    pub scope: Option<String>,
}

/// A valid bearer token's account.
pub struct Session {
    pub username: String,
    pub role: Role,
    pub expires: DateTime<Utc>,
    /// The account's scope as it is now (a scope changed after login applies at once).
    pub scope: Option<String>,
}

impl Db {
    pub fn user(&self, username: &str) -> DbResult<Option<User>> {
        self.read(|c| {
            c.row(
                "SELECT username, role, pw_hash, scope FROM users WHERE username = ?1",
                p![username],
            )?
            .map(|mut r| {
                let role = r.text(1)?;
                let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("role {role:?}")))?;
                Ok(User {
                    username: r.text(0)?,
                    role,
                    pw_hash: r.text(2)?,
                    scope: r.opt_text(3)?,
                })
            })
            .transpose()
        })
    }

    /// Inserts the user if missing; returns whether it was inserted.
    pub fn ensure_user(
        &self,
        username: &str,
        role: Role,
        pw_hash: impl FnOnce() -> String,
    ) -> DbResult<bool> {
        self.write_plain(|c| {
            if c.row("SELECT 1 FROM users WHERE username = ?1", p![username])?
                .is_some()
            {
                return Ok(false);
            }
            let n = c.exec(
                "INSERT INTO users (username, role, pw_hash, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                p![username, role.as_str(), &pw_hash(), &ts(Utc::now())],
            )?;
            Ok(n == 1)
        })
    }

    /// Scopes an account to an area (None: the whole city).
    pub fn set_scope(&self, username: &str, scope: Option<&str>) -> DbResult<()> {
        self.write_plain(|c| {
            c.exec(
                "UPDATE users SET scope = ?2 WHERE username = ?1",
                p![username, scope],
            )?;
            Ok(())
        })
    }

    pub fn put_session(
        &self,
        token_hash: &str,
        username: &str,
        role: Role,
        expires: DateTime<Utc>,
    ) -> DbResult<()> {
        self.write_plain(|c| {
            c.exec("DELETE FROM sessions WHERE expires_at < ?1", p![&ts(Utc::now())])?;
            c.exec(
                "INSERT INTO sessions (token_hash, username, role, expires_at) VALUES (?1, ?2, ?3, ?4)",
                p![token_hash, username, role.as_str(), &ts(expires)],
            )?;
            Ok(())
        })
    }

    pub fn session(&self, token_hash: &str) -> DbResult<Option<Session>> {
        self.read(|c| {
            c.row(
                "SELECT s.username, s.role, s.expires_at, u.scope FROM sessions s
                 JOIN users u ON u.username = s.username WHERE s.token_hash = ?1",
                p![token_hash],
            )?
            .map(|mut r| {
                let role = r.text(1)?;
                let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("role {role:?}")))?;
                let expires = DateTime::parse_from_rfc3339(&r.text(2)?)
                    .map_err(|e| DbError::Corrupt(format!("expires_at: {e}")))?
                    .with_timezone(&Utc);
                Ok(Session {
                    username: r.text(0)?,
                    role,
                    expires,
                    scope: r.opt_text(3)?,
                })
            })
            .transpose()
        })
    }
}
