//! Administrative areas as geometry: boundary ways joined into closed rings, multi-part areas with holes,
//! point-in-area, bounding box, a point inside an area and whether one area lies in another. Where the ways
//! come from (an OSM extract) is the caller's business: here a way is a list of node ids, a point is
//! `(lon, lat)` in degrees, compared on the plane (areas are small enough for that). Also: an area as GeoJSON
//! and back, and which of a city's areas hold a point ([`containing`]).

use citydeck_protocol::AreaLevel;
use serde_json::{json, Value};

/// A point `(lon, lat)`.
pub type Pt = (f64, f64);

/// Why boundary ways do not make closed rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RingError {
    /// No way at all, or a way with fewer than two nodes.
    Empty,
    /// A chain of ways stops at this node: no other way continues it and it does not come back to its start.
    Open { node: i64 },
    /// A closed ring with fewer than three distinct nodes.
    Degenerate { node: i64 },
}

impl std::fmt::Display for RingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RingError::Empty => write!(f, "no usable way"),
            RingError::Open { node } => write!(f, "the ring does not close (it stops at node {node})"),
            RingError::Degenerate { node } => write!(f, "a ring through node {node} has no area"),
        }
    }
}

/// Joins ways (node ids, in any direction and any order) into closed rings (first id = last id). Every way is
/// used once; a chain that cannot be closed is an error naming the node where it stops, never guessed shut.
pub fn join_rings(ways: &[Vec<i64>]) -> Result<Vec<Vec<i64>>, RingError> {
    if ways.is_empty() || ways.iter().any(|w| w.len() < 2) {
        return Err(RingError::Empty);
    }
    let mut used = vec![false; ways.len()];
    let mut rings = Vec::new();
    for start in 0..ways.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut ring = ways[start].clone();
        while ring.first() != ring.last() {
            let end = *ring.last().unwrap_or(&0);
            let next = (0..ways.len())
                .find(|&i| !used[i] && (ways[i].first() == Some(&end) || ways[i].last() == Some(&end)));
            let Some(i) = next else {
                return Err(RingError::Open { node: end });
            };
            used[i] = true;
            if ways[i].first() == Some(&end) {
                ring.extend_from_slice(&ways[i][1..]);
            } else {
                ring.extend(ways[i].iter().rev().skip(1));
            }
        }
        let mut distinct = ring[..ring.len() - 1].to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 3 {
            return Err(RingError::Degenerate { node: ring[0] });
        }
        rings.push(ring);
    }
    Ok(rings)
}

/// One part of an area: an outer ring and the holes in it. Rings are closed (first point = last point).
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub outer: Vec<Pt>,
    pub holes: Vec<Vec<Pt>>,
}

/// An area of one or more parts (a municipality with detached parts has several).
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub polygons: Vec<Polygon>,
}

/// A bounding box: `[min_lon, min_lat, max_lon, max_lat]`.
pub type BBox = [f64; 4];

