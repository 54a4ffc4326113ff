//! Reports of one event merge (issue 22): the open incidents a new report may join, kept in `merge_candidates`
//! with a spatial index (`merge_rtree`: SQLite's R*Tree, PostgreSQL's GiST index), looked up within the rule's
//! radius and tested exactly by `domain::merge`; a joined report is listed on its incident (`reports`, its
//! quality restamped) with a `report_merged` event, and kept in `incident_reports` so a re-delivery finds it.

use chrono::{DateTime, Utc};
use citydeck_domain::merge::{self, Candidate, Incoming, MergeRule};
use citydeck_domain::stage_clock::LoopRules;
use citydeck_protocol::{Event, EventBody, Incident, NewIncident, Refusal, Stage};

use super::log::{insert_incident_with, read_incident, write_incident};
use crate::error::{DbError, DbResult};
use crate::sql::{p, ts, Sql};

/// An event appended, with its JSON.
type Appended = (Event, String);

/// What a report became.
pub enum Taken {
    /// A new incident (its `incident_created` event).
    New(Box<(Event, String)>),
    /// The same `(source, external_id)` was taken before: its incident, nothing appended.
    Existing(Box<Incident>),
    /// It joined an open incident of another source (its `report_merged` event).
    Joined(Box<(Event, String)>),
}

impl Taken {
    /// The incident it made, found or joined.
    pub fn incident(&self) -> Option<&Incident> {
        match self {
            Taken::New(e) | Taken::Joined(e) => e.0.body.incident(),
            Taken::Existing(i) => Some(i),
        }
    }
}

/// Keeps the incident's row in `merge_candidates` (and the spatial index) as it now is: none when it is closed,
/// its class and its reports' sources when open.
pub(super) fn sync_candidate(tx: &mut dyn Sql, incident: &Incident) -> DbResult<()> {
    let id = incident.id.to_string();
    let row = tx.row(
        "SELECT rid, class, sources FROM merge_candidates WHERE incident_id = ?1",
        p![&id],
    )?;
    if incident.status == Stage::Closed {
        if let Some(mut r) = row {
            let rid = r.int(0)?;
            if !tx.is_postgres() {
                tx.exec("DELETE FROM merge_rtree WHERE rid = ?1", p![rid])?;
            }
            tx.exec("DELETE FROM merge_candidates WHERE rid = ?1", p![rid])?;
        }
        return Ok(());
    }
    let sources = serde_json::to_string(&sources(incident)).map_err(|e| DbError::Corrupt(e.to_string()))?;
    match row {
        Some(mut r) => {
            let rid = r.int(0)?;
            // most writes (a stage, a note) change nothing the merge reads: no write then
            if r.text(1)? != incident.class.as_str() || r.text(2)? != sources {
                tx.exec(
                    "UPDATE merge_candidates SET class = ?2, sources = ?3 WHERE rid = ?1",
                    p![rid, incident.class.as_str(), &sources],
                )?;
            }
        }
        None => {
            let (lon, lat) = (incident.location.lon, incident.location.lat);
            let mut r = tx
                .row(
                    "INSERT INTO merge_candidates (incident_id, class, lon, lat, at, sources)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING rid",
                    p![
                        &id,
                        incident.class.as_str(),
                        lon,
                        lat,
                        &ts(incident.occurred_at),
                        &sources
                    ],
                )?
                .ok_or_else(|| DbError::Corrupt("INSERT … RETURNING gave no row".into()))?;
            let rid = r.int(0)?;
            if !tx.is_postgres() {
                tx.exec(
                    "INSERT INTO merge_rtree (rid, min_lon, max_lon, min_lat, max_lat) VALUES (?1, ?2, ?2, ?3, ?3)",
                    p![rid, lon, lat],
                )?;
            }
        }
    }
    Ok(())
}

/// The distinct sources of the incident's reports (its own source when it has none listed).
fn sources(incident: &Incident) -> Vec<String> {
    let mut s: Vec<String> = incident.reports.iter().map(|r| r.source.clone()).collect();
    if s.is_empty() {
        s.push(incident.source.clone());
    }
    s.sort();
    s.dedup();
    s
}

