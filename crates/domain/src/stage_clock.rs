//! The closed loop's clock (issue 24): how long an incident may stay in each stage, by grade, and what happens
//! when it stays longer. Pure: the hub keeps when each incident entered its stage and asks these rules.
//!
//! The limits come from the city file's `[deadlines]` table, or a file given with `citydeck-hub --deadlines`:
//!
//! ```toml
//! [stages]          # every grade
//! collected = "10m"
//! identified = "30m"
//! [grade.I]         # overrides for one grade
//! collected = "2m"
//! ```
//!
//! Durations are a whole positive number and a unit: `s`, `m`, `h` or `d` (`"90s"`, `"10m"`, `"2h"`, `"1d"`).
//! Stage names are the protocol's; `closed` never has a limit (a closed case is not late). A stage without a
//! limit is never due.
//!
//! The escalation ladder (督办升级): an incident still in its stage at `due_at` is overdue — the hub appends one
//! `incident_overdue` event for that stay. Each further whole limit it stays climbs one rung: at twice the limit
//! the case goes to the parent of the department it was assigned to (and the parent of its area), at three
//! times to that one's parent, and so on up to the top of the tree, where it stays. [`rung`] says which rung an
//! incident stands on; rung 0 is "not overdue", rung 1 "overdue, with its own department".

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use citydeck_protocol::{Escalation, Grade, Stage};

use crate::departments::{self, Department};
use toml::{Table, Value};

/// The stage limits: for every grade, and per grade overrides.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StageLimits {
    every: BTreeMap<Stage, Duration>,
    by_grade: BTreeMap<Grade, BTreeMap<Stage, Duration>>,
}

/// What is wrong with a deadlines file: the key (`grade.I.collected`; empty for the TOML syntax) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}", if key.is_empty() { String::new() } else { format!("{key}: ") })]
pub struct LimitsError {
    pub key: String,
    pub problem: String,
}

fn err(key: &str, problem: impl Into<String>) -> LimitsError {
    LimitsError {
        key: key.to_owned(),
        problem: problem.into(),
    }
}

/// The longest limit a file may set: a year.
const MAX_LIMIT_SECS: i64 = 366 * 86_400;

/// Reads a duration of the deadlines file: a whole positive number and `s`, `m`, `h` or `d`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '-' && c != '+')
            .unwrap_or(s.len()),
    );
    let secs_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "" => {
            return Err(format!(
                "`{s}` has no unit (s, m, h or d: \"90s\", \"10m\", \"2h\")"
            ))
        }
        other => return Err(format!("unknown unit `{other}` in `{s}` (s, m, h or d)")),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number and a unit (\"90s\", \"10m\", \"2h\")"))?;
    if n <= 0 {
        return Err(format!("`{s}`: a limit must be longer than nothing"));
    }
    let secs = n
        .checked_mul(secs_per)
        .filter(|&x| x <= MAX_LIMIT_SECS)
        .ok_or_else(|| format!("`{s}` is longer than a year"))?;
    Ok(Duration::seconds(secs))
}

fn stage_table(key: &str, v: &Value) -> Result<BTreeMap<Stage, Duration>, LimitsError> {
    let Value::Table(t) = v else {
        return Err(err(key, format!("must be a table, found {}", v.type_str())));
    };
    let mut out = BTreeMap::new();
    for (name, v) in t {
        let k = format!("{key}.{name}");
        let stage = Stage::parse(name).ok_or_else(|| {
            err(
                &k,
                format!(
                    "unknown stage `{name}` (one of {})",
                    Stage::ALL.map(|s| s.as_str()).join(", ")
                ),
            )
        })?;
        if stage == Stage::Closed {
            return Err(err(&k, "a closed incident has no deadline"));
        }
        let Value::String(text) = v else {
            return Err(err(
                &k,
                format!("must be a duration string like \"10m\", found {}", v.type_str()),
            ));
        };
        out.insert(stage, parse_duration(text).map_err(|p| err(&k, p))?);
    }
    Ok(out)
}

