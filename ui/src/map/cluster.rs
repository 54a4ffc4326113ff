//! Incident clustering for one zoom level, done here instead of in MapLibre.
//!
//! A clustered MapLibre GeoJSON source re-indexes every point at every zoom (supercluster) and reloads every
//! tile on each `updateData`: with 10,000 incidents and a stream of changes, that work took most of the frame
//! time on a software-GL wall. Here the cockpit clusters its own copy of the incidents ([`super::points`]) at the
//! zoom the map shows, and the source holds only what is drawn: the bubbles and the single markers. A change
//! inside a bubble that does not change the bubble (an assignment, a stage) costs the map nothing; one that
//! does changes one feature, and MapLibre reloads only the tiles it touches (an unclustered source's diffs are
//! incremental).
//!
//! The algorithm is supercluster's greedy pass at one zoom: points in id order; each point not yet taken takes
//! every untaken point within `radius` pixels (at the source's 512 px tile size); if that makes `min_points`
//! or more it becomes a bubble at their centroid, otherwise they are all drawn on their own. Id order keeps
//! the bubbles where they were when one incident changes. Pure Rust, no JavaScript: unit-tested natively.

use std::collections::HashMap;

use citydeck_protocol::ipc::MapPoint;
use uuid::Uuid;

/// Pixels of one world width at zoom 0 (MapLibre's GeoJSON tile size).
const WORLD_PX: f64 = 512.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Cluster radius in pixels.
    pub radius_px: f64,
    /// No clustering above this zoom.
    pub max_zoom: u32,
    /// Fewest incidents a bubble holds.
    pub min_points: usize,
}

/// A bubble: `seed` is the first incident (in id order) it holds and names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bubble {
    pub seed: Uuid,
    pub lon: f64,
    pub lat: f64,
    pub count: usize,
    /// Incidents per grade (I, II, III, IV).
    pub grades: [usize; 4],
    /// West, south, east, north of what it holds.
    pub bbox: [f64; 4],
}

/// What the map draws at one zoom.
#[derive(Debug, Default, PartialEq)]
pub struct Clustered {
    pub bubbles: Vec<Bubble>,
    pub singles: Vec<Uuid>,
}

/// Web Mercator in world units (0..1 both ways).
pub fn project(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-85.051_128, 85.051_128).to_radians();
    let x = lon / 360.0 + 0.5;
    let y = 0.5 - (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() / (2.0 * std::f64::consts::PI);
    (x, y)
}

pub fn unproject(x: f64, y: f64) -> (f64, f64) {
    let lon = (x - 0.5) * 360.0;
    let lat = (2.0 * ((0.5 - y) * 2.0 * std::f64::consts::PI).exp().atan() - std::f64::consts::FRAC_PI_2)
        .to_degrees();
    (lon, lat)
}

/// Cluster `points` for drawing at `zoom` (the map's zoom, floored). Above `max_zoom`, every point is single.
pub fn cluster(points: &HashMap<Uuid, MapPoint>, zoom: u32, p: Params) -> Clustered {
    let mut order: Vec<&MapPoint> = points.values().collect();
    order.sort_unstable_by_key(|m| m.id);
    if zoom > p.max_zoom || p.min_points < 2 {
        return Clustered {
            bubbles: Vec::new(),
            singles: order.iter().map(|m| m.id).collect(),
        };
    }
    let r = p.radius_px / (WORLD_PX * f64::from(1u32 << zoom.min(30)));
    let xy: Vec<(f64, f64)> = order.iter().map(|m| project(m.lon, m.lat)).collect();
    let cell = |(x, y): (f64, f64)| ((x / r).floor() as i64, (y / r).floor() as i64);
    let mut grid: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for (k, &c) in xy.iter().enumerate() {
        grid.entry(cell(c)).or_default().push(k as u32);
    }
    let mut taken = vec![false; order.len()];
    let mut out = Clustered::default();
    let mut near: Vec<usize> = Vec::new();
    for k in 0..order.len() {
        if taken[k] {
            continue;
        }
        taken[k] = true;
        let (x, y) = xy[k];
        let (cx, cy) = cell((x, y));
        near.clear();
        for gx in cx - 1..=cx + 1 {
            for gy in cy - 1..=cy + 1 {
                let Some(list) = grid.get_mut(&(gx, gy)) else {
                    continue;
                };
                // Drop what earlier bubbles took, so a dense cell is not walked again and again.
                list.retain(|&j| !taken[j as usize] || j as usize == k);
                for &j in list.iter() {
                    let j = j as usize;
                    if j == k {
                        continue;
                    }
                    let (dx, dy) = (xy[j].0 - x, xy[j].1 - y);
                    if dx * dx + dy * dy <= r * r {
                        near.push(j);
                    }
                }
            }
        }
        for &j in &near {
            taken[j] = true;
        }
        if near.len() + 1 < p.min_points {
            out.singles.push(order[k].id);
            out.singles.extend(near.iter().map(|&j| order[j].id));
            continue;
        }
        let (mut sx, mut sy) = (x, y);
        let mut grades = [0usize; 4];
        grades[order[k].grade.index()] += 1;
        let m = order[k];
        let mut bbox = [m.lon, m.lat, m.lon, m.lat];
        for &j in &near {
            sx += xy[j].0;
            sy += xy[j].1;
            let m = order[j];
            grades[m.grade.index()] += 1;
            bbox = [
                bbox[0].min(m.lon),
                bbox[1].min(m.lat),
                bbox[2].max(m.lon),
                bbox[3].max(m.lat),
            ];
        }
        let n = near.len() + 1;
        let (lon, lat) = unproject(sx / n as f64, sy / n as f64);
        out.bubbles.push(Bubble {
            seed: order[k].id,
            lon,
            lat,
            count: n,
            grades,
            bbox,
        });
    }
    out
}

