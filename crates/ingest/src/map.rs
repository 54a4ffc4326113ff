//! A CAP alert as incidents: which `<info>` blocks become incidents, and each one's class, grade, title, text,
//! place, outline and record.
//!
//! **Which infos.** The infos of one language are one telling of the alert; the others are translations. The
//! incidents follow the Chinese infos (a `language` starting `zh`) where there are any, else those in the first
//! info's language: one incident each (almost every alert has one). Every info's words, all languages, are
//! kept in the incident's [`AlertRecord::texts`], the followed one first.
//!
//! **Class** — the followed info's first `category`:
//!
//! | CAP category | class |
//! |---|---|
//! | `Geo`, `Met` | 自然灾害 `natural_disaster` |
//! | `Safety`, `Rescue`, `Fire`, `Env`, `Transport`, `Infra`, `CBRNE`, `Other` | 事故灾难 `accident` |
//! | `Health` | 公共卫生 `public_health` |
//! | `Security` | 社会安全 `social_security` |
//!
//! (`Env`, pollution, is 事故灾难 in the national plan's classes; `Fire` too.)
//!
//! **Grade** — severity gives it, as China's warning agencies map their colours onto CAP (red = `Extreme`,
//! orange = `Severe`, yellow = `Moderate`, blue = `Minor`); then doubt lowers it:
//!
//! | severity | grade |
//! |---|---|
//! | `Extreme` | I |
//! | `Severe` | II |
//! | `Moderate` | III |
//! | `Minor`, `Unknown` | IV |
//!
//! | then | effect |
//! |---|---|
//! | certainty `Possible` or `Unknown` | one grade lower (I → II …, IV stays IV) |
//! | certainty `Unlikely`, or urgency `Past` | IV |
//!
//! **Title** the followed info's `headline`, else its `event`; **description** its `description` and
//! `instruction`; **address** the `areaDesc`s; **occurred** its `onset`, else `effective`, else the alert's
//! `sent`; **source** `cap:<sender>`; **external id** `<identifier>,<sent>` (with `#<n>` for the n-th incident
//! of an alert that raises several). Texts are cut to the incident's bounds.
//!
//! **Place** — the outline is every polygon of the info's areas, and every circle drawn as a polygon of 48
//! sides; the incident's point is a point inside the largest part, else the first circle's centre. An alert
//! with geocodes only has no outline and no point of its own: the hub places it at the city's point.

use chrono::{DateTime, FixedOffset, Utc};
use citydeck_domain::areas::Area as Shape;
use citydeck_domain::incident::{MAX_SOURCE_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS};
use citydeck_protocol::ingest::{AlertCode, AlertFollowUp, AlertRecord, AlertText, CapAlertKey};
use citydeck_protocol::{Grade, Incident, IncidentClass, NewIncident, Stage};

use crate::cap::{Alert, Category, Certainty, Info, Severity, Urgency};

/// Sides of the polygon a circle is drawn as.
pub const CIRCLE_SIDES: usize = 48;

/// One incident an alert raises (or, for an update, the new look of one it raised).
#[derive(Clone, Debug, PartialEq)]
pub struct Mapped {
    pub title: String,
    pub class: IncidentClass,
    pub grade: Grade,
    pub description: Option<String>,
    pub address: Option<String>,
    pub source: String,
    pub external_id: String,
    pub occurred_at: DateTime<Utc>,
    /// A point inside the outline, `(lon, lat)`; `None` for an alert placed by geocodes only.
    pub point: Option<(f64, f64)>,
    /// Closed rings of `[lon, lat]`; empty when the alert gives no geometry.
    pub outline: Vec<Vec<[f64; 2]>>,
    pub record: AlertRecord,
}

impl Mapped {
    /// The new incident, at its point or else at `fallback` (the city's point).
    pub fn new_incident(&self, fallback: (f64, f64)) -> NewIncident {
        let (lon, lat) = self.point.unwrap_or(fallback);
        NewIncident {
            title: self.title.clone(),
            class: self.class,
            grade: self.grade,
            lon,
            lat,
            source: self.source.clone(),
            description: self.description.clone(),
            address: self.address.clone(),
            external_id: Some(self.external_id.clone()),
            occurred_at: Some(self.occurred_at),
        }
    }
}