/// Whether `p` lies inside the closed ring (even-odd ray casting; a point exactly on an edge may go either way).
pub fn ring_contains(ring: &[Pt], p: Pt) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let ((x1, y1), (x2, y2)) = (w[0], w[1]);
        if (y1 > p.1) != (y2 > p.1) {
            let x = x1 + (p.1 - y1) * (x2 - x1) / (y2 - y1);
            if p.0 < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Twice the signed area of a closed ring (positive when counter-clockwise), in square degrees.
fn ring_area2(ring: &[Pt]) -> f64 {
    ring.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum()
}

impl Area {
    /// Builds an area from its outer and inner rings: each inner ring becomes a hole of the smallest outer ring
    /// holding its first point (an inner ring in no outer ring is dropped: it cuts nothing out).
    pub fn from_rings(outers: Vec<Vec<Pt>>, inners: Vec<Vec<Pt>>) -> Area {
        let mut polygons: Vec<Polygon> = outers
            .into_iter()
            .map(|outer| Polygon {
                outer,
                holes: Vec::new(),
            })
            .collect();
        for inner in inners {
            let Some(&p) = inner.first() else { continue };
            let home = polygons
                .iter()
                .enumerate()
                .filter(|(_, poly)| ring_contains(&poly.outer, p))
                .min_by(|a, b| {
                    ring_area2(&a.1.outer)
                        .abs()
                        .total_cmp(&ring_area2(&b.1.outer).abs())
                })
                .map(|(i, _)| i);
            if let Some(i) = home {
                polygons[i].holes.push(inner);
            }
        }
        Area { polygons }
    }

    /// Whether `p` is in the area: inside one part's outer ring and in none of that part's holes.
    pub fn contains(&self, p: Pt) -> bool {
        self.polygons
            .iter()
            .any(|poly| ring_contains(&poly.outer, p) && !poly.holes.iter().any(|h| ring_contains(h, p)))
    }

    /// The bounding box of the outer rings, `None` for an area without points.
    pub fn bbox(&self) -> Option<BBox> {
        let mut pts = self.polygons.iter().flat_map(|p| p.outer.iter());
        let &(x, y) = pts.next()?;
        Some(pts.fold([x, y, x, y], |b, &(x, y)| {
            [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)]
        }))
    }

    /// The area in square degrees (outer rings minus holes).
    pub fn size(&self) -> f64 {
        self.polygons
            .iter()
            .map(|p| {
                ring_area2(&p.outer).abs() / 2.0
                    - p.holes.iter().map(|h| ring_area2(h).abs() / 2.0).sum::<f64>()
            })
            .sum()
    }

    /// A point inside the area (not on its boundary): the middle of the widest inside stretch of the horizontal
    /// line through the middle of the largest part. `None` for an area without an inside.
    pub fn interior_point(&self) -> Option<Pt> {
        let largest = self
            .polygons
            .iter()
            .max_by(|a, b| ring_area2(&a.outer).abs().total_cmp(&ring_area2(&b.outer).abs()))?;
        let (lo, hi) = largest
            .outer
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p.1), hi.max(p.1))
            });
        if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
            return None;
        }
        let y = (lo + hi) / 2.0;
        let mut xs: Vec<f64> = Vec::new();
        for ring in std::iter::once(&largest.outer).chain(largest.holes.iter()) {
            for w in ring.windows(2) {
                let ((x1, y1), (x2, y2)) = (w[0], w[1]);
                if (y1 > y) != (y2 > y) {
                    xs.push(x1 + (y - y1) * (x2 - x1) / (y2 - y1));
                }
            }
        }
        xs.sort_by(f64::total_cmp);
        xs.chunks_exact(2)
            .max_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])))
            .filter(|c| c[1] > c[0])
            .map(|c| ((c[0] + c[1]) / 2.0, y))
    }

    /// Whether `other` lies in this area, judged by a point inside `other` (areas that share borders, as a
    /// municipality and its district do, cannot be compared vertex by vertex).
    pub fn holds(&self, other: &Area) -> bool {
        other.interior_point().is_some_and(|p| self.contains(p))
    }
}

/// The ids of the areas holding `p`, among `candidates` (id, level, outline): the city first, then districts,
/// then streets, each level by id. Any candidate may be passed (e.g. every area whose bounding box holds `p`);
/// only those whose outline holds it — in a part and not in that part's holes — are kept.
pub fn containing<'a>(
    p: Pt,
    candidates: impl IntoIterator<Item = (&'a str, AreaLevel, &'a Area)>,
) -> Vec<String> {
    let mut hits: Vec<(AreaLevel, &str)> = candidates
        .into_iter()
        .filter(|(_, _, area)| area.contains(p))
        .map(|(id, level, _)| (level, id))
        .collect();
    hits.sort_unstable();
    hits.dedup();
    hits.into_iter().map(|(_, id)| id.to_string()).collect()
}

/// Why a GeoJSON geometry is not an area; `at` is the JSON path inside the geometry (`coordinates[0][2]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeometryError {
    pub at: String,
    pub problem: String,
}

impl std::fmt::Display for GeometryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.problem)
    }
}

fn geometry_error(at: impl Into<String>, problem: impl Into<String>) -> GeometryError {
    GeometryError {
        at: at.into(),
        problem: problem.into(),
    }
}

