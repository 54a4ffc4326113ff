//! 平战转换: the city's peacetime / wartime mode and its transition rules.
//!
//! The hub holds one mode record; a request to change it is checked here and becomes exactly one of
//! raise / lower / stand down (or is refused with a reason naming the field). Switching *to* level I needs a
//! second commander's confirmation (two-person rule). No I/O: the hub supplies the current state.

use chrono::{DateTime, Utc};
use citydeck_protocol::{Grade, Refusal, Role};

/// Peacetime, or wartime at a response level (I is the most severe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CityMode {
    Peacetime,
    Wartime(Grade),
}

/// What an accepted request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Peacetime → wartime, or wartime to a more severe level (e.g. III → I).
    Raise { to: Grade },
    /// Wartime to a less severe level (e.g. I → III).
    Lower { to: Grade },
    /// Wartime → peacetime.
    StandDown,
}

impl Transition {
    /// Whether the two-person rule applies: anything that ends at level I.
    pub fn needs_confirmation(self) -> bool {
        matches!(
            self,
            Transition::Raise { to: Grade::I } | Transition::Lower { to: Grade::I }
        )
    }

    pub fn target(self) -> CityMode {
        match self {
            Transition::Raise { to } | Transition::Lower { to } => CityMode::Wartime(to),
            Transition::StandDown => CityMode::Peacetime,
        }
    }
}

pub const MAX_REASON_CHARS: usize = 1000;

/// Why a mode request is refused. `field` names the request field at fault; `message` is the English problem
/// after it; `refusal` the code the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ModeError {
    pub field: &'static str,
    pub message: String,
    pub refusal: Refusal,
}

fn err(field: &'static str, refusal: Refusal) -> ModeError {
    ModeError {
        field,
        message: refusal.problem(),
        refusal,
    }
}

fn unknown(field: &'static str, value: &str, expected: &[&str]) -> ModeError {
    err(
        field,
        Refusal::FieldUnknown {
            field: field.to_string(),
            value: value.to_string(),
            expected: expected.iter().map(|e| e.to_string()).collect(),
        },
    )
}

impl From<ModeError> for crate::FieldError {
    fn from(e: ModeError) -> Self {
        crate::FieldError {
            field: e.field.to_string(),
            message: e.message,
            refusal: e.refusal,
        }
    }
}

/// Checks a request to move from `current` to (`mode`, `level`) with `reason`.
///
/// `mode` is the request's string (`peacetime` | `wartime`), `level` its optional level string, so an unknown
/// value is refused naming its field. Rules:
/// - the reason is required (trimmed, non-empty, bounded): nobody switches without saying why;
/// - wartime needs a level; peacetime takes none;
/// - asking for the state the city is already in is refused (nothing to switch);
/// - from peacetime only a raise is possible; standing down is only possible from wartime.
pub fn check_transition(
    current: CityMode,
    mode: &str,
    level: Option<&str>,
    reason: &str,
) -> Result<Transition, ModeError> {
    let reason = crate::incident::check_text("reason", reason, MAX_REASON_CHARS)
        .map_err(|e| err("reason", e.refusal))?;
    if reason.is_empty() {
        return Err(err("reason", Refusal::ReasonRequired));
    }
    let target = match mode {
        "peacetime" => match level {
            None => CityMode::Peacetime,
            Some(_) => return Err(err("level", Refusal::LevelNotAllowed)),
        },
        "wartime" => match level {
            None => return Err(err("level", Refusal::LevelRequired)),
            Some(l) => CityMode::Wartime(
                Grade::parse(l).ok_or_else(|| unknown("level", l, &Grade::ALL.map(Grade::as_str)))?,
            ),
        },
        other => return Err(unknown("mode", other, &["peacetime", "wartime"])),
    };
    match (current, target) {
        (a, b) if a == b => Err(err("mode", Refusal::AlreadyInMode)),
        (CityMode::Peacetime, CityMode::Wartime(to)) => Ok(Transition::Raise { to }),
        (CityMode::Wartime(_), CityMode::Peacetime) => Ok(Transition::StandDown),
        (CityMode::Wartime(from), CityMode::Wartime(to)) if to > from => Ok(Transition::Raise { to }),
        (CityMode::Wartime(_), CityMode::Wartime(to)) => Ok(Transition::Lower { to }),
        (CityMode::Peacetime, CityMode::Peacetime) => unreachable!("equal states handled above"),
    }
}

/// A level-I proposal as the confirmation rule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proposal<'a> {
    pub id: uuid::Uuid,
    pub proposer: &'a str,
    /// `pending` until it is applied.
    pub status: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// The two-person rule for level I: `confirmer` (a commander, `role`) may confirm `p` at `now` only if they are
/// not its proposer, it is still pending and it has not expired. The switch itself is then checked again
/// against the city's mode ([`recheck`]).
pub fn check_confirmation(
    p: &Proposal<'_>,
    confirmer: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if p.proposer == confirmer {
        return Err(Refusal::OwnProposal { role });
    }
    if p.status != "pending" {
        return Err(Refusal::ProposalSettled {
            id: p.id,
            status: p.status.to_string(),
        });
    }
    if p.expires_at <= now {
        return Err(Refusal::ProposalExpired {
            id: p.id,
            expires_at: p.expires_at,
        });
    }
    Ok(())
}