/// The open incident the report `new` (taken at `now`) joins, if any.
fn find_join(
    tx: &mut dyn Sql,
    rule: &MergeRule,
    new: &NewIncident,
    now: DateTime<Utc>,
) -> DbResult<Option<uuid::Uuid>> {
    if rule.radius_m <= 0.0 {
        return Ok(None);
    }
    let point = (new.lon, new.lat);
    let [w, s, e, n] = merge::search_box(point, rule.radius_m);
    let sql = if tx.is_postgres() {
        "SELECT incident_id, lon, lat, at, sources FROM merge_candidates
         WHERE box(point(lon, lat), point(lon, lat)) && box(point(?1, ?2), point(?3, ?4)) AND class = ?5"
    } else {
        "SELECT c.incident_id, c.lon, c.lat, c.at, c.sources FROM merge_rtree r JOIN merge_candidates c ON c.rid = r.rid
         WHERE r.max_lon >= ?1 AND r.min_lon <= ?3 AND r.max_lat >= ?2 AND r.min_lat <= ?4 AND c.class = ?5"
    };
    let mut candidates = Vec::new();
    for mut r in tx.rows(sql, p![w, s, e, n, new.class.as_str()])? {
        let id = r.text(0)?;
        candidates.push(Candidate {
            id: uuid::Uuid::parse_str(&id)
                .map_err(|e| DbError::Corrupt(format!("merge candidate id: {e}")))?,
            class: new.class,
            point: (r.real(1)?, r.real(2)?),
            at: crate::sql::parse_ts(&r.text(3)?)?,
            sources: serde_json::from_str(&r.text(4)?)
                .map_err(|e| DbError::Corrupt(format!("merge candidate sources: {e}")))?,
        });
    }
    let incoming = Incoming {
        source: &new.source,
        class: new.class,
        point,
        at: new.occurred_at.unwrap_or(now),
    };
    Ok(merge::best(rule, &incoming, &candidates).map(|c| c.id))
}

/// Takes a report: the incident already holding its `(source, external_id)`; else the open incident it joins
/// (`domain::merge`: another source, the same class, within the rule's radius and window — for a scoped account,
/// only one in its scope); else a new incident. `extra(incident, joined)` fills in what a new-incident request
/// cannot say (a CAP alert's record, an outline) on the new incident, or on the one joined (`joined`: true).
/// Refused `out_of_scope` as a new incident would be.
pub(super) fn take_report(
    tx: &mut dyn Sql,
    limits: &LoopRules,
    rule: &MergeRule,
    actor: &str,
    scope: Option<&str>,
    new: NewIncident,
    extra: impl FnOnce(&mut Incident, bool),
) -> DbResult<Result<Taken, Refusal>> {
    let now = Utc::now();
    // a report that joined an incident before, delivered again
    if let Some(ext) = &new.external_id {
        if let Some(mut r) = tx.row(
            "SELECT incident_id FROM incident_reports WHERE source = ?1 AND external_id = ?2",
            p![&new.source, ext],
        )? {
            let id = uuid::Uuid::parse_str(&r.text(0)?).map_err(|e| DbError::Corrupt(e.to_string()))?;
            if let Some(incident) = read_incident(tx, id)? {
                return Ok(citydeck_domain::scope::check(scope, &incident.area_ids)
                    .map(|()| Taken::Existing(Box::new(incident))));
            }
        }
        // one that made an incident of its own: insert_incident_with finds it
        let known = tx
            .row(
                "SELECT 1 FROM incidents WHERE source = ?1 AND external_id = ?2",
                p![&new.source, ext],
            )?
            .is_some();
        if !known {
            if let Some(incident) = joinable(tx, rule, scope, &new, now)? {
                return join(tx, limits, rule, actor, &new, now, incident, extra).map(Ok);
            }
        }
    } else if let Some(incident) = joinable(tx, rule, scope, &new, now)? {
        return join(tx, limits, rule, actor, &new, now, incident, extra).map(Ok);
    }
    insert(tx, limits, rule, actor, scope, new, extra)
}

/// The open incident `new` joins, read (for a scoped account, only one in its scope).
fn joinable(
    tx: &mut dyn Sql,
    rule: &MergeRule,
    scope: Option<&str>,
    new: &NewIncident,
    now: DateTime<Utc>,
) -> DbResult<Option<Incident>> {
    let Some(id) = find_join(tx, rule, new, now)? else {
        return Ok(None);
    };
    Ok(read_incident(tx, id)?.filter(|i| citydeck_domain::scope::check(scope, &i.area_ids).is_ok()))
}

/// A new incident of the report `new` (its origin official when its source is trusted).
fn insert(
    tx: &mut dyn Sql,
    limits: &LoopRules,
    rule: &MergeRule,
    actor: &str,
    scope: Option<&str>,
    new: NewIncident,
    extra: impl FnOnce(&mut Incident, bool),
) -> DbResult<Result<Taken, Refusal>> {
    let trusted = rule.trusts(&new.source);
    let inserted = insert_incident_with(tx, limits, actor, scope, new, None, |incident| {
        extra(incident, false);
        if trusted {
            for r in incident.reports.iter_mut().take(1) {
                r.quality = citydeck_protocol::ingest::Quality::Official;
            }
        }
        merge::restamp(incident);
    })?;
    Ok(inserted.map(|r| match r {
        Ok(created) => Taken::New(Box::new(created)),
        Err(existing) => Taken::Existing(existing),
    }))
}

