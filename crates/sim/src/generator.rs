//! Operator-style incidents at real places: a deterministic (seeded) stream of what a city's hotline, video
//! analytics, IoT sensors and 110/119/120 dispatchers report, each from a template that fits the place.
//!
//! The templates are data ([`Templates`]: `data/city/templates.toml`, or the file a city names). A draw first picks
//! a template (by weight, among those whose place kinds the city has), then a place of one of its kinds, a grade,
//! a source and a description. Titles are Chinese with the OSM name kept as it is:
//! `"Mannerheimintie 交通事故"`, `"Rautatientori 地铁站 客流拥挤"`.

use std::path::{Path, PathBuf};

use citydeck_domain::incident::MAX_SOURCE_CHARS;
use citydeck_protocol::{Grade, IncidentClass, NewIncident};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::config::BBox;
use crate::places::{Place, PlaceKind};

/// Grade weights in per mille for I, II, III, IV: mostly IV and III, rarely II, very rarely I.
pub const GRADE_WEIGHTS: [(Grade, u32); 4] = [
    (Grade::I, 5),
    (Grade::II, 45),
    (Grade::III, 250),
    (Grade::IV, 700),
];

/// One kind of report, as written in a templates file.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub class: IncidentClass,
    /// Place kinds it can happen at.
    pub kinds: Vec<PlaceKind>,
    /// Appended to the place name to form the title.
    pub title: String,
    /// Description variants; `{place}` is replaced by the place name, `{kind}` by its kind's Chinese label, `{n}`
    /// by a number 2–9.
    pub descriptions: Vec<String>,
    /// Who reports it: `110` police, `119` fire, `120` ambulance, `12345-hotline` citizens' hotline, `video-ai`
    /// video analytics, `iot-sensor` city sensors, `operator` entered by the duty operator.
    pub sources: Vec<String>,
    /// Relative frequency.
    pub weight: u32,
}

/// The shipped templates file, beside the city files; every city uses it unless its city file names another.
pub const SHIPPED_TEMPLATES: &str = "data/city/templates.toml";

/// The placeholders a description may hold.
const PLACEHOLDERS: [&str; 3] = ["{place}", "{kind}", "{n}"];

/// Why a templates file cannot be used. Every variant names the file; `Invalid` also names the key at fault
/// (`template[3].kinds[1]`, counted from 1 as a reader counts the `[[template]]` tables).
#[derive(Debug, thiserror::Error)]
pub enum TemplatesError {
    #[error("cannot read incident templates {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("incident templates {path} are not valid TOML for templates: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("incident templates {path}: `{key}` {reason}")]
    Invalid {
        path: PathBuf,
        key: String,
        reason: String,
    },
}

/// A templates file as written: names, not yet checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatesFile {
    #[serde(default)]
    template: Vec<TemplateEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateEntry {
    class: String,
    kinds: Vec<String>,
    title: String,
    descriptions: Vec<String>,
    sources: Vec<String>,
    weight: u32,
}

/// The templates a simulator draws from: at least one, each checked (known class and place kinds, a title, every
/// description naming its `{place}`, sources the hub accepts, a positive weight).
#[derive(Debug, Clone, PartialEq)]
pub struct Templates(Vec<Template>);

impl Templates {
    /// The shipped file ([`SHIPPED_TEMPLATES`], built into the binary so the simulator runs from anywhere).
    pub fn shipped() -> Result<Templates, TemplatesError> {
        Self::parse(
            include_str!("../../../data/city/templates.toml"),
            Path::new(SHIPPED_TEMPLATES),
        )
    }

