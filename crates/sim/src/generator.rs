//! Operator-style incidents at real places: a deterministic (seeded) stream of what a city's hotline, video
//! analytics, IoT sensors and 110/119/120 dispatchers report, each from a template that fits the place.
//!
//! A draw first picks a template (by weight, among those whose place kinds the city has), then a place of one of
//! its kinds, a grade, a source and a description. Titles are Chinese with the OSM name kept as it is:
//! `"Mannerheimintie 交通事故"`, `"Rautatientori 地铁站 客流拥挤"`.

use citydeck_protocol::{Grade, IncidentClass, NewIncident};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::BBox;
use crate::places::{Place, PlaceKind};

/// Grade weights in per mille for I, II, III, IV: mostly IV and III, rarely II, very rarely I.
pub const GRADE_WEIGHTS: [(Grade, u32); 4] = [
    (Grade::I, 5),
    (Grade::II, 45),
    (Grade::III, 250),
    (Grade::IV, 700),
];

/// One kind of report.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub class: IncidentClass,
    /// Place kinds it can happen at.
    pub kinds: &'static [PlaceKind],
    /// Appended to the place name to form the title.
    pub title: &'static str,
    /// Description variants; `{place}` is replaced by the place name, `{kind}` by its kind's Chinese label.
    pub descriptions: &'static [&'static str],
    pub sources: &'static [&'static str],
    /// Relative frequency.
    pub weight: u32,
}

use IncidentClass as C;
use PlaceKind as K;

const STREETS: &[PlaceKind] = &[K::Street, K::Bridge];
const SCHOOLS: &[PlaceKind] = &[K::School, K::Kindergarten, K::University];

