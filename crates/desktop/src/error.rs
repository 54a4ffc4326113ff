//! Why the desktop refused or failed an operation, and how the webview is told: a [`CommandError`] with a code
//! it translates.

use citydeck_domain::{FieldError, OpRejection};
use citydeck_protocol::ipc::CommandError;
use citydeck_protocol::{ApiError, Refusal};
use citydeck_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// The action breaks a rule against what this desktop knows (its pending actions included).
    #[error(transparent)]
    Rejected(#[from] OpRejection),
    /// A new incident with a bad field.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The action names an incident this desktop neither has nor is creating.
    #[error("unknown incident {0}")]
    UnknownIncident(uuid::Uuid),
    /// Re-apply or drop of an action that is not (or no longer) rejected.
    #[error("action {0} is not a rejected action")]
    NotRejected(uuid::Uuid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DesktopError {
    /// The refusal as a code.
    pub fn refusal(&self) -> Refusal {
        match self {
            DesktopError::Rejected(r) => r.refusal.clone(),
            DesktopError::Invalid(f) => f.refusal.clone(),
            DesktopError::UnknownIncident(id) => Refusal::NotFound { id: Some(*id) },
            DesktopError::NotRejected(op_id) => Refusal::NotRejected { op_id: *op_id },
            DesktopError::Store(e) => Refusal::Internal {
                detail: e.to_string(),
            },
        }
    }
}

impl From<DesktopError> for CommandError {
    fn from(e: DesktopError) -> Self {
        let mut out = CommandError::from(e.refusal());
        out.message = e.to_string();
        out
    }
}

/// The hub's refusal (its `ApiError` body) for the webview: its code and arguments when it sent them, else its
/// coarse `error` kind; its own words either way.
pub fn hub_refusal(body: &ApiError) -> CommandError {
    CommandError {
        code: body.code.clone().unwrap_or_else(|| body.error.clone()),
        message: body.message.clone(),
        args: body.args.clone(),
    }
}

/// Anything else that went wrong, in words (code `internal`).
pub fn internal(e: impl std::fmt::Display) -> CommandError {
    CommandError::from(Refusal::Internal {
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::{Role, Stage};

    #[test]
    fn desktop_refusals_become_coded_command_errors() {
        let id = uuid::Uuid::from_u128(4);
        let e = CommandError::from(DesktopError::UnknownIncident(id));
        assert_eq!(e.code, "not_found");
        assert_eq!(e.message, format!("unknown incident {id}"));
        assert_eq!(e.refusal(), Some(Refusal::NotFound { id: Some(id) }));
        let rejected = citydeck_domain::apply_update(
            &mut crate::testing::incident(1, Stage::Closed),
            &citydeck_protocol::Op::ChangeStage {
                incident_id: id,
                from: None,
                to: Stage::Handling,
            },
            "op",
            crate::testing::now(),
        )
        .unwrap_err();
        let e = CommandError::from(DesktopError::from(rejected));
        assert_eq!(e.code, "invalid_transition");
        assert_eq!(e.message, "stage change closed → handling is not allowed");
        assert_eq!(internal("disk full").code, "internal");
    }

    #[test]
    fn the_hubs_code_is_kept_and_an_old_hub_gives_its_error_kind() {
        let coded = ApiError {
            error: "forbidden".into(),
            message: "role leader may not switch the city's mode".into(),
            field: None,
            code: Some("forbidden".into()),
            args: Some(serde_json::json!({"role": "leader"})),
        };
        let e = hub_refusal(&coded);
        assert_eq!(e.refusal(), Some(Refusal::Forbidden { role: Role::Leader }));
        assert_eq!(
            e.message, "role leader may not switch the city's mode",
            "the hub's own words"
        );
        let old = ApiError {
            error: "invalid_field".into(),
            message: "reason: a reason is required for every switch".into(),
            field: Some("reason".into()),
            code: None,
            args: None,
        };
        let e = hub_refusal(&old);
        assert_eq!(e.code, "invalid_field");
        assert_eq!(e.refusal(), None, "no code this build knows: the words are shown");
    }
}