    /// Reads and checks a templates file.
    pub fn load(path: impl AsRef<Path>) -> Result<Templates, TemplatesError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TemplatesError::Io {
            path: path.into(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and checks templates TOML; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Templates, TemplatesError> {
        let file: TemplatesFile = toml::from_str(text).map_err(|source| TemplatesError::Parse {
            path: path.into(),
            source,
        })?;
        let bad = |key: String, reason: String| TemplatesError::Invalid {
            path: path.into(),
            key,
            reason,
        };
        if file.template.is_empty() {
            return Err(bad(
                "template".into(),
                "must list at least one [[template]]".into(),
            ));
        }
        let mut out = Vec::with_capacity(file.template.len());
        for (i, t) in file.template.into_iter().enumerate() {
            let key = |field: &str| format!("template[{}].{field}", i + 1);
            let class = IncidentClass::parse(&t.class).ok_or_else(|| {
                bad(
                    key("class"),
                    format!(
                        "is {:?}, not one of {}",
                        t.class,
                        IncidentClass::ALL.map(IncidentClass::as_str).join(", ")
                    ),
                )
            })?;
            if t.kinds.is_empty() {
                return Err(bad(key("kinds"), "must name at least one place kind".into()));
            }
            let kinds = t
                .kinds
                .iter()
                .enumerate()
                .map(|(k, name)| {
                    PlaceKind::parse(name).ok_or_else(|| {
                        bad(
                            key(&format!("kinds[{}]", k + 1)),
                            format!("is {name:?}, not a place kind (street, school, park, …)"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if t.title.trim().is_empty() {
                return Err(bad(key("title"), "must not be empty".into()));
            }
            if t.descriptions.is_empty() {
                return Err(bad(
                    key("descriptions"),
                    "must hold at least one description".into(),
                ));
            }
            for (k, d) in t.descriptions.iter().enumerate() {
                let unknown = PLACEHOLDERS.iter().fold(d.clone(), |d, p| d.replace(p, ""));
                if !d.contains("{place}") {
                    return Err(bad(
                        key(&format!("descriptions[{}]", k + 1)),
                        "must name the place ({place})".into(),
                    ));
                }
                if unknown.contains('{') || unknown.contains('}') {
                    return Err(bad(
                        key(&format!("descriptions[{}]", k + 1)),
                        format!("has a placeholder other than {}", PLACEHOLDERS.join(", ")),
                    ));
                }
            }
            if t.sources.is_empty() {
                return Err(bad(key("sources"), "must name at least one source".into()));
            }
            for (k, src) in t.sources.iter().enumerate() {
                if src.trim().is_empty() || src.chars().count() > MAX_SOURCE_CHARS {
                    return Err(bad(
                        key(&format!("sources[{}]", k + 1)),
                        format!("must be 1–{MAX_SOURCE_CHARS} characters, got {src:?}"),
                    ));
                }
            }
            if t.weight == 0 {
                return Err(bad(key("weight"), "must be positive".into()));
            }
            out.push(Template {
                class,
                kinds,
                title: t.title,
                descriptions: t.descriptions,
                sources: t.sources,
                weight: t.weight,
            });
        }
        Ok(Templates(out))
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Template> {
        self.0.iter()
    }
}

/// The operator-incident stream of one city.
pub struct Generator {
    rng: ChaCha8Rng,
    /// Templates the city has places for, with the indices of those places.
    usable: Vec<(Template, Vec<usize>)>,
    total_weight: u32,
    places: Vec<Place>,
    bbox: BBox,
    jitter_m: f64,
}

/// An incident and the place and template it came from (for tests and logs).
#[derive(Debug, Clone)]
pub struct Draw<'a> {
    pub incident: NewIncident,
    pub place: &'a Place,
    pub template: &'a Template,
}

#[derive(Debug, thiserror::Error)]
#[error("no template fits any of the {0} places: the city has no streets, stations, schools, parks, ...")]
pub struct NoUsablePlaces(pub usize);

impl Generator {
    /// Same `templates`, `places` (in the same order) and `seed` give the same stream. Places outside `bbox` are
    /// ignored; incidents are moved up to `jitter_m` metres from their place but stay inside `bbox`.
    pub fn new(
        templates: &Templates,
        places: Vec<Place>,
        bbox: BBox,
        jitter_m: f64,
        seed: u64,
    ) -> Result<Generator, NoUsablePlaces> {
        let n = places.len();
        let places: Vec<Place> = places
            .into_iter()
            .filter(|p| bbox.contains(p.lon, p.lat))
            .collect();
        let usable: Vec<_> = templates
            .iter()
            .filter_map(|t| {
                let idx: Vec<usize> = places
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| t.kinds.contains(&p.kind))
                    .map(|(i, _)| i)
                    .collect();
                (!idx.is_empty()).then(|| (t.clone(), idx))
            })
            .collect();
        if usable.is_empty() {
            return Err(NoUsablePlaces(n));
        }
        let total_weight = usable.iter().map(|(t, _)| t.weight).sum();
        let jitter_m = if jitter_m.is_finite() {
            jitter_m.max(0.0)
        } else {
            0.0
        };
        Ok(Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            usable,
            total_weight,
            places,
            bbox,
            jitter_m,
        })
    }

    pub fn places(&self) -> &[Place] {
        &self.places
    }

    pub fn next_incident(&mut self) -> NewIncident {
        self.draw().incident
    }

    pub fn draw(&mut self) -> Draw<'_> {
        let mut pick = self.rng.gen_range(0..self.total_weight);
        let mut chosen = 0;
        for (i, (t, _)) in self.usable.iter().enumerate() {
            if pick < t.weight {
                chosen = i;
                break;
            }
            pick -= t.weight;
        }
        let (template, idx) = &self.usable[chosen];
        let place = &self.places[*idx.choose(&mut self.rng).expect("usable templates have places")];
        let grade = draw_grade(&mut self.rng);
        let source = template
            .sources
            .choose(&mut self.rng)
            .expect("templates have sources");
        let text = template
            .descriptions
            .choose(&mut self.rng)
            .expect("templates have descriptions");
        let n = self.rng.gen_range(2..=9u32);
        let shown = display_name(place);
        let description = text
            .replace("{place}", &shown)
            .replace("{kind}", place.kind.zh())
            .replace("{n}", &n.to_string());
        let (lon, lat) = jitter(&mut self.rng, &self.bbox, self.jitter_m, place.lon, place.lat);
        let incident = NewIncident {
            title: format!("{shown} {}", template.title),
            class: template.class,
            grade,
            lon,
            lat,
            source: source.clone(),
            description: Some(description),
            address: Some(place.name.clone()),
            external_id: None,
            occurred_at: None,
        };
        Draw {
            incident,
            place,
            template,
        }
    }
}

/// How a place is named in titles and descriptions: its OSM name, followed for stations and stops by what it is
/// ("Helsinki 火车站": a station's name is often that of the city or of a nearby building).
pub fn display_name(place: &Place) -> String {
    match place.kind {
        PlaceKind::RailwayStation | PlaceKind::MetroStation | PlaceKind::TramStop | PlaceKind::BusStation => {
            format!("{} {}", place.name, place.kind.zh())
        }
        _ => place.name.clone(),
    }
}

/// A point up to `jitter_m` metres away (uniform over the disc), clamped into the bbox.
fn jitter(rng: &mut impl Rng, bbox: &BBox, jitter_m: f64, lon: f64, lat: f64) -> (f64, f64) {
    if jitter_m == 0.0 {
        return bbox.clamp(lon, lat);
    }
    const M_PER_DEG_LAT: f64 = 111_320.0;
    let r = jitter_m * rng.gen::<f64>().sqrt();
    let theta = rng.gen::<f64>() * std::f64::consts::TAU;
    let dlat = r * theta.sin() / M_PER_DEG_LAT;
    let dlon = r * theta.cos() / (M_PER_DEG_LAT * lat.to_radians().cos().max(0.01));
    bbox.clamp(lon + dlon, lat + dlat)
}

/// One grade drawn from [`GRADE_WEIGHTS`].
pub fn draw_grade(rng: &mut impl Rng) -> Grade {
    let mut pick = rng.gen_range(0..1000u32);
    for (g, w) in GRADE_WEIGHTS {
        if pick < w {
            return g;
        }
        pick -= w;
    }
    Grade::IV
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::PlaceKind as K;
    use std::collections::HashMap;

    fn bbox() -> BBox {
        BBox {
            min_lon: 24.93,
            min_lat: 60.16,
            max_lon: 24.96,
            max_lat: 60.18,
        }
    }

    fn sample_places() -> Vec<Place> {
        let mk = |name: &str, kind, lon, lat| Place {
            name: name.into(),
            kind,
            lon,
            lat,
        };
        vec![
            mk("Mannerheimintie", K::Street, 24.9405, 60.1700),
            mk("Aleksanterinkatu", K::Street, 24.9480, 60.1690),
            mk("Pitkäsilta", K::Bridge, 24.9490, 60.1780),
            mk("Ressun lukio", K::School, 24.9340, 60.1640),
            mk("Helsinki", K::RailwayStation, 24.9414, 60.1719),
            mk("Rautatientori", K::MetroStation, 24.9440, 60.1706),
            mk("Kauppatori", K::TramStop, 24.9520, 60.1675),
            mk("Kauppakeskus Kluuvi", K::ShoppingCentre, 24.9455, 60.1695),
            mk("Esplanadinpuisto", K::Park, 24.9480, 60.1677),
            mk("Senaatintori", K::Square, 24.9522, 60.1694),
            mk("Diacor Keskusta", K::Clinic, 24.9370, 60.1690),
            mk("Ravintola Kaisaniemi", K::Restaurant, 24.9460, 60.1740),
            // Right at the bbox corner: jitter must not push it out.
            mk("Kulma", K::Street, 24.93, 60.16),
        ]
    }

    fn generator(seed: u64) -> Generator {
        Generator::new(
            &Templates::shipped().unwrap(),
            sample_places(),
            bbox(),
            40.0,
            seed,
        )
        .unwrap()
    }

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        let a: Vec<_> = {
            let mut g = generator(7);
            (0..200).map(|_| g.next_incident()).collect()
        };
        let b: Vec<_> = {
            let mut g = generator(7);
            (0..200).map(|_| g.next_incident()).collect()
        };
        let c: Vec<_> = {
            let mut g = generator(8);
            (0..200).map(|_| g.next_incident()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn templates_fit_the_place_kind_and_incidents_are_well_formed() {
        let mut g = generator(1);
        let b = bbox();
        let mut titles_seen = std::collections::HashSet::new();
        for _ in 0..5_000 {
            let d = g.draw();
            assert!(
                d.template.kinds.contains(&d.place.kind),
                "{} at {:?}",
                d.template.title,
                d.place
            );
            let inc = &d.incident;
            assert_eq!(inc.class, d.template.class);
            assert_eq!(
                inc.title,
                format!("{} {}", display_name(d.place), d.template.title)
            );
            assert!(
                inc.title.starts_with(&d.place.name),
                "the OSM name is kept as it is"
            );
            assert_eq!(inc.address.as_deref(), Some(d.place.name.as_str()));
            assert!(d.template.sources.contains(&inc.source));
            assert_eq!(inc.external_id, None);
            assert!(b.contains(inc.lon, inc.lat), "{inc:?} left the bbox");
            let desc = inc.description.as_deref().unwrap();
            assert!(!desc.contains('{'), "unfilled placeholder: {desc}");
            // Within the jitter radius (40 m, plus rounding) of the place.
            let dy = (inc.lat - d.place.lat) * 111_320.0;
            let dx = (inc.lon - d.place.lon) * 111_320.0 * d.place.lat.to_radians().cos();
            assert!(
                (dx * dx + dy * dy).sqrt() <= 40.5,
                "{inc:?} too far from {:?}",
                d.place
            );
            titles_seen.insert(inc.title.clone());
        }
        assert!(
            titles_seen.contains("Mannerheimintie 交通事故"),
            "{titles_seen:?}"
        );
        assert!(titles_seen.contains("Ressun lukio 火灾报警"));
        assert!(titles_seen.contains("Kauppakeskus Kluuvi 燃气泄漏"));
        assert!(
            titles_seen.contains("Helsinki 火车站 客流拥挤"),
            "{titles_seen:?}"
        );
        assert!(titles_seen.contains("Ressun lukio 疑似食物中毒"));
        assert!(titles_seen.contains("Esplanadinpuisto 树木倒伏"));
    }

    #[test]
    fn every_template_is_consistent() {
        let shipped = Templates::shipped().unwrap();
        assert_eq!(
            shipped,
            Templates::load(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../..")
                    .join(SHIPPED_TEMPLATES)
            )
            .unwrap(),
            "the built-in copy is the file"
        );
        for t in shipped.iter() {
            assert!(
                !t.kinds.is_empty() && !t.sources.is_empty() && !t.descriptions.is_empty() && t.weight > 0
            );
            for d in &t.descriptions {
                assert!(d.contains("{place}"), "{d}");
            }
        }
        // All four classes are generated.
        for c in IncidentClass::ALL {
            assert!(shipped.iter().any(|t| t.class == c), "{c:?}");
        }
    }

    const ONE: &str = r#"
[[template]]
class = "accident"
kinds = ["street", "bridge"]
title = "交通事故"
descriptions = ["{place}发生两车追尾。", "{place}路口{n}车剐蹭。"]
sources = ["110"]
weight = 2
"#;

    #[test]
    fn a_templates_file_is_read_as_written() {
        let t = Templates::parse(ONE, Path::new("t.toml")).unwrap();
        let only: Vec<&Template> = t.iter().collect();
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].class, IncidentClass::Accident);
        assert_eq!(only[0].kinds, [K::Street, K::Bridge]);
        assert_eq!(only[0].title, "交通事故");
        assert_eq!(only[0].descriptions.len(), 2);
        assert_eq!(
            (only[0].sources.as_slice(), only[0].weight),
            (&["110".to_string()][..], 2)
        );
        let mut g = Generator::new(&t, sample_places(), bbox(), 0.0, 1).unwrap();
        for _ in 0..50 {
            let d = g.draw();
            assert!(matches!(d.place.kind, K::Street | K::Bridge), "{:?}", d.place);
            assert!(d.incident.title.ends_with(" 交通事故"), "{}", d.incident.title);
        }
    }

    #[test]
    fn a_bad_templates_file_is_refused_naming_the_file_and_the_key() {
        let cases = [
            (
                ONE.replace("\"accident\"", "\"acident\""),
                "template[1].class",
                "acident",
            ),
            (
                ONE.replace("\"bridge\"", "\"brige\""),
                "template[1].kinds[2]",
                "brige",
            ),
            (
                ONE.replace("[\"street\", \"bridge\"]", "[]"),
                "template[1].kinds",
                "at least one",
            ),
            (ONE.replace("\"交通事故\"", "\" \""), "template[1].title", "empty"),
            (
                ONE.replace("\"{place}路口", "\"路口"),
                "template[1].descriptions[2]",
                "{place}",
            ),
            (
                ONE.replace("{n}车", "{count}车"),
                "template[1].descriptions[2]",
                "placeholder",
            ),
            (
                ONE.replace("[\"110\"]", "[\"110\", \"\"]"),
                "template[1].sources[2]",
                "1–64",
            ),
            (
                ONE.replace("weight = 2", "weight = 0"),
                "template[1].weight",
                "positive",
            ),
            (
                format!("{ONE}{}", ONE.replace("\"accident\"", "\"fire\"")),
                "template[2].class",
                "fire",
            ),
            ("# nothing\n".to_string(), "template", "at least one"),
        ];
        for (text, key, why) in cases {
            let err = Templates::parse(&text, Path::new("data/city/mine.toml")).unwrap_err();
            let msg = err.to_string();
            assert!(
                matches!(&err, TemplatesError::Invalid { key: k, .. } if k == key),
                "{key}: {msg}"
            );
            assert!(
                msg.contains("data/city/mine.toml") && msg.contains(key) && msg.contains(why),
                "{msg}"
            );
        }
        // Not TOML of templates: the parser's words, with the file and the key (an unknown one, or a wrong type).
        for (text, key) in [
            (ONE.replace("weight = 2", "weigth = 2"), "weigth"),
            (ONE.replace("weight = 2", "weight = \"2\""), "weight"),
            ("[[template]\n".to_string(), "template"),
        ] {
            let err = Templates::parse(&text, Path::new("data/city/mine.toml")).unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, TemplatesError::Parse { .. }), "{msg}");
            assert!(msg.contains("data/city/mine.toml") && msg.contains(key), "{msg}");
        }
        let err = Templates::load("/nonexistent/templates.toml").unwrap_err();
        assert!(matches!(err, TemplatesError::Io { .. }));
        assert!(err.to_string().contains("/nonexistent/templates.toml"), "{err}");
    }

    #[test]
    fn grade_distribution_over_10k_draws() {
        let mut g = generator(42);
        let mut counts: HashMap<Grade, u32> = HashMap::new();
        for _ in 0..10_000 {
            *counts.entry(g.next_incident().grade).or_default() += 1;
        }
        let n = |gr| counts.get(&gr).copied().unwrap_or(0);
        // Expected 50 / 450 / 2500 / 7000; bounds are several standard deviations wide.
        assert!((20..=90).contains(&n(Grade::I)), "{counts:?}");
        assert!((350..=550).contains(&n(Grade::II)), "{counts:?}");
        assert!((2300..=2700).contains(&n(Grade::III)), "{counts:?}");
        assert!((6750..=7250).contains(&n(Grade::IV)), "{counts:?}");
    }

    #[test]
    fn class_mix_covers_all_classes() {
        let mut g = generator(3);
        let mut counts: HashMap<IncidentClass, u32> = HashMap::new();
        for _ in 0..2_000 {
            *counts.entry(g.next_incident().class).or_default() += 1;
        }
        for c in IncidentClass::ALL {
            assert!(counts.get(&c).copied().unwrap_or(0) > 100, "{counts:?}");
        }
    }

    #[test]
    fn places_without_templates_or_outside_the_bbox_are_an_error() {
        let only_outside = vec![Place {
            name: "x".into(),
            kind: K::Street,
            lon: 0.0,
            lat: 0.0,
        }];
        let t = Templates::shipped().unwrap();
        assert!(Generator::new(&t, only_outside, bbox(), 0.0, 1).is_err());
        assert!(Generator::new(&t, vec![], bbox(), 0.0, 1).is_err());
    }
}