/// The templates, by class. Sources: `110` police, `119` fire, `120` ambulance, `12345-hotline` citizens'
/// hotline, `video-ai` video analytics, `iot-sensor` city sensors, `operator` entered by the duty operator.
pub const TEMPLATES: &[Template] = &[
    // 事故灾难
    Template {
        class: C::Accident,
        kinds: STREETS,
        title: "交通事故",
        descriptions: &[
            "{place}发生两车追尾，一人轻伤，占用一条车道，需交警到场处置。",
            "{place}一辆轿车与自行车相撞，骑车人受伤，已通知120。",
            "{place}路口多车剐蹭，车流缓行，请求交警疏导。",
        ],
        sources: &["110", "video-ai", "12345-hotline"],
        weight: 20,
    },
    Template {
        class: C::Accident,
        kinds: &[K::TramStop],
        title: "有轨电车与行人碰撞",
        descriptions: &["{place}站台附近有轨电车与行人发生碰撞，行人倒地，电车线路暂停运行。"],
        sources: &["110", "video-ai"],
        weight: 3,
    },
    Template {
        class: C::Accident,
        kinds: &[
            K::School,
            K::Kindergarten,
            K::University,
            K::Hotel,
            K::Library,
            K::Museum,
            K::Venue,
            K::Church,
            K::Government,
        ],
        title: "火灾报警",
        descriptions: &[
            "{place}（{kind}）烟感报警器触发，现场人员正在疏散，119已出动核实。",
            "{place}楼内有烟雾，自动报警系统联动，人员正在撤离。",
        ],
        sources: &["iot-sensor", "119"],
        weight: 6,
    },
    Template {
        class: C::Accident,
        kinds: &[
            K::ShoppingCentre,
            K::Supermarket,
            K::Restaurant,
            K::Hotel,
            K::Market,
        ],
        title: "燃气泄漏",
        descriptions: &[
            "{place}可燃气体探测器报警，浓度持续上升，已关闭总阀并疏散人员。",
            "群众反映{place}附近有明显燃气异味。",
        ],
        sources: &["iot-sensor", "12345-hotline", "119"],
        weight: 4,
    },
    Template {
        class: C::Accident,
        kinds: &[K::Restaurant],
        title: "厨房起火",
        descriptions: &["{place}后厨油锅起火，店员已使用灭火器，火势基本控制，请求119到场检查。"],
        sources: &["119", "110"],
        weight: 3,
    },
    Template {
        class: C::Accident,
        kinds: &[
            K::ShoppingCentre,
            K::Hotel,
            K::MetroStation,
            K::RailwayStation,
            K::Parking,
        ],
        title: "电梯困人",
        descriptions: &["{place}一部电梯停在两层之间，轿厢内约{n}人被困，维保单位已通知。"],
        sources: &["iot-sensor", "12345-hotline"],
        weight: 4,
    },
    Template {
        class: C::Accident,
        kinds: &[K::Parking],
        title: "车辆起火",
        descriptions: &["{place}地下车库内一辆汽车冒烟起火，喷淋系统已启动。"],
        sources: &["iot-sensor", "119", "video-ai"],
        weight: 1,
    },
    Template {
        class: C::Accident,
        kinds: &[K::Street],
        title: "路面塌陷",
        descriptions: &["{place}人行道出现约2米见方塌陷，疑似地下管线渗漏，已设置围挡。"],
        sources: &["12345-hotline", "operator"],
        weight: 2,
    },
    Template {
        class: C::Accident,
        kinds: &[K::Bridge],
        title: "桥梁结构监测异常",
        descriptions: &["{place}结构健康监测系统振动数据超出阈值，需派员现场检查。"],
        sources: &["iot-sensor"],
        weight: 1,
    },
    Template {
        class: C::Accident,
        kinds: &[K::FerryTerminal, K::Harbour],
        title: "人员落水",
        descriptions: &["{place}有人落水，已抛救生圈，请求水上救援力量支援。"],
        sources: &["110", "video-ai"],
        weight: 2,
    },
    // 社会安全事件
    Template {
        class: C::SocialSecurity,
        kinds: &[
            K::RailwayStation,
            K::MetroStation,
            K::BusStation,
            K::FerryTerminal,
        ],
        title: "客流拥挤",
        descriptions: &[
            "{place}客流密度超过预警阈值，进站口排队人员较多，建议采取限流措施。",
            "视频分析发现{place}通道人员聚集，存在踩踏风险。",
        ],
        sources: &["video-ai", "operator"],
        weight: 6,
    },
    Template {
        class: C::SocialSecurity,
        kinds: &[K::Square, K::Market, K::Park, K::Stadium, K::Venue],
        title: "人员聚集",
        descriptions: &["{place}短时聚集约{n}0人，情况待核实，已调取周边视频。"],
        sources: &["video-ai", "110"],
        weight: 4,
    },
    Template {
        class: C::SocialSecurity,
        kinds: &[K::Restaurant, K::Square, K::Street, K::Venue],
        title: "打架斗殴",
        descriptions: &["{place}有{n}人发生肢体冲突，已有人受伤，请求民警到场。"],
        sources: &["110", "video-ai"],
        weight: 3,
    },
    Template {
        class: C::SocialSecurity,
        kinds: &[
            K::ShoppingCentre,
            K::Supermarket,
            K::Museum,
            K::Hotel,
            K::Pharmacy,
        ],
        title: "盗窃报警",
        descriptions: &["{place}报警称发生盗窃，嫌疑人已离开现场，店方已保存监控录像。"],
        sources: &["110"],
        weight: 3,
    },
    Template {
        class: C::SocialSecurity,
        kinds: &[
            K::RailwayStation,
            K::MetroStation,
            K::BusStation,
            K::FerryTerminal,
            K::ShoppingCentre,
        ],
        title: "可疑遗留物品",
        descriptions: &["{place}发现无人看管的可疑行李，已设置警戒，等待排爆人员确认。"],
        sources: &["110", "video-ai"],
        weight: 2,
    },
    Template {
        class: C::SocialSecurity,
        kinds: &[K::Embassy, K::Government],
        title: "聚集请愿",
        descriptions: &["{place}门前约{n}0人聚集请愿，秩序基本正常，已派员现场维护。"],
        sources: &["operator", "110"],
        weight: 2,
    },
    // 公共卫生事件
    Template {
        class: C::PublicHealth,
        kinds: &[K::School, K::Kindergarten, K::University, K::Restaurant, K::Hotel],
        title: "疑似食物中毒",
        descriptions: &[
            "{place}就餐后{n}人出现呕吐、腹泻症状，已送医，疾控部门已通知采样。",
            "{place}报告多人餐后不适，疑似食物中毒，现场留样已封存。",
        ],
        sources: &["120", "12345-hotline", "operator"],
        weight: 4,
    },
    Template {
        class: C::PublicHealth,
        kinds: &[K::Hospital, K::Clinic],
        title: "就诊量激增",
        descriptions: &["{place}呼吸道症状就诊人数较上周同期明显上升，请卫健部门研判。"],
        sources: &["operator"],
        weight: 3,
    },
    Template {
        class: C::PublicHealth,
        kinds: SCHOOLS,
        title: "发热病例聚集",
        descriptions: &["{place}同一班级{n}名学生发热，学校已启动晨午检，疾控介入调查。"],
        sources: &["12345-hotline", "operator"],
        weight: 2,
    },
    Template {
        class: C::PublicHealth,
        kinds: &[
            K::MetroStation,
            K::RailwayStation,
            K::Stadium,
            K::ShoppingCentre,
            K::Square,
            K::Church,
        ],
        title: "人员晕倒",
        descriptions: &["{place}一名群众突然晕倒，现场有人实施心肺复苏，120正在赶来。"],
        sources: &["120", "video-ai"],
        weight: 3,
    },
    Template {
        class: C::PublicHealth,
        kinds: &[K::Street, K::School, K::Hotel],
        title: "自来水异味",
        descriptions: &["居民反映{place}一带自来水有异味、发黄，供水企业已派员取样。"],
        sources: &["12345-hotline"],
        weight: 1,
    },
    // 自然灾害
    Template {
        class: C::NaturalDisaster,
        kinds: &[K::Street, K::Square],
        title: "道路积水",
        descriptions: &[
            "强降雨致{place}低洼路段积水约30厘米，车辆通行困难。",
            "{place}积水监测点水位超过警戒线，建议临时封闭。",
        ],
        sources: &["iot-sensor", "12345-hotline", "video-ai"],
        weight: 5,
    },
    Template {
        class: C::NaturalDisaster,
        kinds: &[K::Park, K::Street],
        title: "树木倒伏",
        descriptions: &["大风致{place}一棵大树倒伏，压住部分道路/步道，需园林部门清理。"],
        sources: &["12345-hotline", "operator"],
        weight: 4,
    },
    Template {
        class: C::NaturalDisaster,
        kinds: &[K::Street, K::Bridge],
        title: "路面结冰",
        descriptions: &["{place}路面温度低于零度并检测到结冰，建议撒布融雪剂。"],
        sources: &["iot-sensor", "video-ai"],
        weight: 3,
    },
    Template {
        class: C::NaturalDisaster,
        kinds: &[K::FerryTerminal, K::Harbour, K::Park],
        title: "风暴潮水位超警",
        descriptions: &["{place}潮位站水位超过警戒值，沿岸低洼处可能漫水。"],
        sources: &["iot-sensor"],
        weight: 1,
    },
    Template {
        class: C::NaturalDisaster,
        kinds: &[K::Street, K::ShoppingCentre],
        title: "强风高空坠物风险",
        descriptions: &["大风致{place}一处广告牌松动，存在坠落风险，已拉设警戒线。"],
        sources: &["12345-hotline", "video-ai"],
        weight: 1,
    },
];

