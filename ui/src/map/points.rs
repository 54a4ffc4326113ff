//! The map's own copy of the incidents (keyed by id) and the diff it still owes its GeoJSON source.
//!
//! `map_delta` answers are applied here as they arrive (any number per frame); once per animation frame the
//! engine takes [`MapPoints::flush`]: the whole set after a reset, otherwise only what changed since the last
//! frame (`{add, remove}` for `GeoJSONSource.updateData`, features keyed by `properties.id`). Pure Rust, no
//! JavaScript: unit-tested natively.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use citydeck_protocol::ipc::{MapDelta, MapPoint, MapResource, MapSensor, WartimeFocus};
use citydeck_protocol::Grade;
use uuid::Uuid;

use super::cluster::{abbreviated, cluster, Bubble, Clustered, Params};

/// What the source must be told this frame.
#[derive(Debug, PartialEq)]
pub enum Flush {
    /// `setData(FeatureCollection)` (first load, or the shell said `full`).
    Full(String),
    /// `updateData({add, remove})`.
    Diff(String),
}

/// What the source holds under one feature id.
#[derive(Debug, PartialEq)]
enum Held {
    /// An incident on its own (feature id = the incident id); true: grade I (it pulses).
    Single(bool),
    /// A bubble (feature id `c-<first incident id>`): its feature JSON, to tell whether it changed, and what it
    /// covers (a click zooms to that).
    Bubble { json: String, bbox: [f64; 4] },
}

/// The map's copy of the incidents and what its source holds: at a zoom where incidents cluster
/// ([`MapPoints::set_view`]) the bubbles and the single markers ([`super::cluster`]), otherwise every incident.
#[derive(Default)]
pub struct MapPoints {
    points: HashMap<Uuid, MapPoint>,
    /// The next flush replaces the source wholesale.
    reset: bool,
    /// Upserted since the last flush.
    dirty: HashSet<Uuid>,
    /// Removed since the last flush.
    gone: HashSet<Uuid>,
    /// What the source holds (as of the last flush), by feature id.
    in_source: HashMap<String, Held>,
    /// The zoom (floored) and cluster parameters to draw at; None: never cluster.
    view: Option<(u32, Params)>,
    /// The view `in_source` was made for.
    shown: Option<(u32, Params)>,
    /// The `seq` to pass as `after` next time.
    pub seq: u64,
    counts: [usize; 4],
    /// [`MapPoints::pulsing`], as of the last flush.
    pulsing: usize,
    /// An incident with an outline came, changed or went since [`MapPoints::take_outlines`] last answered.
    outlines_dirty: bool,
}

fn clusters_at(view: Option<(u32, Params)>) -> bool {
    view.is_some_and(|(z, p)| z <= p.max_zoom)
}

impl MapPoints {
    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn get(&self, id: &Uuid) -> Option<&MapPoint> {
        self.points.get(id)
    }

    /// Open incidents per grade (I, II, III, IV).
    pub fn counts(&self) -> [usize; 4] {
        self.counts
    }

    /// Grade-I incidents the source holds as single markers (the ones that pulse; inside a bubble they do not).
    pub fn pulsing(&self) -> usize {
        self.pulsing
    }

    /// Features the source holds (bubbles and single markers).
    pub fn source_len(&self) -> usize {
        self.in_source.len()
    }

    /// What a bubble (by feature id) covers: west, south, east, north.
    pub fn bubble_bounds(&self, feature_id: &str) -> Option<[f64; 4]> {
        match self.in_source.get(feature_id)? {
            Held::Bubble { bbox, .. } => Some(*bbox),
            Held::Single(_) => None,
        }
    }

    /// Draw at `zoom` (the map's, floored) with these cluster parameters from the next flush on.
    pub fn set_view(&mut self, zoom: u32, params: Params) {
        self.view = Some((zoom, params));
    }

    /// The next flush is a whole reload.
    pub fn resetting(&self) -> bool {
        self.reset
    }

    /// Changes not yet handed to the source (a new view counts as one).
    pub fn pending(&self) -> usize {
        self.dirty.len() + self.gone.len() + usize::from(self.reset) + usize::from(self.view_pending())
    }

    /// The zoom shown changed what is clustered: the source must be re-clustered for the new view.
    pub fn view_pending(&self) -> bool {
        self.view != self.shown && (clusters_at(self.view) || clusters_at(self.shown))
    }