/// A proposal's switch checked again when it is confirmed: the city's mode may have changed since.
pub fn recheck(
    current: CityMode,
    mode: &str,
    level: Option<&str>,
    reason: &str,
) -> Result<Transition, Refusal> {
    check_transition(current, mode, level, reason).map_err(|e| Refusal::ModeChanged {
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEVELS: [&str; 4] = ["I", "II", "III", "IV"];

    fn states() -> Vec<CityMode> {
        let mut v = vec![CityMode::Peacetime];
        v.extend(Grade::ALL.map(CityMode::Wartime));
        v
    }

    fn request(target: CityMode) -> (&'static str, Option<&'static str>) {
        match target {
            CityMode::Peacetime => ("peacetime", None),
            CityMode::Wartime(g) => (
                "wartime",
                Some(LEVELS[Grade::ALL.iter().position(|x| *x == g).unwrap()]),
            ),
        }
    }

    /// The whole table: every (from, to) pair of the five states.
    #[test]
    fn transition_table() {
        use Grade::*;
        for from in states() {
            for to in states() {
                let (mode, level) = request(to);
                let got = check_transition(from, mode, level, "暴雨红色预警");
                let expected = match (from, to) {
                    (a, b) if a == b => None,
                    (CityMode::Peacetime, CityMode::Wartime(g)) => Some(Transition::Raise { to: g }),
                    (CityMode::Wartime(_), CityMode::Peacetime) => Some(Transition::StandDown),
                    (CityMode::Wartime(a), CityMode::Wartime(b)) => {
                        let order = [IV, III, II, I];
                        let (ia, ib) = (
                            order.iter().position(|x| *x == a).unwrap(),
                            order.iter().position(|x| *x == b).unwrap(),
                        );
                        Some(if ib > ia {
                            Transition::Raise { to: b }
                        } else {
                            Transition::Lower { to: b }
                        })
                    }
                    _ => unreachable!(),
                };
                match expected {
                    Some(t) => {
                        assert_eq!(got, Ok(t), "{from:?} -> {to:?}");
                        assert_eq!(t.target(), to);
                    }
                    None => {
                        let e = got.unwrap_err();
                        assert_eq!(e.field, "mode", "{from:?} -> {to:?} is a no-op");
                        assert_eq!(
                            e.refusal,
                            Refusal::AlreadyInMode,
                            "{from:?} -> {to:?} is a conflict with the current state"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn only_switches_ending_at_level_one_need_a_second_commander() {
        assert!(Transition::Raise { to: Grade::I }.needs_confirmation());
        assert!(!Transition::Raise { to: Grade::II }.needs_confirmation());
        assert!(!Transition::Lower { to: Grade::III }.needs_confirmation());
        assert!(!Transition::StandDown.needs_confirmation());
    }

    #[test]
    fn nobody_skips_the_reason_and_bad_values_name_their_field() {
        let p = CityMode::Peacetime;
        assert_eq!(
            check_transition(p, "wartime", Some("III"), "").unwrap_err().field,
            "reason"
        );
        assert_eq!(
            check_transition(p, "wartime", Some("III"), "  \n ")
                .unwrap_err()
                .field,
            "reason"
        );
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(
            check_transition(p, "wartime", Some("III"), &long)
                .unwrap_err()
                .field,
            "reason"
        );
        assert_eq!(
            check_transition(p, "war", Some("III"), "r").unwrap_err().field,
            "mode"
        );
        assert_eq!(
            check_transition(p, "wartime", None, "r").unwrap_err().field,
            "level"
        );
        assert_eq!(
            check_transition(p, "wartime", Some("V"), "r").unwrap_err().field,
            "level"
        );
        assert_eq!(
            check_transition(p, "wartime", Some("III"), "")
                .unwrap_err()
                .refusal,
            Refusal::ReasonRequired
        );
        assert_eq!(
            check_transition(p, "wartime", None, "r").unwrap_err().refusal,
            Refusal::LevelRequired
        );
        assert_eq!(
            check_transition(p, "peacetime", None, "r").unwrap_err().refusal,
            Refusal::AlreadyInMode
        );
        let e = check_transition(p, "war", Some("III"), "r").unwrap_err();
        assert_eq!(e.refusal.code(), "field_unknown");
        assert_eq!(e.refusal.field(), Some("mode"));
        let w = CityMode::Wartime(Grade::II);
        assert_eq!(
            check_transition(w, "peacetime", Some("II"), "r")
                .unwrap_err()
                .field,
            "level"
        );
    }

    #[test]
    fn a_second_commander_confirms_a_pending_proposal_before_it_expires() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let p = Proposal {
            id: uuid::Uuid::from_u128(1),
            proposer: "li",
            status: "pending",
            expires_at: now + chrono::Duration::seconds(60),
        };
        assert_eq!(check_confirmation(&p, "wang", Role::Commander, now), Ok(()));
        assert_eq!(
            check_confirmation(&p, "li", Role::Commander, now),
            Err(Refusal::OwnProposal {
                role: Role::Commander
            }),
            "nobody confirms their own proposal"
        );
        let applied = Proposal {
            status: "applied",
            ..p
        };
        assert_eq!(
            check_confirmation(&applied, "wang", Role::Commander, now),
            Err(Refusal::ProposalSettled {
                id: p.id,
                status: "applied".into()
            })
        );
        let late = now + chrono::Duration::seconds(60);
        assert_eq!(
            check_confirmation(&p, "wang", Role::Commander, late),
            Err(Refusal::ProposalExpired {
                id: p.id,
                expires_at: p.expires_at
            }),
            "expired at the instant it expires"
        );
        // The switch is checked again against the mode the city is in now.
        assert_eq!(
            recheck(CityMode::Peacetime, "wartime", Some("I"), "地震"),
            Ok(Transition::Raise { to: Grade::I })
        );
        let e = recheck(CityMode::Wartime(Grade::I), "wartime", Some("I"), "地震").unwrap_err();
        assert_eq!(e.code(), "mode_changed");
    }
}
