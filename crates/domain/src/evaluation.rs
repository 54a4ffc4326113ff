//! 考核 (issue 24): how each department handles the cases routed to it, computed from the log.
//!
//! Every write of an incident adds the *facts* it makes true ([`facts`]), kept beside the log so that scoring a
//! window is an aggregate, not a replay of a million events; the same facts follow from the events alone, so
//! anyone can recompute the scores from `GET /api/v1/events` (a hub test does). Definitions, per department, over
//! a window `[from, to)` of event times:
//!
//! - `assigned`: writes that route an incident to it (its `department` becomes this one; re-routing to the same
//!   department is not a new assignment);
//! - `closed`: its incidents entering 结案 (the department is the one holding the case then);
//! - `closed_on_time`: of those, the ones that never had an `incident_overdue` while it held them;
//! - `on_time_rate`: `closed_on_time / closed` (null when it closed none);
//! - `overdue`: `incident_overdue` events of its incidents;
//! - `reopened`: its incidents taken back from 反馈 (feedback) to 处置 (handling) — the handling not accepted;
//! - `median_minutes`: for each stage, the median minutes its incidents stayed in that stage, over the stays that
//!   ended in the window (a stay ends when the incident moves to another stage; it counts for the department
//!   holding the case when it ends), rounded to hundredths.
//!
//! Incidents without a department count for none. Pure: the hub stores the facts and counts them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use citydeck_protocol::closed_loop::DepartmentScore;
use citydeck_protocol::{Incident, Stage};

/// What one fact says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactKind {
    Assigned,
    /// A stay in `stage` ended after `minutes`.
    Left,
    Closed,
    ClosedOnTime,
    Overdue,
    Reopened,
}

impl FactKind {
    pub const ALL: [FactKind; 6] = [
        FactKind::Assigned,
        FactKind::Left,
        FactKind::Closed,
        FactKind::ClosedOnTime,
        FactKind::Overdue,
        FactKind::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::Assigned => "assigned",
            FactKind::Left => "left",
            FactKind::Closed => "closed",
            FactKind::ClosedOnTime => "closed_on_time",
            FactKind::Overdue => "overdue",
            FactKind::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<FactKind> {
        FactKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One fact of one incident write, for one department.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub kind: FactKind,
    pub department: String,
    /// For [`FactKind::Left`]: the stage left and how long the stay was.
    pub stage: Option<Stage>,
    pub minutes: Option<f64>,
}

/// An incident as it was before a write: its stage, its department, when it entered the stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Before<'a> {
    pub stage: Stage,
    pub department: Option<&'a str>,
    pub entered: Option<DateTime<Utc>>,
}

/// The facts a write makes true: `before` the incident as stored (None: a new incident), `after` as written
/// at `now`; `overdue_event`: the write is the clock's `incident_overdue`; `was_overdue_here`: whether the
/// department holding it had an `incident_overdue` of it before (asked only when the write closes it).
pub fn facts(
    before: Option<Before<'_>>,
    after: &Incident,
    now: DateTime<Utc>,
    overdue_event: bool,
    was_overdue_here: impl FnOnce(&str) -> bool,
) -> Vec<Fact> {
    let Some(dept) = after.department.as_deref() else {
        return Vec::new();
    };
    let fact = |kind, stage, minutes| Fact {
        kind,
        department: dept.to_owned(),
        stage,
        minutes,
    };
    let mut out = Vec::new();
    if before.and_then(|b| b.department) != Some(dept) {
        out.push(fact(FactKind::Assigned, None, None));
    }
    if let Some(b) = before.filter(|b| b.stage != after.status) {
        if let Some(entered) = b.entered {
            out.push(fact(FactKind::Left, Some(b.stage), Some(minutes(entered, now))));
        }
        if after.status == Stage::Closed {
            out.push(fact(FactKind::Closed, None, None));
            if !overdue_event && !was_overdue_here(dept) {
                out.push(fact(FactKind::ClosedOnTime, None, None));
            }
        }
        if b.stage == Stage::Feedback && after.status == Stage::Handling {
            out.push(fact(FactKind::Reopened, None, None));
        }
    }
    if overdue_event {
        out.push(fact(FactKind::Overdue, None, None));
    }
    out
}

/// Minutes from `from` to `to` (negative never: a clock step back counts as none).
pub fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_milliseconds().max(0) as f64) / 60_000.0
}

/// The median of `values` (the mean of the middle two for an even count), rounded to hundredths; None when
/// empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let m = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Some((m * 100.0).round() / 100.0)
}

/// One department's tally over a window: the count of each kind, and each stage's stay lengths.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub counts: BTreeMap<FactKind, u64>,
    pub stays: BTreeMap<Stage, Vec<f64>>,
}

impl Tally {
    pub fn add(&mut self, kind: FactKind, stage: Option<Stage>, minutes: Option<f64>) {
        if kind == FactKind::Left {
            if let (Some(s), Some(m)) = (stage, minutes) {
                self.stays.entry(s).or_default().push(m);
            }
        } else {
            *self.counts.entry(kind).or_default() += 1;
        }
    }

    /// The scores of department `id`.
    pub fn score(mut self, id: &str) -> DepartmentScore {
        let n = |k| self.counts.get(&k).copied().unwrap_or(0);
        let closed = n(FactKind::Closed);
        let on_time = n(FactKind::ClosedOnTime);
        DepartmentScore {
            id: id.to_owned(),
            assigned: n(FactKind::Assigned),
            closed,
            closed_on_time: on_time,
            on_time_rate: (closed > 0).then(|| on_time as f64 / closed as f64),
            overdue: n(FactKind::Overdue),
            reopened: n(FactKind::Reopened),
            median_minutes: self
                .stays
                .iter_mut()
                .filter_map(|(s, v)| median(v).map(|m| (s.as_str().to_owned(), m)))
                .collect(),
        }
    }
}