    fn count(&mut self, p: &MapPoint, delta: isize) {
        let c = &mut self.counts[p.grade.index()];
        *c = c.saturating_add_signed(delta);
    }

    /// Take in one `map_delta` answer. Upserts older than what is held (by `seq`) are ignored.
    pub fn apply(&mut self, delta: MapDelta) {
        if delta.full {
            self.outlines_dirty |= self.points.values().any(|p| p.outline.is_some())
                || delta.upserts.iter().any(|p| p.outline.is_some());
            self.points.clear();
            self.dirty.clear();
            self.gone.clear();
            self.counts = [0; 4];
            self.reset = true;
        }
        for p in delta.upserts {
            if !(p.lon.is_finite() && p.lat.is_finite()) {
                continue;
            }
            if self.points.get(&p.id).is_some_and(|old| old.seq > p.seq) {
                continue;
            }
            self.gone.remove(&p.id);
            if !self.reset {
                self.dirty.insert(p.id);
            }
            self.count(&p, 1);
            let outlined = p.outline.is_some();
            if let Some(old) = self.points.insert(p.id, p) {
                self.count(&old, -1);
                self.outlines_dirty |= old.outline.is_some();
            }
            self.outlines_dirty |= outlined;
        }
        for id in delta.removed {
            if let Some(old) = self.points.remove(&id) {
                self.count(&old, -1);
                self.outlines_dirty |= old.outline.is_some();
            }
            self.dirty.remove(&id);
            if !self.reset {
                self.gone.insert(id);
            }
        }
        self.seq = self.seq.max(delta.seq);
        if delta.full {
            self.seq = delta.seq;
        }
    }

    /// The incidents whose area the map draws (an alert's outline with a ring fit to draw).
    pub fn outlined(&self) -> impl Iterator<Item = &MapPoint> {
        self.points.values().filter(|p| {
            p.outline
                .as_deref()
                .is_some_and(|o| drawable_rings(o).next().is_some())
        })
    }

    /// The outlines' FeatureCollection ([`outlines_json`]) when an outline came, changed or went since the last
    /// call (None: the outline source holds what it should).
    pub fn take_outlines(&mut self) -> Option<String> {
        if !std::mem::take(&mut self.outlines_dirty) {
            return None;
        }
        let mut list: Vec<&MapPoint> = self.outlined().collect();
        list.sort_by_key(|p| (p.grade, p.seq));
        Some(outlines_json(list))
    }

    /// What the source needs this frame (None: nothing changed): after a reset the whole set; otherwise only
    /// the features that changed — single markers upserted or removed, and bubbles whose content changed.
    pub fn flush(&mut self) -> Option<Flush> {
        if self.pending() == 0 {
            return None;
        }
        let flush = self.flush_changes();
        self.pulsing = self
            .in_source
            .values()
            .filter(|h| matches!(h, Held::Single(true)))
            .count();
        flush
    }