/// Joins `new` to the open `incident` it belongs to.
#[allow(clippy::too_many_arguments)]
fn join(
    tx: &mut dyn Sql,
    limits: &LoopRules,
    rule: &MergeRule,
    actor: &str,
    new: &NewIncident,
    now: DateTime<Utc>,
    mut incident: Incident,
    extra: impl FnOnce(&mut Incident, bool),
) -> DbResult<Taken> {
    let id = incident.id;
    if incident.reports.is_empty() {
        // stored before provenance: its origin first
        incident.reports.push(rule.report(
            &incident.source,
            incident.external_id.clone(),
            incident.created_at,
        ));
    }
    let report = rule.report(&new.source, new.external_id.clone(), now);
    extra(&mut incident, true);
    incident.reports.push(report.clone());
    merge::restamp(&mut incident);
    let n = tx
        .row(
            "SELECT COALESCE(MAX(n), 0) + 1 FROM incident_reports WHERE incident_id = ?1",
            p![&id.to_string()],
        )?
        .ok_or_else(|| DbError::Corrupt("no MAX row".into()))?
        .int(0)?;
    let body = serde_json::to_string(new).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.exec(
        "INSERT INTO incident_reports (incident_id, n, source, external_id, received_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        p![
            &id.to_string(),
            n,
            &new.source,
            new.external_id.as_ref(),
            &ts(now),
            &body
        ],
    )?;
    let joined = write_incident(tx, limits, actor, incident, |incident| EventBody::ReportMerged {
        incident_id: incident.id,
        incident,
        report,
    })?;
    Ok(Taken::Joined(Box::new(joined)))
}

/// A report split back out of `incident_id` (the `split_report` op): the incident without it (`report_split`)
/// and the new incident `new_id` it becomes (`incident_created`, from the request the report came as; never
/// merged again on the way). Refused as a push op is: not found, out of scope, `incident_exists`,
/// `report_out_of_range`.
pub(super) fn split_out(
    tx: &mut dyn Sql,
    limits: &LoopRules,
    actor: &str,
    scope: Option<&str>,
    incident_id: uuid::Uuid,
    report: u32,
    new_id: uuid::Uuid,
) -> DbResult<Result<(Appended, Appended), Refusal>> {
    let Some(mut incident) = read_incident(tx, incident_id)? else {
        return Ok(Err(Refusal::NotFound {
            id: Some(incident_id),
        }));
    };
    if let Err(r) = citydeck_domain::scope::check(scope, &incident.area_ids) {
        return Ok(Err(r));
    }
    if tx
        .row("SELECT 1 FROM incidents WHERE id = ?1", p![&new_id.to_string()])?
        .is_some()
    {
        return Ok(Err(Refusal::IncidentExists));
    }
    let removed = match citydeck_domain::ops::split_report(&mut incident, report) {
        Ok(r) => r,
        Err(rejection) => return Ok(Err(rejection.refusal)),
    };
    let id = incident_id.to_string();
    let stored = tx.row(
        "SELECT n, body FROM incident_reports WHERE incident_id = ?1 AND source = ?2 AND received_at = ?3",
        p![&id, &removed.source, &ts(removed.received_at)],
    )?;
    let new: NewIncident = match stored {
        Some(mut r) => {
            let n = r.int(0)?;
            let body = r.text(1)?;
            tx.exec(
                "DELETE FROM incident_reports WHERE incident_id = ?1 AND n = ?2",
                p![&id, n],
            )?;
            serde_json::from_str(&body)
                .map_err(|e| DbError::Corrupt(format!("incident_reports.body: {e}")))?
        }
        // a report without its request (none is written without one): the incident's look, its own source
        None => NewIncident {
            title: incident.title.clone(),
            class: incident.class,
            grade: incident.grade,
            lon: incident.location.lon,
            lat: incident.location.lat,
            source: removed.source.clone(),
            description: None,
            address: incident.address.clone(),
            external_id: removed.external_id.clone(),
            occurred_at: None,
        },
    };
    let split = write_incident(tx, limits, actor, incident, |incident| EventBody::ReportSplit {
        incident_id,
        incident,
        report: removed.clone(),
        new_incident_id: new_id,
    })?;
    let created = match insert_incident_with(tx, limits, actor, scope, new, Some(new_id), |incident| {
        for r in incident.reports.iter_mut().take(1) {
            r.quality = removed.quality;
            r.received_at = removed.received_at;
        }
        merge::restamp(incident);
    })? {
        Ok(Ok(created)) => created,
        Ok(Err(existing)) => return Ok(Err(Refusal::DuplicateIncident { id: existing.id })),
        Err(r) => return Ok(Err(r)),
    };
    Ok(Ok((split, created)))
}
