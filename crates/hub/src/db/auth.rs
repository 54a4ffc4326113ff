//! Accounts and bearer-token sessions (tokens stored hashed; shared by all replicas).

use chrono::{DateTime, Utc};
use citydeck_protocol::Role;

use super::Db;
use crate::error::{DbError, DbResult};
use crate::sql::{p, ts};

pub struct User {
    pub username: String,
    pub role: Role,
    pub pw_hash: String,
}

impl Db {
    pub fn user(&self, username: &str) -> DbResult<Option<User>> {
        self.read(|c| {
            c.row(
                "SELECT username, role, pw_hash FROM users WHERE username = ?1",
                p![username],
            )?
            .map(|mut r| {
                let role = r.text(1)?;
                let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("role {role:?}")))?;
                Ok(User {
                    username: r.text(0)?,
                    role,
                    pw_hash: r.text(2)?,
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

    pub fn session(&self, token_hash: &str) -> DbResult<Option<(String, Role, DateTime<Utc>)>> {
        self.read(|c| {
            c.row(
                "SELECT username, role, expires_at FROM sessions WHERE token_hash = ?1",
                p![token_hash],
            )?
            .map(|mut r| {
                let role = r.text(1)?;
                let role = Role::parse(&role).ok_or_else(|| DbError::Corrupt(format!("role {role:?}")))?;
                let exp = DateTime::parse_from_rfc3339(&r.text(2)?)
                    .map_err(|e| DbError::Corrupt(format!("expires_at: {e}")))?
                    .with_timezone(&Utc);
                Ok((r.text(0)?, role, exp))
            })
            .transpose()
        })
    }
}