impl StageLimits {
    /// Reads the limits from a deadlines file's text (the tables `[stages]` and `[grade.<I|II|III|IV>]`).
    pub fn parse(text: &str) -> Result<StageLimits, LimitsError> {
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| err("", format!("not valid TOML: {}", e.to_string().trim_end())))?;
        StageLimits::from_table("", &table)
    }

    /// Reads the limits from a table (the city file's `[deadlines]`, keys named under `prefix`).
    pub fn from_table(prefix: &str, table: &Table) -> Result<StageLimits, LimitsError> {
        let key = |k: &str| {
            if prefix.is_empty() {
                k.to_owned()
            } else {
                format!("{prefix}.{k}")
            }
        };
        let mut limits = StageLimits::default();
        for (name, v) in table {
            match name.as_str() {
                "stages" => limits.every = stage_table(&key("stages"), v)?,
                "grade" => {
                    let Value::Table(grades) = v else {
                        return Err(err(
                            &key("grade"),
                            format!("must be a table, found {}", v.type_str()),
                        ));
                    };
                    for (g, v) in grades {
                        let k = key(&format!("grade.{g}"));
                        let grade = Grade::parse(g)
                            .ok_or_else(|| err(&k, format!("unknown grade `{g}` (I, II, III or IV)")))?;
                        limits.by_grade.insert(grade, stage_table(&k, v)?);
                    }
                }
                other => {
                    return Err(err(
                        &key(other),
                        "unknown key (a deadlines file has [stages] and [grade.<I|II|III|IV>])",
                    ))
                }
            }
        }
        Ok(limits)
    }

    /// How long an incident of `grade` may stay in `stage`; `None`: no limit (and never for `closed`).
    pub fn limit(&self, stage: Stage, grade: Grade) -> Option<Duration> {
        if stage == Stage::Closed {
            return None;
        }
        self.by_grade
            .get(&grade)
            .and_then(|m| m.get(&stage))
            .or_else(|| self.every.get(&stage))
            .copied()
    }

    /// When an incident of `grade` that entered `stage` at `entered` is due to have moved on (`stage_due_at`).
    pub fn due_at(&self, stage: Stage, grade: Grade, entered: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.limit(stage, grade).map(|l| entered + l)
    }

    /// True when no stage has a limit (the loop has no clock).
    pub fn is_empty(&self) -> bool {
        self.every.is_empty() && self.by_grade.values().all(BTreeMap::is_empty)
    }
}

/// Sets `incident`'s clock after a change made at `now` (`before`: its stage before the change, `None` for a
/// new incident): a new stage restarts the clock and clears `overdue`; the due time is the current stage's limit
/// for the current grade from when it entered the stage (a raised grade may bring it closer); closed has none.
/// An incident stored before the clock existed starts it now.
pub fn stamp(
    incident: &mut citydeck_protocol::Incident,
    before: Option<Stage>,
    limits: &StageLimits,
    now: DateTime<Utc>,
) {
    if before != Some(incident.status) || incident.stage_entered_at.is_none() {
        incident.stage_entered_at = Some(now);
        incident.overdue = false;
        incident.escalation = None;
    }
    let entered = incident.stage_entered_at.unwrap_or(now);
    incident.stage_due_at = limits.due_at(incident.status, incident.grade, entered);
}

/// What the hub's clock goes by: the stage limits and the departments' tree the ladder climbs.
#[derive(Debug, Clone, Default)]
pub struct LoopRules {
    pub limits: StageLimits,
    pub departments: Vec<Department>,
}

/// The highest rung worth climbing to for `incident`: as many as the longer of its department's ladder (itself
/// and its ancestors) and its areas (street, district, city); at least 1 (overdue).
pub fn top_rung(incident: &citydeck_protocol::Incident, departments: &[Department]) -> u32 {
    let dept = incident
        .department
        .as_deref()
        .map_or(0, |d| departments::ladder(departments, d).len());
    let top = dept.max(incident.area_ids.len()).max(1);
    u32::try_from(top).unwrap_or(u32::MAX)
}

/// The rung `incident` stands on as the hub last marked it: 0 not overdue, 1 overdue, else its escalation's.
pub fn marked_rung(incident: &citydeck_protocol::Incident) -> u32 {
    match (&incident.escalation, incident.overdue) {
        (Some(e), _) => e.rung.max(1),
        (None, true) => 1,
        (None, false) => 0,
    }
}