    fn flush_changes(&mut self) -> Option<Flush> {
        let view = self.view;
        let clustered = clusters_at(view);
        let incremental = !self.reset && !clustered && !clusters_at(self.shown);
        self.shown = view;
        let mut add = String::with_capacity(self.dirty.len() * 220 + 64);
        let mut first = true;
        let mut push = |s: &mut String, json: &str| {
            if !first {
                s.push(',');
            }
            first = false;
            s.push_str(json);
        };
        let mut remove: Vec<String> = Vec::new();
        let mut feature = String::with_capacity(256);
        if incremental {
            // Every incident is drawn on its own: only what changed.
            for id in self.dirty.drain() {
                if let Some(p) = self.points.get(&id) {
                    feature.clear();
                    feature_json(&mut feature, p);
                    push(&mut add, &feature);
                    self.in_source
                        .insert(id.to_string(), Held::Single(p.grade == Grade::I));
                }
            }
            for id in self.gone.drain() {
                let key = id.to_string();
                if self.in_source.remove(&key).is_some() {
                    remove.push(key);
                }
            }
        } else {
            let drawn = match view {
                Some((zoom, params)) if clustered => cluster(&self.points, zoom, params),
                _ => Clustered {
                    bubbles: Vec::new(),
                    singles: self.points.keys().copied().collect(),
                },
            };
            let reset = std::mem::take(&mut self.reset);
            let mut next: HashMap<String, Held> =
                HashMap::with_capacity(drawn.bubbles.len() + drawn.singles.len());
            for b in &drawn.bubbles {
                let key = format!("c-{}", b.seed);
                let json = bubble_json(&key, b);
                let same =
                    matches!(self.in_source.get(&key), Some(Held::Bubble { json: old, .. }) if *old == json);
                if reset || !same {
                    push(&mut add, &json);
                }
                next.insert(key, Held::Bubble { json, bbox: b.bbox });
            }
            for id in &drawn.singles {
                let key = id.to_string();
                let held = matches!(self.in_source.get(&key), Some(Held::Single(_)));
                if reset || !held || self.dirty.contains(id) {
                    if let Some(p) = self.points.get(id) {
                        feature.clear();
                        feature_json(&mut feature, p);
                        push(&mut add, &feature);
                    }
                }
                let g1 = self.points.get(id).is_some_and(|p| p.grade == Grade::I);
                next.insert(key, Held::Single(g1));
            }
            if !reset {
                remove.extend(self.in_source.keys().filter(|k| !next.contains_key(*k)).cloned());
            }
            self.in_source = next;
            self.dirty.clear();
            self.gone.clear();
            if reset {
                return Some(Flush::Full(format!(
                    r#"{{"type":"FeatureCollection","features":[{add}]}}"#
                )));
            }
        }
        if first && remove.is_empty() {
            return None;
        }
        let mut s = String::with_capacity(add.len() + remove.len() * 40 + 32);
        s.push_str(r#"{"add":["#);
        s.push_str(&add);
        s.push_str(r#"],"remove":["#);
        for (k, id) in remove.iter().enumerate() {
            if k > 0 {
                s.push(',');
            }
            let _ = write!(s, "\"{id}\"");
        }
        s.push_str("]}");
        Some(Flush::Diff(s))
    }
}

/// A bubble as a GeoJSON feature, with the properties MapLibre's own clusters have (`cluster`,
/// `point_count`, `point_count_abbreviated`), the incidents per grade inside (`g1` … `g4`) and the image of
/// its ring of grades (`mix`, [`super::donut`]).
fn bubble_json(key: &str, b: &Bubble) -> String {
    format!(
        r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{:.6},{:.6}]}},"properties":{{"id":"{key}","cluster":true,"point_count":{},"point_count_abbreviated":"{}","g1":{},"g2":{},"g3":{},"g4":{},"mix":"{}"}}}}"#,
        b.lon,
        b.lat,
        b.count,
        abbreviated(b.count),
        b.grades[0],
        b.grades[1],
        b.grades[2],
        b.grades[3],
        super::donut::key(super::donut::segments(b.grades))
    )
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// One incident as a GeoJSON feature: `id` (promoted), `grade`, `g` (1 = most severe … 4), `class`, `stage`,
/// `title`, `seq`.
fn feature_json(s: &mut String, p: &MapPoint) {
    let _ = write!(
        s,
        r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{},{}]}},"properties":{{"id":"{}","grade":"{}","g":{},"class":"{}","stage":"{}","title":{},"seq":{}}}}}"#,
        p.lon,
        p.lat,
        p.id,
        p.grade.as_str(),
        p.grade.index() + 1,
        p.class.as_str(),
        p.stage.as_str(),
        json_str(&p.title),
        p.seq
    );
}

/// The rings of an outline fit to draw: closed, at least 4 positions, every one a finite coordinate.
pub fn drawable_rings(outline: &[Vec<[f64; 2]>]) -> impl Iterator<Item = &Vec<[f64; 2]>> {
    outline.iter().filter(|r| {
        r.len() >= 4 && r.first() == r.last() && r.iter().all(|[lon, lat]| lon.is_finite() && lat.is_finite())
    })
}

/// What an outline's drawable rings cover: west, south, east, north (None: nothing drawable).
pub fn outline_bounds(outline: &[Vec<[f64; 2]>]) -> Option<[f64; 4]> {
    drawable_rings(outline)
        .flatten()
        .fold(None, |b: Option<[f64; 4]>, &[lon, lat]| {
            Some(match b {
                None => [lon, lat, lon, lat],
                Some([w, s, e, n]) => [w.min(lon), s.min(lat), e.max(lon), n.max(lat)],
            })
        })
}