impl Area {
    /// An area from a GeoJSON `Polygon` or `MultiPolygon` (the first ring of a polygon is its outer ring, the
    /// others its holes). Every ring must be closed (first position = last) with at least four positions, and
    /// every position a finite longitude −180..=180 and latitude −90..=90; anything else is an error naming
    /// where.
    pub fn from_geojson(geometry: &Value) -> Result<Area, GeometryError> {
        let kind = geometry
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| geometry_error("type", "must be \"Polygon\" or \"MultiPolygon\""))?;
        let coords = geometry
            .get("coordinates")
            .and_then(Value::as_array)
            .ok_or_else(|| geometry_error("coordinates", "must be an array"))?;
        let polygons: Vec<(String, &Value)> = match kind {
            "Polygon" => vec![(
                "coordinates".into(),
                geometry.get("coordinates").unwrap_or(&Value::Null),
            )],
            "MultiPolygon" => coords
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("coordinates[{i}]"), p))
                .collect(),
            other => {
                return Err(geometry_error(
                    "type",
                    format!("{other:?} is not an area (expected \"Polygon\" or \"MultiPolygon\")"),
                ))
            }
        };
        if polygons.is_empty() {
            return Err(geometry_error("coordinates", "has no polygon"));
        }
        let mut out = Vec::with_capacity(polygons.len());
        for (at, poly) in polygons {
            let rings = poly
                .as_array()
                .filter(|r| !r.is_empty())
                .ok_or_else(|| geometry_error(&at, "must be a non-empty array of rings"))?;
            let mut rings = rings
                .iter()
                .enumerate()
                .map(|(i, r)| ring_from_geojson(r, &format!("{at}[{i}]")));
            let outer = rings
                .next()
                .unwrap_or_else(|| Err(geometry_error(&at, "has no ring")))?;
            let holes = rings.collect::<Result<Vec<_>, _>>()?;
            out.push(Polygon { outer, holes });
        }
        Ok(Area { polygons: out })
    }

    /// The area as a GeoJSON `MultiPolygon` (each part: its outer ring, then its holes).
    pub fn to_geojson(&self) -> Value {
        let ring = |r: &Vec<Pt>| Value::Array(r.iter().map(|&(x, y)| json!([x, y])).collect());
        let parts: Vec<Value> = self
            .polygons
            .iter()
            .map(|p| Value::Array(std::iter::once(&p.outer).chain(&p.holes).map(ring).collect()))
            .collect();
        json!({"type": "MultiPolygon", "coordinates": parts})
    }
}