/// The time the hub's clock must look at `incident` again (the `due_at` it indexes): its `stage_due_at` until it
/// has been marked overdue for this stay; then the next whole limit, while the ladder has a rung above the one
/// it stands on; never once it is at the top.
pub fn pending(incident: &citydeck_protocol::Incident, rules: &LoopRules) -> Option<DateTime<Utc>> {
    let due = incident.stage_due_at?;
    let marked = marked_rung(incident);
    if marked == 0 {
        return Some(due);
    }
    if marked >= top_rung(incident, &rules.departments) {
        return None;
    }
    let entered = incident.stage_entered_at?;
    let limit = rules.limits.limit(incident.status, incident.grade)?;
    Some(entered + limit * i32::try_from(marked + 1).ok()?)
}

/// Who answers for `incident` on `rung` (≥ 2): its department's ancestor and its street's ancestor area, one
/// level up per rung above 1, each stopping at its top (`departments::holder`; `area_ids` are city first).
pub fn escalation_at(
    incident: &citydeck_protocol::Incident,
    departments: &[Department],
    rung: u32,
    now: DateTime<Utc>,
) -> Escalation {
    let department = incident
        .department
        .as_deref()
        .and_then(|d| departments::holder(departments, d, rung))
        .map(|d| d.id.clone());
    let up = rung.saturating_sub(1) as usize;
    let area_id = incident
        .area_ids
        .len()
        .checked_sub(1)
        .map(|last| incident.area_ids[last - up.min(last)].clone());
    Escalation {
        rung,
        department,
        area_id,
        at: now,
    }
}

/// What the hub's clock does to a due `incident` at `now`.
#[derive(Debug, Clone, PartialEq)]
pub enum Tick {
    /// Not due (moved on, or its limit changed): nothing to write but its next look.
    Nothing,
    /// First time past its limit in this stay: `incident_overdue`.
    Overdue,
    /// Further up the ladder: `incident_escalated` to this rung.
    Escalate(Escalation),
}

/// Decides the tick for an incident the index said was due at `now`, and applies it to `incident` (`overdue`,
/// `escalation`). A hub that was down for several limits climbs straight to the rung of now: one event.
pub fn tick(incident: &mut citydeck_protocol::Incident, rules: &LoopRules, now: DateTime<Utc>) -> Tick {
    let (Some(due), Some(entered), Some(limit)) = (
        incident.stage_due_at,
        incident.stage_entered_at,
        rules.limits.limit(incident.status, incident.grade),
    ) else {
        return Tick::Nothing;
    };
    if now < due {
        return Tick::Nothing;
    }
    if !incident.overdue {
        incident.overdue = true;
        return Tick::Overdue;
    }
    let target = rung(entered, limit, now).min(top_rung(incident, &rules.departments));
    if target <= marked_rung(incident) {
        return Tick::Nothing;
    }
    let e = escalation_at(incident, &rules.departments, target, now);
    incident.escalation = Some(e.clone());
    Tick::Escalate(e)
}

