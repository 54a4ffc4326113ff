//! The drill-down (三级贯通: 全市 › 区 › 街道): the breadcrumb over the map, the area panel (the areas one level
//! down, shaded by a chosen measure, with the legend of the shades; a click drills in) and what the map is told
//! to shade. Where a cockpit may go is `domain::drill`'s rule; [`AppState::drill_to`] keeps to it.

use citydeck_domain::drill::{self, Measure};
use citydeck_protocol::ipc::{AreaMeasure, AreasView};
use citydeck_protocol::{AreaLevel, AreaSummary};
use leptos::prelude::*;

use crate::i18n::{drill_strings, Lang};
use crate::state::AppState;

/// The choropleth's shades, least to most (one per class of `domain::drill::classes`, at most 5).
pub const SHADES: [&str; 5] = ["#1d4f86", "#2b83c6", "#d9b526", "#f07a1f", "#e5322d"];

/// An area's name in `lang`: its Chinese or English name where the city file gives one, else the local name.
pub fn area_name(a: &AreaSummary, lang: Lang) -> String {
    let known = match lang {
        Lang::Zh => a.name_zh.as_deref(),
        Lang::En => a.name_en.as_deref(),
    };
    known.unwrap_or(&a.name).to_string()
}

/// The city's name in the breadcrumb: the snapshot's (in both languages the city file gives) for the city
/// itself.
fn crumb_name(a: &AreaSummary, lang: Lang, city: Option<(&str, &str)>) -> String {
    match (a.level, city) {
        (AreaLevel::City, Some((zh, en))) => match lang {
            Lang::Zh => zh.to_string(),
            Lang::En => en.to_string(),
        },
        _ => area_name(a, lang),
    }
}

/// What the map shows of the drill-down: the area drilled into (outlined, fitted), and the areas one level
/// down shaded by the measure (area id → shade).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DrillView {
    pub focus: Option<AreaSummary>,
    pub shades: Vec<(String, &'static str)>,
    /// Where the map fits (the area drilled into; None: the city's box).
    pub fit: Option<[f64; 4]>,
}

/// One row of the area panel.
#[derive(Clone, Debug, PartialEq)]
pub struct AreaRow {
    pub area: AreaSummary,
    pub value: u64,
    /// Index into [`SHADES`] (None: 0, not shaded).
    pub class: Option<usize>,
}

/// The areas one level below `drill`, most first (then by name), with their measure and shade class, and the
/// classes `(low, high)` the shades stand for.
pub fn rows(
    areas: &AreasView,
    drill: Option<&str>,
    measures: &[AreaMeasure],
    measure: Measure,
) -> (Vec<AreaRow>, Vec<(u64, u64)>) {
    let children = drill::children(&areas.areas, drill);
    let max = children
        .iter()
        .map(|a| measure.value(measures, &a.id))
        .max()
        .unwrap_or(0);
    let classes = drill::classes(max);
    let mut out: Vec<AreaRow> = children
        .into_iter()
        .map(|a| {
            let value = measure.value(measures, &a.id);
            AreaRow {
                area: a.clone(),
                value,
                class: drill::class_of(&classes, value),
            }
        })
        .collect();
    out.sort_by(|x, y| y.value.cmp(&x.value).then_with(|| x.area.name.cmp(&y.area.name)));
    (out, classes)
}

/// The map's part of the drill-down (see [`DrillView`]).
pub fn view_of(
    areas: &AreasView,
    drill: Option<&str>,
    measures: &[AreaMeasure],
    measure: Measure,
) -> DrillView {
    let focus = drill
        .and_then(|d| areas.areas.iter().find(|a| a.id == d))
        .cloned();
    let (rows, _) = rows(areas, drill, measures, measure);
    DrillView {
        fit: focus.as_ref().map(|a| a.bbox),
        focus,
        shades: rows
            .into_iter()
            .filter_map(|r| Some((r.area.id, SHADES[r.class?])))
            .collect(),
    }
}

/// The city's names (zh, en) as the snapshot has them.
fn city_names(state: AppState) -> Option<(String, String)> {
    state.snapshot.with(|s| {
        s.as_ref()
            .map(|s| (s.city.name_zh.clone(), s.city.name_en.clone()))
    })
}