fn ring_from_geojson(ring: &Value, at: &str) -> Result<Vec<Pt>, GeometryError> {
    let positions = ring
        .as_array()
        .ok_or_else(|| geometry_error(at, "must be an array of positions"))?;
    let mut pts = Vec::with_capacity(positions.len());
    for (i, pos) in positions.iter().enumerate() {
        let xy = pos
            .as_array()
            .filter(|a| a.len() >= 2)
            .and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)));
        match xy {
            Some((x, y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => pts.push((x, y)),
            _ => {
                return Err(geometry_error(
                    format!("{at}[{i}]"),
                    "must be a position [lon, lat] with lon in -180..=180 and lat in -90..=90",
                ))
            }
        }
    }
    if pts.len() < 4 {
        return Err(geometry_error(
            at,
            format!("a ring needs at least 4 positions, it has {}", pts.len()),
        ));
    }
    if pts.first() != pts.last() {
        return Err(geometry_error(
            at,
            "the ring does not close (its last position is not its first)",
        ));
    }
    Ok(pts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square(x0: f64, y0: f64, s: f64) -> Vec<Pt> {
        vec![(x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s), (x0, y0)]
    }

    #[test]
    fn ways_in_any_order_and_direction_join_into_rings() {
        // ring 1-2-3-4-1 from three ways, one reversed, given out of order; ring 10-11-12-10 closed already
        let ways = vec![vec![3, 4, 1], vec![10, 11, 12, 10], vec![3, 2], vec![1, 2]];
        let rings = join_rings(&ways).unwrap();
        assert_eq!(rings.len(), 2);
        assert_eq!(rings[0], vec![3, 4, 1, 2, 3]);
        assert_eq!(rings[1], vec![10, 11, 12, 10]);
    }

    #[test]
    fn a_gap_is_an_open_ring_naming_the_node_and_is_never_closed_by_guessing() {
        assert_eq!(
            join_rings(&[vec![1, 2, 3], vec![3, 4]]),
            Err(RingError::Open { node: 4 })
        );
        assert_eq!(join_rings(&[]), Err(RingError::Empty));
        assert_eq!(join_rings(&[vec![1]]), Err(RingError::Empty));
        assert_eq!(
            join_rings(&[vec![1, 2], vec![2, 1]]),
            Err(RingError::Degenerate { node: 1 })
        );
    }

    #[test]
    fn holes_are_outside_and_every_part_is_inside() {
        // a 10×10 part with a 2×2 hole, and a detached 1×1 part far away
        let area = Area::from_rings(
            vec![square(0.0, 0.0, 10.0), square(20.0, 20.0, 1.0)],
            vec![square(4.0, 4.0, 2.0)],
        );
        assert_eq!(area.polygons[0].holes.len(), 1);
        assert!(area.contains((1.0, 1.0)));
        assert!(!area.contains((5.0, 5.0)), "in the hole");
        assert!(area.contains((20.5, 20.5)), "in the detached part");
        assert!(!area.contains((15.0, 15.0)));
        assert_eq!(area.bbox(), Some([0.0, 0.0, 21.0, 21.0]));
        assert!((area.size() - (100.0 - 4.0 + 1.0)).abs() < 1e-9);
        let p = area.interior_point().unwrap();
        assert!(area.contains(p), "{p:?}");
        // the scan line through the middle crosses the hole: the point is beside it, not in it
        assert!(!(4.0..=6.0).contains(&p.0), "{p:?}");
    }

    #[test]
    fn an_area_holds_its_parts_and_not_its_neighbours() {
        let district = Area::from_rings(vec![square(0.0, 0.0, 10.0)], vec![]);
        let west = Area::from_rings(vec![square(0.0, 0.0, 5.0)], vec![]);
        let outside = Area::from_rings(vec![square(10.0, 0.0, 5.0)], vec![]);
        assert!(district.holds(&west));
        assert!(!district.holds(&outside));
        assert!(Area { polygons: vec![] }.interior_point().is_none());
        assert!(Area { polygons: vec![] }.bbox().is_none());
    }

    #[test]
    fn geojson_round_trips_and_bad_geometry_is_named() {
        let area = Area::from_rings(
            vec![square(0.0, 0.0, 10.0), square(20.0, 20.0, 1.0)],
            vec![square(4.0, 4.0, 2.0)],
        );
        let gj = area.to_geojson();
        assert_eq!(gj["type"], "MultiPolygon");
        assert_eq!(Area::from_geojson(&gj).unwrap(), area);
        let poly = json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]});
        assert_eq!(Area::from_geojson(&poly).unwrap().polygons.len(), 1);

        let err = |v: Value| Area::from_geojson(&v).unwrap_err().to_string();
        assert_eq!(
            err(json!({"type": "Point", "coordinates": [0, 0]})),
            "type: \"Point\" is not an area (expected \"Polygon\" or \"MultiPolygon\")"
        );
        assert!(err(json!({"type": "Polygon"})).starts_with("coordinates: "));
        assert!(err(json!({"type": "MultiPolygon", "coordinates": []})).contains("no polygon"));
        assert_eq!(
            err(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]})),
            "coordinates[0]: the ring does not close (its last position is not its first)"
        );
        assert!(
            err(json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [0, 0]]]]}))
                .starts_with("coordinates[0][0]: a ring needs at least 4 positions")
        );
        assert!(
            err(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, "x"], [1, 1], [0, 0]]]}))
                .starts_with("coordinates[0][1]: must be a position")
        );
        assert!(
            err(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]}))
                .starts_with("coordinates[0][2]: ")
        );
    }

    #[test]
    fn containing_lists_the_city_then_districts_then_streets() {
        let city = Area::from_rings(vec![square(0.0, 0.0, 10.0)], vec![]);
        let west = Area::from_rings(vec![square(0.0, 0.0, 5.0)], vec![]);
        let east = Area::from_rings(vec![square(5.0, 0.0, 5.0)], vec![]);
        // a street in the west with a hole and a detached part in the east of the district
        let street = Area::from_rings(
            vec![square(0.0, 0.0, 3.0), square(4.0, 4.0, 0.5)],
            vec![square(1.0, 1.0, 1.0)],
        );
        let candidates = || {
            vec![
                ("osm-r2", AreaLevel::Street, &street),
                ("osm-r9", AreaLevel::District, &east),
                ("osm-r1", AreaLevel::District, &west),
                ("city", AreaLevel::City, &city),
            ]
        };
        assert_eq!(containing((0.5, 0.5), candidates()), ["city", "osm-r1", "osm-r2"]);
        assert_eq!(
            containing((4.2, 4.2), candidates()),
            ["city", "osm-r1", "osm-r2"],
            "detached part"
        );
        assert_eq!(
            containing((1.5, 1.5), candidates()),
            ["city", "osm-r1"],
            "in the street's hole"
        );
        assert_eq!(containing((7.0, 1.0), candidates()), ["city", "osm-r9"]);
        assert!(containing((11.0, 1.0), candidates()).is_empty(), "outside");
    }

    proptest! {
        /// Cutting a ring into ways, shuffling them and reversing some gives back the same ring (up to where it
        /// starts and which way round it goes).
        #[test]
        fn any_cut_of_a_ring_joins_back(n in 3usize..40, cuts in proptest::collection::vec(0usize..40, 0..8),
                                        order in proptest::collection::vec(any::<u32>(), 8), flips in any::<u8>()) {
            let ring: Vec<i64> = (0..n as i64).chain(std::iter::once(0)).collect();
            let mut at: Vec<usize> = cuts.into_iter().map(|c| c % n).chain([0, n]).collect();
            at.sort_unstable();
            at.dedup();
            let mut ways: Vec<Vec<i64>> = at.windows(2).map(|w| ring[w[0]..=w[1]].to_vec()).collect();
            for (i, w) in ways.iter_mut().enumerate() {
                if flips >> (i % 8) & 1 == 1 { w.reverse(); }
            }
            let mut keyed: Vec<(u32, Vec<i64>)> = ways.into_iter().enumerate().map(|(i, w)| (order[i % 8].wrapping_add(i as u32), w)).collect();
            keyed.sort_by_key(|k| k.0);
            let ways: Vec<Vec<i64>> = keyed.into_iter().map(|k| k.1).collect();
            let rings = join_rings(&ways).unwrap();
            prop_assert_eq!(rings.len(), 1);
            let mut got = rings[0][..n].to_vec();
            got.sort_unstable();
            prop_assert_eq!(got, (0..n as i64).collect::<Vec<_>>());
            // consecutive nodes of the joined ring are neighbours on the original one
            for w in rings[0].windows(2) {
                let d = (w[0] - w[1]).rem_euclid(n as i64);
                prop_assert!(d == 1 || d == n as i64 - 1, "{:?}", rings[0]);
            }
            // and dropping any way leaves it open
            if ways.len() > 1 {
                let open = matches!(join_rings(&ways[1..]), Err(RingError::Open { .. }));
                prop_assert!(open);
            }
        }

        /// A point in a square with a hole is in the area exactly when it is in the square and not in the hole.
        #[test]
        fn point_in_area_matches_the_rectangles(x in -1.0f64..11.0, y in -1.0f64..11.0) {
            let area = Area::from_rings(vec![square(0.0, 0.0, 10.0)], vec![square(3.0, 3.0, 4.0)]);
            let on_edge = [0.0, 10.0, 3.0, 7.0].iter().any(|e| (x - e).abs() < 1e-9 || (y - e).abs() < 1e-9);
            prop_assume!(!on_edge);
            let expect = (0.0..10.0).contains(&x) && (0.0..10.0).contains(&y)
                && !((3.0..7.0).contains(&x) && (3.0..7.0).contains(&y));
            prop_assert_eq!(area.contains((x, y)), expect);
        }
    }
}
