//! The hub's errors: [`DbError`] of the storage, and [`AppError`], the one error type of every handler (each
//! variant maps to one HTTP status and a JSON [`ApiError`] body).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use citydeck_domain::FieldError;
use std::path::PathBuf;

use citydeck_protocol::{ApiError, Refusal, Role};

/// What the storage (`db`, `sql`, `pg`) fails with.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] postgres::Error),
    /// PostgreSQL unreachable or misconfigured (connect, pool); the message says which.
    #[error("{0}")]
    Pool(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database file {path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error(
        "database file {path} holds {found} data, but the hub was asked to serve {wanted} data; \
         a drill never runs on the real database (use another --db file for the exercise)"
    )]
    Realm {
        path: PathBuf,
        found: &'static str,
        wanted: &'static str,
    },
    #[error(
        "PostgreSQL database {database} holds {found} data, but the hub was asked to serve {wanted} data; \
         a drill never runs on the real database (use another database for the exercise)"
    )]
    RealmPostgres {
        database: String,
        found: &'static str,
        wanted: &'static str,
    },
    /// The database was written by a newer build (its schema is beyond this build's migrations): not touched.
    #[error("the hub database's {0}; run a newer citydeck-hub")]
    TooNew(#[from] citydeck_migrate::TooNew),
}

impl DbError {
    /// True when the failure is the storage (disk full, read-only, I/O, database unreachable) rather than a
    /// bug: maps to 503.
    pub fn is_unavailable(&self) -> bool {
        use rusqlite::ErrorCode::*;
        match self {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(
                    e.code,
                    DiskFull | ReadOnly | SystemIoFailure | DatabaseBusy | DatabaseLocked | CannotOpen
                )
            }
            DbError::Postgres(e) => pg_unavailable(e),
            DbError::Open { .. } | DbError::Pool(_) => true,
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// True when the error is the database being unreachable or overloaded (503), not a bug.
fn pg_unavailable(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        // Not a server error: I/O, connect, timeout.
        None => e.as_db_error().is_none() && !is_conversion(e),
        Some(code) => {
            let c = code.code();
            c.starts_with("08") // connection exception
                || c.starts_with("53") // insufficient resources
                || c.starts_with("57P") // shutdown, cannot connect now
                || c.starts_with("58") // system error (I/O)
                || c == "40001" // serialization failure
                || c == "40P01" // deadlock detected
                || c == "25006" // read-only transaction (a standby)
        }
    }
}

fn is_conversion(e: &postgres::Error) -> bool {
    let s = e.to_string();
    s.contains("error serializing") || s.contains("error deserializing")
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Rejection { status: StatusCode, message: String },
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("missing or invalid bearer token")]
    Unauthorized,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("role {role} may not {action}")]
    Forbidden {
        role: &'static str,
        action: &'static str,
    },
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A coded refusal with its status (its message is the refusal's English words).
    #[error("{refusal}")]
    Refused { status: StatusCode, refusal: Refusal },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, Option<String>) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", None),
            AppError::Rejection { status, .. } => (*status, rejection_code(*status), None),
            AppError::Invalid(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                Some(e.field.clone()),
            ),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", None),
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials", None),
            AppError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden", None),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found", None),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict", None),
            AppError::Refused { status, refusal } => (
                *status,
                match *status {
                    StatusCode::FORBIDDEN => "forbidden",
                    StatusCode::NOT_FOUND => "not_found",
                    StatusCode::UNPROCESSABLE_ENTITY => "invalid_field",
                    StatusCode::BAD_REQUEST => "bad_request",
                    _ => "conflict",
                },
                refusal.field().map(String::from),
            ),
            AppError::Db(e) if e.is_unavailable() => {
                (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", None)
            }
            AppError::Db(_) | AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None),
        }
    }
}

impl AppError {
    /// A coded refusal with the status it answers: 403 for a role's or a scope's, 404 for a missing thing, 422 for a field,
    /// else 409 (the state refuses it).
    pub fn refused(refusal: Refusal) -> AppError {
        let status = match &refusal {
            Refusal::Forbidden { .. } | Refusal::OwnProposal { .. } | Refusal::OutOfScope { .. } => {
                StatusCode::FORBIDDEN
            }
            Refusal::NotFound { .. } => StatusCode::NOT_FOUND,
            r if r.field().is_some() => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::CONFLICT,
        };
        AppError::Refused { status, refusal }
    }

    /// The refusal as a code the clients translate.
    pub fn refusal(&self) -> Refusal {
        match self {
            AppError::BadRequest(m) | AppError::Rejection { message: m, .. } => {
                Refusal::BadRequest { detail: m.clone() }
            }
            AppError::Invalid(e) => e.refusal.clone(),
            AppError::Unauthorized => Refusal::Unauthorized,
            AppError::BadCredentials => Refusal::BadCredentials,
            AppError::Forbidden { role, .. } => match Role::parse(role) {
                Some(role) => Refusal::Forbidden { role },
                None => Refusal::Internal {
                    detail: self.to_string(),
                },
            },
            AppError::NotFound => Refusal::NotFound { id: None },
            AppError::Refused { refusal, .. } => refusal.clone(),
            AppError::Db(e) if e.is_unavailable() => Refusal::StorageUnavailable,
            AppError::Conflict(_) | AppError::Db(_) | AppError::Internal(_) => Refusal::Internal {
                detail: self.to_string(),
            },
        }
    }
}

/// The `error` code of a request axum's extractors refused before a handler saw it.
fn rejection_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::UPGRADE_REQUIRED => "upgrade_required",
        _ => "bad_request",
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, field) = self.parts();
        let refusal = self.refusal();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = ApiError {
            error: code.to_string(),
            message: self.to_string(),
            field,
            code: Some(refusal.code()),
            args: refusal.args(),
        };
        (status, Json(body)).into_response()
    }
}

impl From<axum::extract::rejection::JsonRejection> for AppError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        AppError::Rejection {
            status: r.status(),
            message: r.body_text(),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        AppError::Rejection {
            status: StatusCode::BAD_REQUEST,
            message: r.body_text(),
        }
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        AppError::Rejection {
            status: StatusCode::BAD_REQUEST,
            message: r.body_text(),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(e.to_string())
    }
}