/// The alert's key as the API answers it (`sent` as written).
pub fn key(alert: &Alert) -> CapAlertKey {
    CapAlertKey {
        sender: alert.sender.clone(),
        identifier: alert.identifier.clone(),
        sent: alert.sent.to_rfc3339(),
    }
}

/// The class of a CAP category (the table above).
pub fn class(category: Category) -> IncidentClass {
    match category {
        Category::Geo | Category::Met => IncidentClass::NaturalDisaster,
        Category::Health => IncidentClass::PublicHealth,
        Category::Security => IncidentClass::SocialSecurity,
        Category::Safety
        | Category::Rescue
        | Category::Fire
        | Category::Env
        | Category::Transport
        | Category::Infra
        | Category::Cbrne
        | Category::Other => IncidentClass::Accident,
    }
}

/// The grade of severity × urgency × certainty (the tables above).
pub fn grade(severity: Severity, urgency: Urgency, certainty: Certainty) -> Grade {
    if certainty == Certainty::Unlikely || urgency == Urgency::Past {
        return Grade::IV;
    }
    let base = match severity {
        Severity::Extreme => Grade::I,
        Severity::Severe => Grade::II,
        Severity::Moderate => Grade::III,
        Severity::Minor | Severity::Unknown => Grade::IV,
    };
    if matches!(certainty, Certainty::Possible | Certainty::Unknown) {
        match base {
            Grade::I => Grade::II,
            Grade::II => Grade::III,
            Grade::III | Grade::IV => Grade::IV,
        }
    } else {
        base
    }
}

/// The infos the incidents follow (see the module's text), by index.
pub fn followed(alert: &Alert) -> Vec<usize> {
    let Some(first) = alert.infos.first() else {
        return Vec::new();
    };
    let zh = alert.infos.iter().find(|i| is_zh(&i.language));
    let lang = zh.map_or(first.language.as_str(), |i| i.language.as_str());
    alert
        .infos
        .iter()
        .enumerate()
        .filter(|(_, i)| i.language.eq_ignore_ascii_case(lang))
        .map(|(n, _)| n)
        .collect()
}

fn is_zh(language: &str) -> bool {
    let l = language.to_ascii_lowercase();
    l == "zh" || l.starts_with("zh-")
}

/// The incidents the alert raises, one per followed info (none for an alert without an info).
pub fn incidents(alert: &Alert) -> Vec<Mapped> {
    let followed = followed(alert);
    let several = followed.len() > 1;
    followed
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let info = &alert.infos[i];
            let mut external_id = format!("{},{}", alert.identifier, alert.sent.to_rfc3339());
            if several {
                external_id.push_str(&format!("#{n}"));
            }
            let (outline, point) = place(info);
            let texts = std::iter::once(info)
                .chain(
                    alert
                        .infos
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, o)| o),
                )
                .map(text)
                .collect();
            let description = [info.description.as_deref(), info.instruction.as_deref()]
                .into_iter()
                .flatten()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n");
            let areas: Vec<String> = info.areas.iter().map(|a| a.desc.clone()).collect();
            Mapped {
                title: cut(
                    info.headline
                        .as_deref()
                        .filter(|h| !h.is_empty())
                        .unwrap_or(&info.event),
                    MAX_TITLE_CHARS,
                ),
                class: class(info.categories[0]),
                grade: grade(info.severity, info.urgency, info.certainty),
                description: (!description.is_empty()).then(|| cut(&description, MAX_TEXT_CHARS)),
                address: (!areas.is_empty()).then(|| cut(&areas.join("; "), MAX_TITLE_CHARS)),
                source: cut(&format!("cap:{}", alert.sender), MAX_SOURCE_CHARS),
                external_id: cut(&external_id, MAX_TITLE_CHARS),
                occurred_at: utc(info.onset.or(info.effective).unwrap_or(alert.sent)),
                point,
                outline,
                record: AlertRecord {
                    alert: key(alert),
                    status: alert.status.as_str().to_string(),
                    msg_type: alert.msg_type.as_str().to_string(),
                    categories: info.categories.iter().map(|c| c.as_str().to_string()).collect(),
                    urgency: info.urgency.as_str().to_string(),
                    severity: info.severity.as_str().to_string(),
                    certainty: info.certainty.as_str().to_string(),
                    expires: info.expires.map(utc),
                    sender_name: info.sender_name.clone(),
                    texts,
                    areas,
                    geocodes: info
                        .areas
                        .iter()
                        .flat_map(|a| &a.geocodes)
                        .map(|g| AlertCode {
                            name: g.name.clone(),
                            value: g.value.clone(),
                        })
                        .collect(),
                    signed: alert.signed,
                    updates: Vec::new(),
                    cancelled: None,
                },
            }
        })
        .collect()
}

