//! Why the desktop refused or failed an operation.

use citydeck_domain::{FieldError, OpRejection};
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
