//! What a response level commits the command hall to: the reporting and command deadlines that start when the
//! city switches to wartime, shown as countdowns on every screen.
//!
//! The defaults follow the pattern of Chinese emergency-information rules (特别重大/重大 events: first report by
//! phone within 30 minutes, written report within 1 hour, authoritative public information within 5 hours and
//! a press conference within 24 hours; lower levels get more time) and are meant to be tuned per city. Pure
//! data and arithmetic: the clock is an argument.

use citydeck_protocol::Grade;

/// One commitment. `repeat_min` makes it recurring (e.g. 续报 follow-up reports every hour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    /// Stable id, also the key of its label in the UI: `first_report`, `written_report`, `command_post`,
    /// `info_release`, `press_conference`, `follow_up`.
    pub id: &'static str,
    /// Minutes after the switch when it is (first) due.
    pub due_min: u32,
    /// Then again every this many minutes.
    pub repeat_min: Option<u32>,
}

const fn once(id: &'static str, due_min: u32) -> Deadline {
    Deadline {
        id,
        due_min,
        repeat_min: None,
    }
}

const fn every(id: &'static str, due_min: u32) -> Deadline {
    Deadline {
        id,
        due_min,
        repeat_min: Some(due_min),
    }
}

const LEVEL_I: &[Deadline] = &[
    once("first_report", 30),
    once("written_report", 60),
    once("command_post", 60),
    every("follow_up", 60),
    once("info_release", 300),
    once("press_conference", 1440),
];
const LEVEL_II: &[Deadline] = &[
    once("first_report", 30),
    once("written_report", 60),
    once("command_post", 120),
    every("follow_up", 120),
    once("info_release", 300),
    once("press_conference", 1440),
];
const LEVEL_III: &[Deadline] = &[
    once("first_report", 60),
    once("written_report", 120),
    once("command_post", 180),
    every("follow_up", 240),
];
const LEVEL_IV: &[Deadline] = &[
    once("first_report", 120),
    once("written_report", 240),
    every("follow_up", 480),
];

/// The deadlines a response level starts, soonest first.
pub fn deadlines(level: Grade) -> &'static [Deadline] {
    match level {
        Grade::I => LEVEL_I,
        Grade::II => LEVEL_II,
        Grade::III => LEVEL_III,
        Grade::IV => LEVEL_IV,
    }
}

/// Where a deadline stands `elapsed_s` seconds after the switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadlineStatus {
    /// Which occurrence (1-based) the countdown is for; always 1 for a one-off deadline.
    pub occurrence: u32,
    /// Seconds until it is due; negative once overdue (one-off deadlines only: a recurring one moves on to
    /// its next occurrence).
    pub remaining_s: i64,
}

impl Deadline {
    pub fn status(&self, elapsed_s: i64) -> DeadlineStatus {
        let due = i64::from(self.due_min) * 60;
        match self.repeat_min {
            Some(r) if r > 0 && elapsed_s >= due => {
                let r = i64::from(r) * 60;
                let passed = (elapsed_s - due) / r + 1;
                let next = due + passed * r;
                DeadlineStatus {
                    occurrence: u32::try_from(passed + 1).unwrap_or(u32::MAX),
                    remaining_s: next - elapsed_s,
                }
            }
            _ => DeadlineStatus {
                occurrence: 1,
                remaining_s: due - elapsed_s,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn higher_levels_report_sooner() {
        let first = |g| {
            deadlines(g)
                .iter()
                .find(|d| d.id == "first_report")
                .unwrap()
                .due_min
        };
        assert_eq!(first(Grade::I), 30);
        assert!(first(Grade::I) <= first(Grade::II));
        assert!(first(Grade::II) < first(Grade::III));
        assert!(first(Grade::III) < first(Grade::IV));
        for g in Grade::ALL {
            let d = deadlines(g);
            assert!(d.windows(2).all(|w| w[0].due_min <= w[1].due_min), "{g:?} sorted");
            assert!(
                d.iter().any(|d| d.repeat_min.is_some()),
                "{g:?} has follow-up reports"
            );
        }
    }

    #[test]
    fn one_off_counts_down_then_goes_overdue() {
        let d = once("first_report", 30);
        assert_eq!(d.status(0).remaining_s, 1800);
        assert_eq!(d.status(1799).remaining_s, 1);
        assert_eq!(d.status(1860).remaining_s, -60);
        assert_eq!(d.status(1860).occurrence, 1);
    }

    #[test]
    fn recurring_moves_on_to_the_next_occurrence() {
        let d = every("follow_up", 60);
        assert_eq!(
            d.status(0),
            DeadlineStatus {
                occurrence: 1,
                remaining_s: 3600
            }
        );
        assert_eq!(
            d.status(3600),
            DeadlineStatus {
                occurrence: 2,
                remaining_s: 3600
            }
        );
        assert_eq!(
            d.status(3601),
            DeadlineStatus {
                occurrence: 2,
                remaining_s: 3599
            }
        );
        assert_eq!(
            d.status(7300),
            DeadlineStatus {
                occurrence: 3,
                remaining_s: 3500
            }
        );
    }

    proptest! {
        #[test]
        fn a_recurring_deadline_is_never_overdue_and_never_further_than_its_period(
            due in 1u32..600, elapsed in 0i64..1_000_000
        ) {
            let d = every("follow_up", due);
            let s = d.status(elapsed);
            prop_assert!(s.remaining_s > 0);
            prop_assert!(s.remaining_s <= i64::from(due) * 60);
            prop_assert!(s.occurrence >= 1);
        }
    }
}
