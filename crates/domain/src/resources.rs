//! Response resources near an incident: the city's fire and police stations, medical facilities and shelters
//! (metro stations are Helsinki's civil-defence shelters; parks and squares are assembly areas; schools are
//! reception centres). Where they come from (the city's OpenStreetMap extract) is the caller's business: here
//! a facility is a name, a kind and a point.

use citydeck_protocol::ipc::NearbyResource;

/// The kinds of place that are response resources. Named as the simulator's OSM place kinds are
/// (`fire_station`, …), so a place of another kind is simply not a facility ([`FacilityKind::parse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FacilityKind {
    FireStation,
    PoliceStation,
    Hospital,
    Clinic,
    Pharmacy,
    MetroStation,
    RailwayStation,
    Park,
    Square,
    School,
}

impl FacilityKind {
    pub const ALL: [FacilityKind; 10] = [
        FacilityKind::FireStation,
        FacilityKind::PoliceStation,
        FacilityKind::Hospital,
        FacilityKind::Clinic,
        FacilityKind::Pharmacy,
        FacilityKind::MetroStation,
        FacilityKind::RailwayStation,
        FacilityKind::Park,
        FacilityKind::Square,
        FacilityKind::School,
    ];

    pub fn as_str(self) -> &'static str {
        use FacilityKind::*;
        match self {
            FireStation => "fire_station",
            PoliceStation => "police_station",
            Hospital => "hospital",
            Clinic => "clinic",
            Pharmacy => "pharmacy",
            MetroStation => "metro_station",
            RailwayStation => "railway_station",
            Park => "park",
            Square => "square",
            School => "school",
        }
    }

    /// The facility kind of a place kind name; None for places that are not response resources.
    pub fn parse(s: &str) -> Option<FacilityKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Which kind of help it gives: `rescue` | `medical` | `shelter`.
    pub fn group(self) -> &'static str {
        use FacilityKind::*;
        match self {
            FireStation | PoliceStation => "rescue",
            Hospital | Clinic | Pharmacy => "medical",
            MetroStation | RailwayStation | Park | Square | School => "shelter",
        }
    }
}

/// A response facility of the city.
#[derive(Clone, Debug, PartialEq)]
pub struct Facility {
    pub name: String,
    pub kind: FacilityKind,
    pub lon: f64,
    pub lat: f64,
}

impl Facility {
    /// A place of kind `kind` (a place kind name) as a facility, or None if that kind is not a response
    /// resource.
    pub fn of_place(name: &str, kind: &str, lon: f64, lat: f64) -> Option<Facility> {
        Some(Facility {
            name: name.to_string(),
            kind: FacilityKind::parse(kind)?,
            lon,
            lat,
        })
    }
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
pub fn nearby(facilities: &[Facility], lon: f64, lat: f64, per_group: usize) -> Vec<NearbyResource> {
    let mut all: Vec<NearbyResource> = facilities
        .iter()
        .map(|p| NearbyResource {
            name: p.name.clone(),
            kind: p.kind.as_str().to_string(),
            group: p.kind.group().to_string(),
            lon: p.lon,
            lat: p.lat,
            distance_m: distance_m(lon, lat, p.lon, p.lat),
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

    fn place(name: &str, kind: &str, lon: f64, lat: f64) -> Option<Facility> {
        Facility::of_place(name, kind, lon, lat)
    }

    #[test]
    fn distance_of_a_known_pair() {
        // Helsinki Central railway station to Erottaja fire station: about 900 m.
        let d = distance_m(24.9414, 60.1710, 24.9440, 60.1650);
        assert!((600.0..1000.0).contains(&d), "{d}");
        assert_eq!(distance_m(24.9, 60.1, 24.9, 60.1), 0.0);
    }

    #[test]
    fn kinds_round_trip_and_other_places_are_not_facilities() {
        for k in FacilityKind::ALL {
            assert_eq!(FacilityKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(FacilityKind::parse("restaurant"), None);
        assert_eq!(FacilityKind::FireStation.group(), "rescue");
        assert_eq!(FacilityKind::Pharmacy.group(), "medical");
        assert_eq!(FacilityKind::School.group(), "shelter");
    }

    #[test]
    fn nearest_per_group_sorted_and_non_resources_left_out() {
        let places = [
            place("far fire", "fire_station", 24.96, 60.17),
            place("near fire", "fire_station", 24.941, 60.170),
            place("other fire", "police_station", 24.950, 60.170),
            place("clinic", "clinic", 24.942, 60.171),
            place("metro", "metro_station", 24.945, 60.170),
            place("restaurant", "restaurant", 24.9401, 60.1701),
        ];
        let f: Vec<Facility> = places.into_iter().flatten().collect();
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