/// The areas of the incidents that have one (a CAP alert's polygons and circles), in drawing order (the least
/// severe first, so grade I is on top), as a FeatureCollection: one MultiPolygon per incident, each ring a polygon
/// of its own (CAP areas are several shapes, not a shape with holes), properties `id`, `grade`, `g` (1 = most
/// severe … 4) and `title`. An incident whose rings are all unfit is left out.
pub fn outlines_json<'a>(points: impl IntoIterator<Item = &'a MapPoint>) -> String {
    collection(
        points
            .into_iter()
            .filter_map(|p| {
                let polygons: Vec<Vec<&Vec<[f64; 2]>>> =
                    drawable_rings(p.outline.as_deref()?).map(|r| vec![r]).collect();
                (!polygons.is_empty()).then(|| {
                    serde_json::json!({
                        "type": "Feature",
                        "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                        "properties": {
                            "id": p.id.to_string(), "grade": p.grade.as_str(), "g": p.grade.index() + 1,
                            "title": p.title,
                        },
                    })
                })
            })
            .collect(),
    )
}

fn point_feature(lon: f64, lat: f64, props: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    })
}

fn collection(features: Vec<serde_json::Value>) -> String {
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// The response units as a FeatureCollection.
pub fn resources_json(list: &[MapResource]) -> String {
    collection(
        list.iter()
            .filter(|r| r.lon.is_finite() && r.lat.is_finite())
            .map(|r| {
                point_feature(
                    r.lon,
                    r.lat,
                    serde_json::json!({
                        "id": r.id, "name": r.name, "kind": r.kind, "group": r.group, "status": r.status,
                    }),
                )
            })
            .collect(),
    )
}

/// The sensors as a FeatureCollection.
pub fn sensors_json(list: &[MapSensor]) -> String {
    collection(
        list.iter()
            .filter(|r| r.lon.is_finite() && r.lat.is_finite())
            .map(|r| {
                point_feature(
                    r.lon,
                    r.lat,
                    serde_json::json!({
                        "id": r.id, "name": r.name, "kind": r.kind, "value": r.value, "unit": r.unit,
                        "state": r.state,
                    }),
                )
            })
            .collect(),
    )
}

pub const KM_PER_DEG_LAT: f64 = 111.32;
/// Range rings around a wartime focus, in km.
pub const FOCUS_RINGS_KM: [f64; 2] = [0.5, 1.0];

/// A circle of `radius_km` around a point as a closed ring of `n` vertices (lon/lat).
pub fn circle_ring(lon: f64, lat: f64, radius_km: f64, n: usize) -> Vec<[f64; 2]> {
    let cos = lat.to_radians().cos().max(0.05);
    let (dlat, dlon) = (radius_km / KM_PER_DEG_LAT, radius_km / (KM_PER_DEG_LAT * cos));
    let mut v: Vec<[f64; 2]> = (0..n)
        .map(|k| {
            let a = k as f64 / n as f64 * std::f64::consts::TAU;
            [lon + dlon * a.cos(), lat + dlat * a.sin()]
        })
        .collect();
    if let Some(first) = v.first().copied() {
        v.push(first);
    }
    v
}

/// The wartime focus as one FeatureCollection: `kind` = `ring` (500 m / 1 km lines), `ring_label`, `facility`
/// (nearby resources with `group`, `name`, `distance_m`), `focus` (the incident).
pub fn focus_json(f: &WartimeFocus) -> String {
    let (lon, lat) = (f.incident.location.lon, f.incident.location.lat);
    let mut features = Vec::new();
    let cos = lat.to_radians().cos().max(0.05);
    for r in FOCUS_RINGS_KM {
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": circle_ring(lon, lat, r, 96)},
            "properties": {"kind": "ring"},
        }));
        let label = if r < 1.0 {
            format!("{:.0} m", r * 1000.0)
        } else {
            format!("{r} km")
        };
        features.push(point_feature(
            lon + r / (KM_PER_DEG_LAT * cos),
            lat,
            serde_json::json!({"kind": "ring_label", "label": label}),
        ));
    }
    // Farthest first so the nearest are drawn on top.
    let mut nearby: Vec<_> = f
        .nearby
        .iter()
        .filter(|r| r.lon.is_finite() && r.lat.is_finite())
        .collect();
    nearby.sort_by(|a, b| b.distance_m.total_cmp(&a.distance_m));
    for r in nearby {
        features.push(point_feature(
            r.lon,
            r.lat,
            serde_json::json!({
                "kind": "facility", "group": r.group, "name": short_name(&r.name), "full_name": r.name,
                "facility_kind": r.kind, "distance_m": r.distance_m,
            }),
        ));
    }
    features.push(point_feature(
        lon,
        lat,
        serde_json::json!({
            "kind": "focus", "id": f.incident.id.to_string(), "grade": f.incident.grade.as_str(),
            "title": f.incident.title,
        }),
    ));
    collection(features)
}