/// The operator-incident stream of one city.
pub struct Generator {
    rng: ChaCha8Rng,
    /// Templates the city has places for, with the indices of those places.
    usable: Vec<(&'static Template, Vec<usize>)>,
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
    pub template: &'static Template,
}

#[derive(Debug, thiserror::Error)]
#[error("no template fits any of the {0} places: the city has no streets, stations, schools, parks, ...")]
pub struct NoUsablePlaces(pub usize);

impl Generator {
    /// Same `places` (in the same order) and `seed` give the same stream. Places outside `bbox` are ignored;
    /// incidents are moved up to `jitter_m` metres from their place but stay inside `bbox`.
    pub fn new(
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
        let usable: Vec<_> = TEMPLATES
            .iter()
            .filter_map(|t| {
                let idx: Vec<usize> = places
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| t.kinds.contains(&p.kind))
                    .map(|(i, _)| i)
                    .collect();
                (!idx.is_empty()).then_some((t, idx))
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
        let template: &'static Template = template;
        let place = &self.places[*idx.choose(&mut self.rng).expect("usable templates have places")];
        let grade = draw_grade(&mut self.rng);
        let source = *template
            .sources
            .choose(&mut self.rng)
            .expect("templates have sources");
        let text = *template
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
            source: source.to_owned(),
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
        K::RailwayStation | K::MetroStation | K::TramStop | K::BusStation => {
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
        Generator::new(sample_places(), bbox(), 40.0, seed).unwrap()
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
            assert!(d.template.sources.contains(&inc.source.as_str()));
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
        for t in TEMPLATES {
            assert!(
                !t.kinds.is_empty() && !t.sources.is_empty() && !t.descriptions.is_empty() && t.weight > 0
            );
            for d in t.descriptions {
                assert!(d.contains("{place}"), "{d}");
            }
        }
        // All four classes are generated.
        for c in IncidentClass::ALL {
            assert!(TEMPLATES.iter().any(|t| t.class == c), "{c:?}");
        }
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
        assert!(Generator::new(only_outside, bbox(), 0.0, 1).is_err());
        assert!(Generator::new(vec![], bbox(), 0.0, 1).is_err());
    }
}