/// The scores of every department: the declared ones in `order` (zeros included), then any other the tallies
/// name (a department since removed from the city file), by id.
pub fn scores(order: &[String], mut tallies: BTreeMap<String, Tally>) -> Vec<DepartmentScore> {
    let mut out: Vec<DepartmentScore> = order
        .iter()
        .map(|id| tallies.remove(id).unwrap_or_default().score(id))
        .collect();
    out.extend(tallies.into_iter().map(|(id, t)| t.score(&id)));
    out
}

/// A window of time, `[from, to)`.
pub type Window = (DateTime<Utc>, DateTime<Utc>);

/// The evaluation window of `GET /api/v1/evaluation`: `to` (default now) and `from` (default a day before
/// `to`), RFC 3339; an error names the parameter (`from`, `to`).
pub fn window(
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Window, (&'static str, String)> {
    let parse = |name: &'static str, v: &str| {
        DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| (name, format!("must be an RFC 3339 time: {e}")))
    };
    let to = to.map(|v| parse("to", v)).transpose()?.unwrap_or(now);
    let from = from
        .map(|v| parse("from", v))
        .transpose()?
        .unwrap_or(to - chrono::Duration::days(1));
    if to <= from {
        return Err(("to", "must be after from".into()));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::fixtures;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_write_says_what_it_makes_true() {
        let t0 = at("2026-12-07T08:00:00Z");
        let t1 = at("2026-12-07T08:12:30Z");
        let mut i = fixtures::incident(1).status(Stage::Assigned).build();
        // no department: nothing
        assert!(facts(None, &i, t0, false, |_| false).is_empty());
        i.department = Some("fire".into());
        let before = Before {
            stage: Stage::Identified,
            department: None,
            entered: Some(t0),
        };
        let f = facts(Some(before), &i, t1, false, |_| false);
        let kinds: Vec<_> = f.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [FactKind::Assigned, FactKind::Left]);
        assert_eq!((f[1].stage, f[1].minutes), (Some(Stage::Identified), Some(12.5)));
        // the same department again is no new assignment; closing on time / after an overdue
        i.status = Stage::Closed;
        let b = Before {
            stage: Stage::Feedback,
            department: Some("fire"),
            entered: Some(t0),
        };
        let kinds = |f: Vec<Fact>| f.into_iter().map(|f| f.kind).collect::<Vec<_>>();
        assert_eq!(
            kinds(facts(Some(b), &i, t1, false, |_| false)),
            [FactKind::Left, FactKind::Closed, FactKind::ClosedOnTime]
        );
        assert_eq!(
            kinds(facts(Some(b), &i, t1, false, |d| d == "fire")),
            [FactKind::Left, FactKind::Closed]
        );
        // handed back from feedback to handling
        i.status = Stage::Handling;
        assert_eq!(
            kinds(facts(Some(b), &i, t1, false, |_| false)),
            [FactKind::Left, FactKind::Reopened]
        );
        // the clock's overdue mark: same stage, one overdue fact
        let same = Before {
            stage: Stage::Handling,
            department: Some("fire"),
            entered: Some(t0),
        };
        assert_eq!(
            kinds(facts(Some(same), &i, t1, true, |_| false)),
            [FactKind::Overdue]
        );
    }

    #[test]
    fn scores_list_every_declared_department_then_the_others() {
        let mut t = Tally::default();
        for k in [
            FactKind::Assigned,
            FactKind::Closed,
            FactKind::Closed,
            FactKind::ClosedOnTime,
        ] {
            t.add(k, None, None);
        }
        t.add(FactKind::Left, Some(Stage::Handling), Some(3.0));
        t.add(FactKind::Left, Some(Stage::Handling), Some(1.0));
        let mut tallies = BTreeMap::new();
        tallies.insert("fire".to_string(), t);
        tallies.insert("gone".to_string(), Tally::default());
        let s = scores(&["command".into(), "fire".into()], tallies);
        let ids: Vec<&str> = s.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["command", "fire", "gone"]);
        assert_eq!(s[0].on_time_rate, None);
        assert_eq!((s[1].assigned, s[1].closed, s[1].closed_on_time), (1, 2, 1));
        assert_eq!(s[1].on_time_rate, Some(0.5));
        assert_eq!(s[1].median_minutes.get("handling"), Some(&2.0));
    }

    #[test]
    fn the_window_defaults_to_the_last_day_and_names_a_bad_parameter() {
        let now = at("2026-12-07T08:00:00Z");
        assert_eq!(
            window(None, None, now),
            Ok((now - chrono::Duration::days(1), now))
        );
        assert_eq!(window(Some("yesterday"), None, now).unwrap_err().0, "from");
        assert_eq!(
            window(None, Some("2026-13-01T00:00:00Z"), now).unwrap_err().0,
            "to"
        );
        assert_eq!(
            window(Some("2026-12-07T09:00:00Z"), None, now).unwrap_err().0,
            "to"
        );
    }

    proptest! {
        #[test]
        fn the_median_has_as_many_values_on_each_side(mut v in proptest::collection::vec(0.0f64..10_000.0, 1..60)) {
            let m = median(&mut v).unwrap();
            let below = v.iter().filter(|x| **x < m - 0.005).count();
            let above = v.iter().filter(|x| **x > m + 0.005).count();
            prop_assert!(below <= v.len() / 2 && above <= v.len() / 2, "{m} {v:?}");
        }
    }
}