fn text(info: &Info) -> AlertText {
    AlertText {
        language: info.language.clone(),
        event: info.event.clone(),
        headline: info.headline.clone(),
        description: info.description.clone(),
        instruction: info.instruction.clone(),
    }
}

fn utc(t: DateTime<FixedOffset>) -> DateTime<Utc> {
    t.with_timezone(&Utc)
}

/// At most `max` characters of `s`.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => s[..at].to_string(),
        None => s.to_string(),
    }
}

/// The info's outline and a point inside it.
fn place(info: &Info) -> (crate::Outline, Option<(f64, f64)>) {
    let polygons: Vec<Vec<(f64, f64)>> = info
        .areas
        .iter()
        .flat_map(|a| a.polygons.iter().cloned())
        .collect();
    let circles: Vec<&crate::cap::Circle> = info.areas.iter().flat_map(|a| &a.circles).collect();
    let point = Shape::from_rings(polygons.clone(), Vec::new())
        .interior_point()
        .or_else(|| circles.first().map(|c| (c.lon, c.lat)));
    let mut outline: Vec<Vec<[f64; 2]>> = polygons
        .iter()
        .map(|ring| ring.iter().map(|&(lon, lat)| [lon, lat]).collect())
        .collect();
    outline.extend(
        circles
            .iter()
            .filter(|c| c.radius_km > 0.0)
            .map(|c| circle_ring(c)),
    );
    (outline, point)
}

/// A circle as a closed ring of [`CIRCLE_SIDES`] sides (on a sphere of the Earth's mean radius, good to well
/// under a percent at the sizes alerts draw).
pub fn circle_ring(c: &crate::cap::Circle) -> Vec<[f64; 2]> {
    const KM_PER_DEG: f64 = 6_371.0 * std::f64::consts::PI / 180.0;
    let dlat = c.radius_km / KM_PER_DEG;
    let dlon = dlat / c.lat.to_radians().cos().abs().max(1e-6);
    let mut ring: Vec<[f64; 2]> = (0..CIRCLE_SIDES)
        .map(|k| {
            let a = k as f64 * std::f64::consts::TAU / CIRCLE_SIDES as f64;
            [
                (c.lon + dlon * a.cos()).clamp(-180.0, 180.0),
                (c.lat + dlat * a.sin()).clamp(-90.0, 90.0),
            ]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// An `Update` applied to an incident raised by an alert it updates (`m`: the update's mapping for it): the
/// title, class, grade, words and areas follow the update (the outline too, when the update draws one; the
/// point stays where the hub placed the incident, with its areas); the record keeps the original alert's key
/// and lists the update. Raised to grade I, the incident alarms again even if an earlier grade-I alarm was
/// acknowledged.
pub fn apply_update(incident: &mut Incident, m: &Mapped, at: DateTime<Utc>) {
    if m.grade == Grade::I && incident.grade != Grade::I {
        incident.alarm_acknowledged = None;
    }
    incident.title = m.title.clone();
    incident.class = m.class;
    incident.grade = m.grade;
    incident.description = m.description.clone();
    incident.address = m.address.clone();
    if !m.outline.is_empty() {
        incident.outline = Some(m.outline.clone());
    }
    let previous = incident.alert.take();
    let mut record = m.record.clone();
    if let Some(previous) = previous {
        record.alert = previous.alert;
        record.updates = previous.updates;
    }
    record.updates.push(AlertFollowUp {
        alert: m.record.alert.clone(),
        at,
        note: None,
    });
    incident.alert = Some(record);
}

/// A `Cancel` of the alert that raised the incident: recorded on it, and the incident is closed (it leaves the
/// open picture; its history keeps everything).
pub fn apply_cancel(incident: &mut Incident, cancel: &Alert, at: DateTime<Utc>) {
    let follow_up = AlertFollowUp {
        alert: key(cancel),
        at,
        note: cancel.note.clone(),
    };
    if let Some(record) = incident.alert.as_mut() {
        record.cancelled = Some(follow_up);
    }
    incident.status = Stage::Closed;
}
