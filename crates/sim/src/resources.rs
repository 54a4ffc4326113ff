//! Response resources near an incident: the city's fire and police stations, medical facilities and shelters
//! (metro stations are Helsinki's civil-defence shelters; parks and squares are assembly areas; schools are
//! reception centres), taken from the real places of the city's OpenStreetMap extract.

use citydeck_protocol::ipc::NearbyResource;

use crate::places::{Place, PlaceKind};

/// Which kind of help a facility gives, or None for places that are not response resources.
pub fn group(kind: PlaceKind) -> Option<&'static str> {
    use PlaceKind::*;
    match kind {
        FireStation | PoliceStation => Some("rescue"),
        Hospital | Clinic | Pharmacy => Some("medical"),
        MetroStation | RailwayStation | Park | Square | School => Some("shelter"),
        _ => None,
    }
}

/// The response resources among `places`.
pub fn response_facilities(places: &[Place]) -> Vec<Place> {
    places
        .iter()
        .filter(|p| group(p.kind).is_some())
        .cloned()
        .collect()
}

/// Great-circle distance in metres.
pub fn distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().clamp(0.0, 1.0).asin()
}

/// The `per_group` nearest facilities of each group (rescue, medical, shelter) to (`lon`, `lat`), all of them
/// nearest first.
pub fn nearby(facilities: &[Place], lon: f64, lat: f64, per_group: usize) -> Vec<NearbyResource> {
    let mut all: Vec<NearbyResource> = facilities
        .iter()
        .filter_map(|p| {
            Some(NearbyResource {
                name: p.name.clone(),
                kind: p.kind.as_str().to_string(),
                group: group(p.kind)?.to_string(),
                lon: p.lon,
                lat: p.lat,
                distance_m: distance_m(lon, lat, p.lon, p.lat),
            })
        })
        .filter(|r| r.distance_m.is_finite())
        .collect();
    all.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    let mut taken = std::collections::HashMap::<String, usize>::new();
    all.retain(|r| {
        let n = taken.entry(r.group.clone()).or_default();
        *n += 1;
        *n <= per_group
    });
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(name: &str, kind: PlaceKind, lon: f64, lat: f64) -> Place {
        Place {
            name: name.into(),
            kind,
            lon,
            lat,
        }
    }

    #[test]
    fn distance_of_a_known_pair() {
        // Helsinki Central railway station to Erottaja fire station: about 900 m.
        let d = distance_m(24.9414, 60.1710, 24.9440, 60.1650);
        assert!((600.0..1000.0).contains(&d), "{d}");
        assert_eq!(distance_m(24.9, 60.1, 24.9, 60.1), 0.0);
    }

    #[test]
    fn nearest_per_group_sorted_and_non_resources_left_out() {
        let places = vec![
            place("far fire", PlaceKind::FireStation, 24.96, 60.17),
            place("near fire", PlaceKind::FireStation, 24.941, 60.170),
            place("other fire", PlaceKind::PoliceStation, 24.950, 60.170),
            place("clinic", PlaceKind::Clinic, 24.942, 60.171),
            place("metro", PlaceKind::MetroStation, 24.945, 60.170),
            place("restaurant", PlaceKind::Restaurant, 24.9401, 60.1701),
        ];
        let f = response_facilities(&places);
        assert_eq!(f.len(), 5, "the restaurant is not a resource");
        let n = nearby(&f, 24.940, 60.170, 2);
        let names: Vec<&str> = n.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["near fire", "clinic", "metro", "other fire"]);
        assert!(n.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
        assert_eq!(n[0].group, "rescue");
        assert_eq!(n[1].group, "medical");
        assert_eq!(n[2].group, "shelter");
    }
}