/// 全市 › 区 › 街道: each level up is a button (greyed above a scoped account's area, which it may not see).
#[component]
pub fn Breadcrumb() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let crumbs = move || {
        let l = lang.get();
        let drill = state.drill.get();
        let city = city_names(state);
        let city = city.as_ref().map(|(z, e)| (z.as_str(), e.as_str()));
        state.areas.with(|v| {
            let Some(v) = v.as_ref() else { return Vec::new() };
            let scope = v.scope.as_deref();
            let at = drill
                .as_deref()
                .or_else(|| drill::top(&v.areas).map(|t| t.id.as_str()))
                .unwrap_or_default();
            let path = drill::path(&v.areas, at);
            let n = path.len();
            path.into_iter()
                .enumerate()
                .map(|(k, a)| {
                    let reachable = scope.is_none_or(|s| drill::within(&v.areas, s, &a.id));
                    (a.id.clone(), crumb_name(a, l, city), k + 1 == n, reachable)
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <Show when=move || !crumbs().is_empty()>
            <nav class="breadcrumb" id="breadcrumb" aria-label="breadcrumb">
                {move || {
                    crumbs()
                        .into_iter()
                        .enumerate()
                        .map(|(k, (id, name, last, reachable))| {
                            let target = id.clone();
                            view! {
                                {(k > 0).then(|| view! { <span class="crumb-sep" aria-hidden="true">"›"</span> })}
                                <button
                                    class="crumb"
                                    class=("crumb--current", last)
                                    class=("crumb--locked", !reachable)
                                    data-area-id=id
                                    disabled=last || !reachable
                                    title=move || if reachable { String::new() } else { drill_strings(lang.get()).above_scope.to_string() }
                                    on:click=move |_| state.drill_to(Some(&target))
                                >
                                    {name}
                                </button>
                            }
                        })
                        .collect_view()
                }}
            </nav>
        </Show>
    }
}

/// The area panel (top right of the map): the measure the map shades by, the legend of the shades, and the
/// areas one level down, most first; a row drills into its area.
#[component]
pub fn AreaPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let data = Memo::new(move |_| {
        let drill = state.drill.get();
        let measure = state.measure.get();
        state.areas.with(|v| {
            let v = v.as_ref()?;
            if v.areas.is_empty() {
                return None;
            }
            let measures = state
                .snapshot
                .with(|s| s.as_ref().map(|s| s.area_measures.clone()).unwrap_or_default());
            let level = drill::children(&v.areas, drill.as_deref())
                .first()
                .map(|a| a.level);
            Some((rows(v, drill.as_deref(), &measures, measure), level))
        })
    });
    let measure_button = move |m: Measure| {
        let label = move || {
            let s = drill_strings(lang.get());
            match m {
                Measure::Open => s.measure_open,
                Measure::Overdue => s.measure_overdue,
                Measure::GradeI => s.measure_grade_i,
            }
        };
        view! {
            <button
                class="area-measure"
                class=("area-measure--on", move || state.measure.get() == m)
                data-measure=m.as_str()
                aria-pressed=move || if state.measure.get() == m { "true" } else { "false" }
                on:click=move |_| state.measure.set(m)
            >
                {label}
            </button>
        }
    };
    view! {
        <Show when=move || data.with(Option::is_some)>
            <div class="area-panel" id="area-panel" data-measure=move || state.measure.get().as_str()>
                <div class="area-panel-head">
                    <span class="mapx-panel-title">{move || drill_strings(lang.get()).areas}</span>
                    <span class="area-panel-sub">
                        {move || {
                            let s = drill_strings(lang.get());
                            data.with(|d| match d {
                                Some(((rows, _), Some(level))) if !rows.is_empty() => {
                                    let word = if *level == AreaLevel::Street { s.streets } else { s.districts };
                                    crate::i18n::child_count(lang.get(), rows.len(), word)
                                }
                                _ => s.no_children.to_string(),
                            })
                        }}
                    </span>
                </div>
                <div class="area-measures" role="group">
                    {Measure::ALL.into_iter().map(measure_button).collect_view()}
                </div>
                <div class="area-legend" id="area-legend">
                    {move || {
                        data.with(|d| {
                            let (rows, classes) = d.as_ref().map(|((r, c), _)| (r.len(), c.clone())).unwrap_or_default();
                            if rows == 0 {
                                return ().into_any();
                            }
                            if classes.is_empty() {
                                return view! {
                                    <span class="area-legend-none">{drill_strings(lang.get()).none_counted}</span>
                                }
                                    .into_any();
                            }
                            classes
                                .into_iter()
                                .enumerate()
                                .map(|(k, (lo, hi))| {
                                    let text = if lo == hi { lo.to_string() } else { format!("{lo}–{hi}") };
                                    view! {
                                        <span class="area-legend-item" data-class=k>
                                            <span class="area-swatch" style=format!("background:{}", SHADES[k])></span>
                                            <span>{text}</span>
                                        </span>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        })
                    }}
                </div>
                <ol class="area-list" id="area-list">
                    {move || {
                        let l = lang.get();
                        data.with(|d| d.as_ref().map(|((rows, _), _)| rows.clone()).unwrap_or_default())
                            .into_iter()
                            .map(|r| {
                                let id = r.area.id.clone();
                                let swatch = r.class.map(|k| SHADES[k]).unwrap_or("transparent");
                                view! {
                                    <li>
                                        <button
                                            class="area-row"
                                            data-area-id=r.area.id.clone()
                                            data-value=r.value
                                            on:click=move |_| state.drill_to(Some(&id))
                                        >
                                            <span class="area-swatch" style=format!("background:{swatch}")></span>
                                            <span class="area-row-name">{area_name(&r.area, l)}</span>
                                            <span class="area-row-value">{r.value}</span>
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ol>
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(id: &str, level: AreaLevel, parent: Option<&str>) -> AreaSummary {
        AreaSummary {
            id: id.into(),
            name: format!("{id} local"),
            level,
            parent: parent.map(str::to_string),
            bbox: [9.5, 47.0, 9.6, 47.1],
            name_zh: (id == "vaduz").then(|| "瓦杜兹".to_string()),
            name_en: None,
        }
    }

    fn view() -> AreasView {
        use AreaLevel::*;
        AreasView {
            scope: None,
            areas: vec![
                a("city", City, None),
                a("oberland", District, Some("city")),
                a("unterland", District, Some("city")),
                a("vaduz", Street, Some("oberland")),
                a("triesen", Street, Some("oberland")),
                a("balzers", Street, Some("oberland")),
            ],
            outlines: serde_json::json!({"type": "FeatureCollection", "features": []}),
        }
    }

    fn m(id: &str, open: u64, overdue: u64) -> AreaMeasure {
        AreaMeasure {
            area_id: id.into(),
            open,
            overdue,
            grade_i: 0,
        }
    }

    #[test]
    fn the_panel_lists_the_areas_one_level_down_most_first_with_their_shades() {
        let measures = vec![
            m("oberland", 9, 1),
            m("unterland", 3, 2),
            m("vaduz", 6, 0),
            m("triesen", 3, 1),
        ];
        let (r, classes) = rows(&view(), None, &measures, Measure::Open);
        let ids: Vec<&str> = r.iter().map(|r| r.area.id.as_str()).collect();
        assert_eq!(ids, ["oberland", "unterland"]);
        assert_eq!(classes, [(1, 2), (3, 4), (5, 6), (7, 8), (9, 9)]);
        assert_eq!((r[0].value, r[0].class, r[1].class), (9, Some(4), Some(1)));
        let (r, _) = rows(&view(), None, &measures, Measure::Overdue);
        assert_eq!(r[0].area.id, "unterland", "another measure, another order");
        let (r, classes) = rows(&view(), Some("oberland"), &measures, Measure::Open);
        let ids: Vec<&str> = r.iter().map(|r| r.area.id.as_str()).collect();
        assert_eq!(
            ids,
            ["vaduz", "triesen", "balzers"],
            "balzers has none: last, unshaded"
        );
        assert_eq!(r[2].class, None);
        assert_eq!(classes, [(1, 2), (3, 4), (5, 6)]);
        assert!(rows(&view(), Some("vaduz"), &measures, Measure::Open)
            .0
            .is_empty());
    }

    #[test]
    fn the_map_outlines_and_fits_the_area_drilled_into_and_shades_its_children() {
        let measures = vec![m("vaduz", 2, 0), m("triesen", 1, 0)];
        let v = view_of(&view(), Some("oberland"), &measures, Measure::Open);
        assert_eq!(v.focus.as_ref().map(|a| a.id.as_str()), Some("oberland"));
        assert_eq!(v.fit, Some([9.5, 47.0, 9.6, 47.1]));
        assert_eq!(
            v.shades,
            [
                ("vaduz".to_string(), SHADES[1]),
                ("triesen".to_string(), SHADES[0])
            ],
            "balzers (0) is left unshaded"
        );
        let top = view_of(&view(), None, &measures, Measure::Open);
        assert_eq!(
            (top.focus, top.fit),
            (None, None),
            "the whole city: the city's own box"
        );
        assert!(view_of(&view(), None, &[], Measure::Open).shades.is_empty());
    }

    #[test]
    fn names_are_in_the_ui_language_where_known() {
        let v = view();
        assert_eq!(area_name(&v.areas[3], Lang::Zh), "瓦杜兹");
        assert_eq!(
            area_name(&v.areas[3], Lang::En),
            "vaduz local",
            "no English name: the local one"
        );
        assert_eq!(
            crumb_name(&v.areas[0], Lang::En, Some(("列支敦士登", "Liechtenstein"))),
            "Liechtenstein"
        );
        assert_eq!(
            crumb_name(&v.areas[0], Lang::Zh, Some(("列支敦士登", "Liechtenstein"))),
            "列支敦士登"
        );
    }
}