/// The bubble's label: `950`, `1.2k`, `12k` (as MapLibre's `point_count_abbreviated`).
pub fn abbreviated(count: usize) -> String {
    if count >= 10_000 {
        format!("{}k", (count as f64 / 1000.0).round())
    } else if count >= 1000 {
        format!("{}k", (count as f64 / 100.0).round() / 10.0)
    } else {
        count.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::{Grade, IncidentClass, Stage};

    fn pt(n: u128, lon: f64, lat: f64, grade: Grade) -> MapPoint {
        MapPoint {
            id: Uuid::from_u128(n),
            lon,
            lat,
            grade,
            class: IncidentClass::Accident,
            stage: Stage::Collected,
            title: format!("#{n}"),
            seq: 1,
            outline: None,
            quality: Default::default(),
        }
    }

    fn params() -> Params {
        Params {
            radius_px: 40.0,
            max_zoom: 14,
            min_points: 3,
        }
    }

    fn set(points: Vec<MapPoint>) -> HashMap<Uuid, MapPoint> {
        points.into_iter().map(|p| (p.id, p)).collect()
    }

    /// Metres per pixel at `zoom` near Helsinki (60.17° N), for placing test points a few pixels apart.
    fn deg_per_px(zoom: u32) -> f64 {
        360.0 / (WORLD_PX * f64::from(1u32 << zoom))
    }

    #[test]
    fn projection_round_trips() {
        for (lon, lat) in [(24.94, 60.17), (-122.4, 37.8), (0.0, 0.0), (179.9, -85.0)] {
            let (x, y) = project(lon, lat);
            assert!((0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y));
            let (lo, la) = unproject(x, y);
            assert!(
                (lo - lon).abs() < 1e-9 && (la - lat).abs() < 1e-9,
                "{lon},{lat} → {lo},{la}"
            );
        }
    }

    #[test]
    fn close_points_make_one_bubble_with_counts_centroid_and_bounds() {
        let d = deg_per_px(12);
        let pts = set(vec![
            pt(1, 24.94, 60.17, Grade::I),
            pt(2, 24.94 + 5.0 * d, 60.17, Grade::III),
            pt(3, 24.94, 60.17 + 5.0 * d, Grade::III),
            // far away: alone
            pt(4, 25.5, 60.4, Grade::II),
        ]);
        let c = cluster(&pts, 12, params());
        assert_eq!(c.bubbles.len(), 1, "{c:?}");
        let b = &c.bubbles[0];
        assert_eq!((b.seed, b.count, b.grades), (Uuid::from_u128(1), 3, [1, 0, 2, 0]));
        assert!((b.lon - (24.94 + 5.0 * d / 3.0)).abs() < 1e-6, "{b:?}");
        assert!(b.lat > 60.17 && b.lat < 60.17 + 5.0 * d);
        assert_eq!(b.bbox, [24.94, 60.17, 24.94 + 5.0 * d, 60.17 + 5.0 * d]);
        assert_eq!(c.singles, vec![Uuid::from_u128(4)]);
    }

    #[test]
    fn two_close_points_stay_single_below_min_points_and_past_max_zoom_nothing_clusters() {
        let d = deg_per_px(12);
        let two = set(vec![
            pt(1, 24.94, 60.17, Grade::I),
            pt(2, 24.94 + d, 60.17, Grade::I),
        ]);
        let c = cluster(&two, 12, params());
        assert!(c.bubbles.is_empty());
        assert_eq!(c.singles, vec![Uuid::from_u128(1), Uuid::from_u128(2)]);
        let three = set(vec![
            pt(1, 24.94, 60.17, Grade::I),
            pt(2, 24.94 + d, 60.17, Grade::I),
            pt(3, 24.94, 60.17 + d, Grade::I),
        ]);
        assert_eq!(cluster(&three, 14, params()).bubbles.len(), 1);
        let c = cluster(&three, 15, params());
        assert!(c.bubbles.is_empty());
        assert_eq!(c.singles.len(), 3);
    }

    #[test]
    fn radius_is_in_pixels_at_the_zoom() {
        // 60 px apart at zoom 12: apart (radius 40); at zoom 11 the same points are 30 px apart: together.
        let d = deg_per_px(12);
        let pts = set((0..3)
            .map(|k| pt(k, 24.94 + 60.0 * d * k as f64, 60.17, Grade::IV))
            .collect());
        assert!(cluster(&pts, 12, params()).bubbles.is_empty());
        // At zoom 11 the first point takes the second (30 px) but not the third (60 px): below 3, all single.
        assert!(cluster(&pts, 11, params()).bubbles.is_empty());
        let b = cluster(&pts, 10, params()).bubbles;
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].count, 3);
    }

    #[test]
    fn every_point_is_drawn_exactly_once() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let pts = set((0..5000)
            .map(|k| {
                pt(
                    k,
                    rng.gen_range(24.90..25.00),
                    rng.gen_range(60.15..60.20),
                    Grade::ALL[rng.gen_range(0..4)],
                )
            })
            .collect());
        for zoom in [0, 5, 10, 12, 13, 14, 15] {
            let c = cluster(&pts, zoom, params());
            let held: usize = c.bubbles.iter().map(|b| b.count).sum::<usize>() + c.singles.len();
            assert_eq!(held, pts.len(), "zoom {zoom}");
            let mut seen: std::collections::HashSet<Uuid> = c.singles.iter().copied().collect();
            assert_eq!(seen.len(), c.singles.len());
            for b in &c.bubbles {
                assert!(b.count >= 3 && b.grades.iter().sum::<usize>() == b.count);
                assert!(seen.insert(b.seed), "a seed drawn twice at zoom {zoom}");
            }
            if zoom <= 10 {
                assert!(c.bubbles.len() < 20, "zoom {zoom}: {} bubbles", c.bubbles.len());
            }
        }
        assert_eq!(cluster(&pts, 15, params()).singles.len(), 5000);
    }

    #[test]
    fn one_change_moves_only_the_bubbles_near_it() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut pts = set((0..2000)
            .map(|k| {
                pt(
                    k,
                    rng.gen_range(24.90..25.00),
                    rng.gen_range(60.15..60.20),
                    Grade::IV,
                )
            })
            .collect());
        let before = cluster(&pts, 13, params());
        pts.insert(Uuid::from_u128(99_999), pt(99_999, 24.95, 60.175, Grade::I));
        let after = cluster(&pts, 13, params());
        let same = after
            .bubbles
            .iter()
            .filter(|b| before.bubbles.contains(b))
            .count();
        assert!(
            same + 5 >= before.bubbles.len(),
            "{} of {} bubbles changed",
            before.bubbles.len() - same,
            before.bubbles.len()
        );
    }

    #[test]
    fn labels_abbreviate_like_maplibre() {
        assert_eq!(abbreviated(3), "3");
        assert_eq!(abbreviated(999), "999");
        assert_eq!(abbreviated(1000), "1k");
        assert_eq!(abbreviated(1250), "1.3k");
        assert_eq!(abbreviated(12_400), "12k");
    }
}
