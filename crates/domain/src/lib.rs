//! Pure domain rules of citydeck. No I/O, no clocks, no randomness: every function here is a deterministic
//! function of its arguments, so the hub enforces exactly what the tests prove.

pub mod area_file;
pub mod areas;
pub mod departments;
pub mod drill;
pub mod evaluation;
pub mod incident;
pub mod indicators;
pub mod merge;
pub mod mode;
pub mod ops;
pub mod overlay;
pub mod readings;
pub mod resources;
pub mod response;
pub mod roles;
pub mod scenario;
pub mod scope;
pub mod stage_clock;
pub mod teams;

pub use incident::{parse_new_incident, FieldError};
pub use mode::{check_confirmation, check_transition, recheck, CityMode, ModeError, Proposal, Transition};
pub use ops::{apply_update, OpRejection};
pub use response::{deadlines, Deadline, DeadlineStatus};
pub use roles::{Action, Permission};
