//! One error type for every handler; each variant maps to one HTTP status and a JSON [`ApiError`] body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use citydeck_domain::FieldError;
use citydeck_protocol::ApiError;

use crate::db::DbError;

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
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, Option<String>) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", None),
            AppError::Rejection { status, .. } => (*status, "bad_request", None),
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
            AppError::Db(e) if e.is_unavailable() => {
                (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable", None)
            }
            AppError::Db(_) | AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, field) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = ApiError {
            error: code.to_string(),
            message: self.to_string(),
            field,
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