/// The rung of the escalation ladder an incident stands on at `now` (see the module doc): 0 before `due_at`,
/// 1 from `due_at` (overdue), then one more for each further whole `limit` it stays.
pub fn rung(entered: DateTime<Utc>, limit: Duration, now: DateTime<Utc>) -> u32 {
    let stay = now - entered;
    if limit <= Duration::zero() || stay < limit {
        return 0;
    }
    let whole = stay.num_milliseconds() / limit.num_milliseconds().max(1);
    u32::try_from(whole).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EXAMPLE: &str = r#"
[stages]          # every grade
collected = "10m"
identified = "30m"
[grade.I]         # overrides for one grade
collected = "2m"
"#;

    #[test]
    fn the_issue_example_reads_and_grade_overrides_win() {
        let l = StageLimits::parse(EXAMPLE).unwrap();
        assert_eq!(l.limit(Stage::Collected, Grade::I), Some(Duration::minutes(2)));
        assert_eq!(l.limit(Stage::Collected, Grade::II), Some(Duration::minutes(10)));
        assert_eq!(l.limit(Stage::Identified, Grade::I), Some(Duration::minutes(30)));
        assert_eq!(l.limit(Stage::Handling, Grade::I), None, "no limit, never due");
        assert_eq!(l.limit(Stage::Closed, Grade::I), None);
        let t: DateTime<Utc> = "2026-12-07T08:00:00Z".parse().unwrap();
        assert_eq!(
            l.due_at(Stage::Collected, Grade::I, t),
            Some("2026-12-07T08:02:00Z".parse().unwrap())
        );
        assert!(!l.is_empty());
        assert!(StageLimits::parse("").unwrap().is_empty());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::seconds(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::minutes(10)));
        assert_eq!(parse_duration("2h"), Ok(Duration::hours(2)));
        assert_eq!(parse_duration(" 1d "), Ok(Duration::days(1)));
        for bad in [
            "",
            "10",
            "-5m",
            "0s",
            "+",
            "1.5h",
            "5 m",
            "10x",
            "m",
            "99999999999999999999s",
            "400d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bad_files_name_the_key() {
        let e = |t: &str| StageLimits::parse(t).unwrap_err();
        assert_eq!(e("[stages]\nlunch = \"1h\"").key, "stages.lunch");
        assert_eq!(e("[stages]\ncollected = \"-5m\"").key, "stages.collected");
        assert!(e("[stages]\ncollected = \"-5m\"")
            .problem
            .contains("longer than nothing"));
        assert_eq!(e("[stages]\ncollected = 10").key, "stages.collected");
        assert_eq!(e("[stages]\nclosed = \"1h\"").key, "stages.closed");
        assert_eq!(e("[grade.V]\ncollected = \"1h\"").key, "grade.V");
        assert_eq!(e("[grade.I]\nhandling = \"soon\"").key, "grade.I.handling");
        assert_eq!(e("[stage]\ncollected = \"1h\"").key, "stage");
        assert_eq!(e("stages = 3").key, "stages");
        assert_eq!(e("[stages").key, "");
        let mut t = Table::new();
        t.insert("stages".into(), Value::String("x".into()));
        assert_eq!(
            StageLimits::from_table("deadlines", &t).unwrap_err().key,
            "deadlines.stages"
        );
    }

    #[test]
    fn a_new_stage_restarts_the_clock_a_raised_grade_brings_it_closer_closed_stops_it() {
        let l = StageLimits::parse(EXAMPLE).unwrap();
        let t0: DateTime<Utc> = "2026-12-07T08:00:00Z".parse().unwrap();
        let new = citydeck_protocol::NewIncident {
            title: "积水".into(),
            class: citydeck_protocol::IncidentClass::NaturalDisaster,
            grade: Grade::III,
            lon: 0.0,
            lat: 0.0,
            source: "operator".into(),
            description: None,
            address: None,
            external_id: None,
            occurred_at: None,
        };
        let mut i = crate::incident::from_request(uuid::Uuid::nil(), new, "op", t0, 1);
        stamp(&mut i, None, &l, t0);
        assert_eq!(i.stage_entered_at, Some(t0));
        assert_eq!(i.stage_due_at, Some(t0 + Duration::minutes(10)));
        let rules = LoopRules {
            limits: l.clone(),
            departments: Vec::new(),
        };
        assert_eq!(pending(&i, &rules), i.stage_due_at);
        // marked overdue: nothing pending (no department, no area: no ladder), the due time stays shown
        i.overdue = true;
        assert_eq!(pending(&i, &rules), None);
        // raised to grade I a minute later, same stage: due 2 minutes after it entered, still overdue
        i.grade = Grade::I;
        stamp(&mut i, Some(Stage::Collected), &l, t0 + Duration::minutes(1));
        assert_eq!(
            (i.stage_due_at, i.overdue),
            (Some(t0 + Duration::minutes(2)), true)
        );
        // identified at 08:05: a new stay, 30 minutes, not overdue
        let t1 = t0 + Duration::minutes(5);
        i.status = Stage::Identified;
        stamp(&mut i, Some(Stage::Collected), &l, t1);
        assert_eq!(
            (i.stage_entered_at, i.stage_due_at, i.overdue),
            (Some(t1), Some(t1 + Duration::minutes(30)), false)
        );
        i.status = Stage::Closed;
        stamp(&mut i, Some(Stage::Identified), &l, t1);
        assert_eq!((i.stage_due_at, pending(&i, &rules)), (None, None));
    }

    #[test]
    fn the_ladder_climbs_department_and_area_once_per_rung_to_the_top() {
        let t: Table = r#"
[[departments]]
id = "city"
name = { zh = "市", en = "City" }
[[departments]]
id = "fire"
name = { zh = "消防", en = "Fire" }
parent = "city"
"#
        .parse()
        .unwrap();
        let rules = LoopRules {
            limits: StageLimits::parse("[stages]\ncollected = \"10m\"\n").unwrap(),
            departments: departments::parse(t.get("departments")).unwrap(),
        };
        let t0: DateTime<Utc> = "2026-12-07T08:00:00Z".parse().unwrap();
        let m = Duration::minutes;
        let mut i = citydeck_protocol::fixtures::incident(1).build();
        i.department = Some("fire".into());
        i.area_ids = vec!["city".into(), "district".into(), "street".into()];
        stamp(&mut i, None, &rules.limits, t0);
        assert_eq!(top_rung(&i, &rules.departments), 3);
        assert_eq!(pending(&i, &rules), Some(t0 + m(10)));
        assert_eq!(tick(&mut i, &rules, t0 + m(9)), Tick::Nothing);
        assert_eq!(tick(&mut i, &rules, t0 + m(10)), Tick::Overdue);
        assert_eq!(pending(&i, &rules), Some(t0 + m(20)));
        assert_eq!(tick(&mut i, &rules, t0 + m(15)), Tick::Nothing);
        let Tick::Escalate(e) = tick(&mut i, &rules, t0 + m(20)) else {
            panic!("rung 2")
        };
        assert_eq!(
            (e.rung, e.department.as_deref(), e.area_id.as_deref()),
            (2, Some("city"), Some("district"))
        );
        assert_eq!(pending(&i, &rules), Some(t0 + m(30)));
        // a hub down for an hour climbs straight to the top, one event, and stops there
        let Tick::Escalate(e) = tick(&mut i, &rules, t0 + m(90)) else {
            panic!("rung 3")
        };
        assert_eq!(
            (e.rung, e.department.as_deref(), e.area_id.as_deref()),
            (3, Some("city"), Some("city"))
        );
        assert_eq!(pending(&i, &rules), None);
        assert_eq!(tick(&mut i, &rules, t0 + m(200)), Tick::Nothing);
        // a new stage: off the ladder
        i.status = Stage::Identified;
        stamp(&mut i, Some(Stage::Collected), &rules.limits, t0 + m(200));
        assert_eq!((i.overdue, i.escalation.clone()), (false, None));
        // no department and no area: overdue is the top
        let mut lone = citydeck_protocol::fixtures::incident(2).build();
        stamp(&mut lone, None, &rules.limits, t0);
        assert_eq!(tick(&mut lone, &rules, t0 + m(10)), Tick::Overdue);
        assert_eq!(pending(&lone, &rules), None);
    }

    proptest! {
        #[test]
        fn rungs_climb_one_per_whole_limit_and_never_go_down(
            limit_s in 1i64..100_000,
            a in 0i64..1_000_000,
            b in 0i64..1_000_000,
        ) {
            let t0: DateTime<Utc> = "2026-12-07T08:00:00Z".parse().unwrap();
            let limit = Duration::seconds(limit_s);
            let (early, late) = (a.min(b), a.max(b));
            let r1 = rung(t0, limit, t0 + Duration::seconds(early));
            let r2 = rung(t0, limit, t0 + Duration::seconds(late));
            prop_assert!(r1 <= r2);
            prop_assert_eq!(r2 as i64, late / limit_s);
            // overdue exactly from due_at
            prop_assert_eq!(rung(t0, limit, t0 + limit - Duration::milliseconds(1)), 0);
            prop_assert_eq!(rung(t0, limit, t0 + limit), 1);
            prop_assert_eq!(rung(t0, limit, t0 + limit * 2), 2);
        }

        #[test]
        fn due_at_is_entered_plus_the_limit_of_the_grade_or_else_of_every_grade(
            every in proptest::option::of(1i64..10_000),
            one in proptest::option::of(1i64..10_000),
            grade in 0usize..4,
            entered_s in 0i64..1_000_000_000,
        ) {
            let mut text = String::new();
            if let Some(e) = every {
                text.push_str(&format!("[stages]\nhandling = \"{e}s\"\n"));
            }
            if let Some(o) = one {
                text.push_str(&format!("[grade.II]\nhandling = \"{o}s\"\n"));
            }
            let l = StageLimits::parse(&text).unwrap();
            let g = Grade::ALL[grade];
            let entered = DateTime::from_timestamp(entered_s, 0).unwrap();
            let want = if g == Grade::II { one.or(every) } else { every };
            prop_assert_eq!(
                l.due_at(Stage::Handling, g, entered),
                want.map(|s| entered + Duration::seconds(s))
            );
            prop_assert_eq!(l.due_at(Stage::Closed, g, entered), None);
        }
    }
}