/// Short label of a facility on the map (the list has the full name).
pub fn short_name(name: &str) -> String {
    const MAX: usize = 18;
    if name.chars().count() <= MAX {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(MAX - 1).collect();
        s.push('…');
        s
    }
}

/// The pending overlay: incidents reported on this desktop and not yet confirmed by the hub, each labelled with
/// `tag` (e.g. 待同步) and its title.
pub fn pending_json(points: &[MapPoint], tag: &str) -> String {
    collection(
        points
            .iter()
            .filter(|p| p.lon.is_finite() && p.lat.is_finite())
            .map(|p| {
                point_feature(
                    p.lon,
                    p.lat,
                    serde_json::json!({
                        "id": p.id.to_string(),
                        "grade": p.grade.as_str(),
                        "title": p.title,
                        "label": format!("{tag} · {}", p.title),
                    }),
                )
            })
            .collect(),
    )
}

/// A single point (selection ring, picked location), or an empty collection.
pub fn single_point_json(at: Option<(f64, f64)>) -> String {
    collection(
        at.into_iter()
            .filter(|(lon, lat)| lon.is_finite() && lat.is_finite())
            .map(|(lon, lat)| point_feature(lon, lat, serde_json::json!({})))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::{Incident, IncidentClass, Stage};

    fn pt(n: u128, seq: u64, grade: Grade) -> MapPoint {
        MapPoint {
            id: Uuid::from_u128(n),
            lon: 24.94,
            lat: 60.17,
            grade,
            class: IncidentClass::Accident,
            stage: Stage::Handling,
            title: format!("火灾 \"{n}\""),
            seq,
            outline: None,
            quality: Default::default(),
        }
    }

    fn delta(full: bool, seq: u64, upserts: Vec<MapPoint>, removed: Vec<u128>) -> MapDelta {
        MapDelta {
            seq,
            full,
            upserts,
            removed: removed.into_iter().map(Uuid::from_u128).collect(),
            ..MapDelta::default()
        }
    }

    #[test]
    fn a_full_load_is_one_set_data_and_then_only_diffs() {
        let mut s = MapPoints::default();
        s.apply(delta(
            true,
            10,
            vec![pt(1, 5, Grade::I), pt(2, 6, Grade::IV)],
            vec![],
        ));
        let Some(Flush::Full(fc)) = s.flush() else {
            panic!("full first")
        };
        let v: serde_json::Value = serde_json::from_str(&fc).unwrap();
        assert_eq!(v["features"].as_array().unwrap().len(), 2);
        assert_eq!(s.flush(), None, "nothing changed");
        assert_eq!(s.counts(), [1, 0, 0, 1]);
        assert_eq!(s.seq, 10);

        // Several deltas between two frames collapse into one diff.
        s.apply(delta(false, 11, vec![pt(3, 11, Grade::II)], vec![]));
        s.apply(delta(false, 12, vec![pt(1, 12, Grade::II)], vec![2]));
        s.apply(delta(false, 13, vec![pt(4, 13, Grade::III)], vec![4]));
        // 1 and 3 upserted, 2 and 4 removed (4 came and went between two frames: nothing to tell the source).
        assert_eq!(s.pending(), 4);
        let Some(Flush::Diff(d)) = s.flush() else {
            panic!("diff")
        };
        let v: serde_json::Value = serde_json::from_str(&d).unwrap();
        let mut added: Vec<String> = v["add"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
            .collect();
        added.sort();
        assert_eq!(
            added,
            vec![Uuid::from_u128(1).to_string(), Uuid::from_u128(3).to_string()]
        );
        assert_eq!(
            v["remove"],
            serde_json::json!([Uuid::from_u128(2).to_string()]),
            "4 never reached the source"
        );
        assert!(v["add"][0]["properties"]["title"].as_str().unwrap().contains('"'));
        assert_eq!(s.counts(), [0, 2, 0, 0]);
        assert_eq!(s.len(), 2);
    }

    fn at(n: u128, seq: u64, lon: f64, lat: f64, grade: Grade) -> MapPoint {
        MapPoint {
            lon,
            lat,
            ..pt(n, seq, grade)
        }
    }

    fn diff(f: Option<Flush>) -> (Vec<String>, Vec<String>) {
        let Some(Flush::Diff(d)) = f else {
            panic!("a diff expected, got {f:?}")
        };
        let v: serde_json::Value = serde_json::from_str(&d).unwrap();
        let ids = |k: &str| -> Vec<String> {
            let mut ids: Vec<String> = v[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["properties"]["id"].as_str().or(f.as_str()).unwrap().to_string())
                .collect();
            ids.sort();
            ids
        };
        (ids("add"), ids("remove"))
    }

    #[test]
    fn zoomed_out_the_source_holds_bubbles_and_only_drawn_changes_are_pushed() {
        let params = Params {
            radius_px: 40.0,
            max_zoom: 14,
            min_points: 3,
        };
        let d = 360.0 / (512.0 * 4096.0); // one pixel of longitude at zoom 12
        let mut s = MapPoints::default();
        s.set_view(12, params);
        s.apply(delta(
            true,
            4,
            vec![
                at(1, 1, 24.94, 60.17, Grade::I),
                at(2, 2, 24.94 + 4.0 * d, 60.17, Grade::III),
                at(3, 3, 24.94 + 8.0 * d, 60.17, Grade::IV),
                at(9, 4, 25.3, 60.3, Grade::II),
            ],
            vec![],
        ));
        let Some(Flush::Full(fc)) = s.flush() else {
            panic!("full first")
        };
        let v: serde_json::Value = serde_json::from_str(&fc).unwrap();
        let f = v["features"].as_array().unwrap();
        assert_eq!(f.len(), 2, "{fc}");
        let bubble = f.iter().find(|f| f["properties"]["cluster"] == true).unwrap();
        let key = format!("c-{}", Uuid::from_u128(1));
        assert_eq!(bubble["properties"]["id"], key);
        assert_eq!(bubble["properties"]["point_count"], 3);
        assert_eq!(bubble["properties"]["point_count_abbreviated"], "3");
        assert_eq!(
            [1, 2, 3, 4].map(|g| bubble["properties"][format!("g{g}")].as_u64().unwrap()),
            [1, 0, 1, 1]
        );
        assert_eq!(
            bubble["properties"]["mix"], "cd-mix-4-0-4-4",
            "the ring of grades"
        );
        assert_eq!(s.source_len(), 2);
        assert_eq!(
            s.bubble_bounds(&key),
            Some([24.94, 60.17, 24.94 + 8.0 * d, 60.17])
        );
        assert_eq!(s.bubble_bounds(&Uuid::from_u128(9).to_string()), None);

        // A change inside the bubble that the bubble does not show (the stage): nothing to push.
        let mut moved_on = at(2, 5, 24.94 + 4.0 * d, 60.17, Grade::III);
        moved_on.stage = Stage::Assigned;
        s.apply(delta(false, 5, vec![moved_on], vec![]));
        assert_eq!(s.flush(), None);
        assert_eq!(s.get(&Uuid::from_u128(2)).unwrap().stage, Stage::Assigned);

        // A new incident joining it: only the bubble, with its new count.
        s.apply(delta(
            false,
            6,
            vec![at(4, 6, 24.94, 60.17 + 0.5 * d, Grade::I)],
            vec![],
        ));
        assert_eq!(diff(s.flush()), (vec![key.clone()], vec![]));
        // The lone incident changes (it is drawn on its own: pushed), then closes: removed.
        s.apply(delta(false, 7, vec![at(9, 7, 25.3, 60.3, Grade::I)], vec![]));
        assert_eq!(diff(s.flush()), (vec![Uuid::from_u128(9).to_string()], vec![]));
        assert_eq!(s.pulsing(), 1, "the lone incident, now grade I, pulses");
        s.apply(delta(false, 8, vec![], vec![9]));
        assert_eq!(diff(s.flush()), (vec![], vec![Uuid::from_u128(9).to_string()]));

        // Zoomed in past the clusters: the bubble goes, its incidents come on their own; and back.
        let singles: Vec<String> = [1u128, 2, 3, 4]
            .iter()
            .map(|n| Uuid::from_u128(*n).to_string())
            .collect();
        assert!(!s.view_pending());
        s.set_view(15, params);
        assert_eq!(s.pending(), 1);
        assert!(
            s.view_pending(),
            "a new view is pushed at once, not spaced like a stream"
        );
        assert_eq!(diff(s.flush()), (singles.clone(), vec![key.clone()]));
        assert!(!s.view_pending());
        assert_eq!(s.source_len(), 4);
        assert_eq!(s.pulsing(), 2, "incidents 1 and 4, out of the bubble");
        // Unclustered, zooming further changes nothing; changes are pushed one by one.
        s.set_view(16, params);
        assert!(
            !s.view_pending(),
            "past the clusters another zoom changes nothing drawn"
        );
        assert_eq!(s.flush(), None);
        s.apply(delta(
            false,
            9,
            vec![at(3, 9, 24.94 + 8.0 * d, 60.17, Grade::II)],
            vec![],
        ));
        assert_eq!(diff(s.flush()), (vec![singles[2].clone()], vec![]));
        s.set_view(12, params);
        assert_eq!(diff(s.flush()), (vec![key], singles));
        assert_eq!(s.counts(), [2, 1, 1, 0]);
    }

    #[test]
    fn outlines_are_handed_over_when_one_comes_changes_or_goes() {
        let ring = |w: f64| {
            vec![
                [w, 47.13],
                [w + 0.02, 47.13],
                [w + 0.02, 47.15],
                [w, 47.15],
                [w, 47.13],
            ]
        };
        let alerted = |n, seq, grade, w| MapPoint {
            outline: Some(vec![ring(w)]),
            ..pt(n, seq, grade)
        };
        let features = |json: String| -> Vec<(String, String, usize)> {
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            v["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    assert_eq!(f["geometry"]["type"], "MultiPolygon");
                    (
                        f["properties"]["id"].as_str().unwrap().to_string(),
                        f["properties"]["grade"].as_str().unwrap().to_string(),
                        f["geometry"]["coordinates"].as_array().unwrap().len(),
                    )
                })
                .collect()
        };
        let id = |n: u128| Uuid::from_u128(n).to_string();
        let mut s = MapPoints::default();
        assert_eq!(s.take_outlines(), None);
        // a full load with one alert among plain points
        s.apply(delta(
            true,
            3,
            vec![alerted(1, 1, Grade::II, 9.51), pt(2, 2, Grade::I)],
            vec![],
        ));
        assert_eq!(
            features(s.take_outlines().unwrap()),
            vec![(id(1), "II".into(), 1)]
        );
        assert_eq!(s.take_outlines(), None, "handed over once");
        // a plain point changing: the outlines are as they were
        s.apply(delta(false, 4, vec![pt(2, 4, Grade::II)], vec![]));
        assert_eq!(s.take_outlines(), None);
        // a second alert of two areas, more severe: drawn last (on top)
        let two = MapPoint {
            outline: Some(vec![ring(9.55), ring(9.60)]),
            ..pt(3, 5, Grade::I)
        };
        s.apply(delta(false, 5, vec![two], vec![]));
        assert_eq!(
            features(s.take_outlines().unwrap()),
            vec![(id(1), "II".into(), 1), (id(3), "I".into(), 2)]
        );
        // an update that drops the area, then the cancel closing the other one
        s.apply(delta(false, 6, vec![pt(3, 6, Grade::I)], vec![]));
        assert_eq!(
            features(s.take_outlines().unwrap()),
            vec![(id(1), "II".into(), 1)]
        );
        assert_eq!(s.outlined().count(), 1);
        s.apply(delta(false, 7, vec![], vec![1]));
        assert_eq!(features(s.take_outlines().unwrap()), vec![]);
        assert_eq!(s.outlined().count(), 0);
        // an area with no ring fit to draw is not counted as drawn
        let unfit = MapPoint {
            outline: Some(vec![vec![[9.5, 47.1], [9.6, 47.1]]]),
            ..pt(6, 8, Grade::II)
        };
        s.apply(delta(false, 8, vec![unfit], vec![]));
        assert_eq!(features(s.take_outlines().unwrap()), vec![]);
        assert_eq!(s.outlined().count(), 0);
        // a reset that drops the last outline says so too
        s.apply(delta(false, 9, vec![alerted(4, 9, Grade::III, 9.5)], vec![]));
        s.take_outlines();
        s.apply(delta(true, 10, vec![pt(5, 10, Grade::IV)], vec![]));
        assert_eq!(features(s.take_outlines().unwrap()), vec![]);
    }

    #[test]
    fn unfit_rings_are_not_drawn() {
        let open = vec![[9.51, 47.13], [9.53, 47.13], [9.53, 47.15], [9.51, 47.15]];
        let nan = vec![[9.51, 47.13], [f64::NAN, 47.13], [9.53, 47.15], [9.51, 47.13]];
        let short = vec![[9.51, 47.13], [9.53, 47.13], [9.51, 47.13]];
        let good = vec![[9.51, 47.13], [9.53, 47.13], [9.53, 47.15], [9.51, 47.13]];
        let p = MapPoint {
            outline: Some(vec![open.clone(), nan, short, good.clone()]),
            ..pt(1, 1, Grade::III)
        };
        let v: serde_json::Value = serde_json::from_str(&outlines_json([&p])).unwrap();
        assert_eq!(
            v["features"][0]["geometry"]["coordinates"],
            serde_json::json!([[good]])
        );
        let none = MapPoint {
            outline: Some(vec![open]),
            ..pt(2, 1, Grade::III)
        };
        let v: serde_json::Value = serde_json::from_str(&outlines_json([&none])).unwrap();
        assert_eq!(v["features"], serde_json::json!([]));
        assert_eq!(
            outline_bounds(p.outline.as_deref().unwrap()),
            Some([9.51, 47.13, 9.53, 47.15]),
            "the drawable rings only"
        );
        assert_eq!(outline_bounds(none.outline.as_deref().unwrap()), None);
    }

    #[test]
    fn stale_upserts_are_ignored_and_full_resets() {
        let mut s = MapPoints::default();
        s.apply(delta(true, 10, vec![pt(1, 9, Grade::I)], vec![]));
        s.flush();
        s.apply(delta(false, 10, vec![pt(1, 3, Grade::IV)], vec![]));
        assert_eq!(s.get(&Uuid::from_u128(1)).unwrap().grade, Grade::I);
        s.apply(delta(true, 4, vec![pt(7, 2, Grade::III)], vec![]));
        assert!(matches!(s.flush(), Some(Flush::Full(_))));
        assert_eq!(s.len(), 1);
        assert_eq!(s.seq, 4, "a reset takes the shell's seq");
        assert_eq!(s.counts(), [0, 0, 1, 0]);
    }

    #[test]
    fn rings_close_and_have_the_right_radius() {
        let r = circle_ring(24.94, 60.17, 1.0, 64);
        assert_eq!(r.len(), 65);
        assert_eq!(r[0], r[64]);
        let north = r[16];
        assert!(((north[1] - 60.17) * KM_PER_DEG_LAT - 1.0).abs() < 1e-6);
        let empty: serde_json::Value = serde_json::from_str(&single_point_json(None)).unwrap();
        assert_eq!(
            empty,
            serde_json::json!({"type": "FeatureCollection", "features": []})
        );
    }

    #[test]
    fn pending_reports_are_labelled_and_skip_bad_positions() {
        let a: Incident = serde_json::from_value(serde_json::json!({
            "id": Uuid::from_u128(7), "title": "现场上报", "class": "accident", "grade": "III",
            "location": {"lon": 24.94, "lat": 60.17}, "source": "operator", "status": "collected",
            "occurred_at": "2026-03-21T10:00:00Z", "created_at": "2026-03-21T10:00:00Z",
            "updated_at": "2026-03-21T10:00:00Z", "created_by": "field", "seq": 0
        }))
        .unwrap();
        let mut bad = a.clone();
        bad.location.lon = f64::NAN;
        let json: serde_json::Value = serde_json::from_str(&pending_json(
            &[MapPoint::from(&a), MapPoint::from(&bad)],
            "待同步",
        ))
        .unwrap();
        let f = json["features"].as_array().unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0]["properties"]["label"], "待同步 · 现场上报");
        assert_eq!(f[0]["properties"]["id"], a.id.to_string());
        assert_eq!(f[0]["geometry"]["coordinates"], serde_json::json!([24.94, 60.17]));
    }
}
