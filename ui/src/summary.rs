//! Left column: totals, counts by grade, by class and by closed-loop stage.

use citydeck_protocol::{Grade, IncidentClass, Stage};
use leptos::prelude::*;

use crate::css::{class_css, grade_css, stage_css};
use crate::i18n::{self, cockpit_strings};
use crate::panel::Panel;
use crate::state::AppState;

#[component]
pub fn SummaryColumn() -> impl IntoView {
    view! {
        <aside class="col col-left">
            <Overview />
            <ByGrade />
            <ByClass />
            <ByStage />
        </aside>
    }
}

#[component]
fn Overview() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let total = move || state.snapshot.with(|s| s.as_ref().map(|s| s.summary.total_open));
    let last_hour = move || state.snapshot.with(|s| s.as_ref().map(|s| s.summary.last_hour));
    let num = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
    // The area the counts are of, while drilled in (三级贯通).
    let area_name = move || {
        let l = lang.get();
        let id = state.snapshot.with(|s| s.as_ref().and_then(|s| s.area.clone()));
        id.and_then(|id| {
            state.areas.with(|v| {
                v.as_ref()?
                    .areas
                    .iter()
                    .find(|a| a.id == id)
                    .map(|a| crate::drill::area_name(a, l))
            })
        })
        .unwrap_or_default()
    };
    view! {
        <Panel
            title=Signal::derive(move || cockpit_strings(lang.get()).panel_overview)
            class="panel-overview"
            age=true
            aside=Signal::derive(area_name)
        >
            <div class="kpis" id="summary-total">
                <div class="kpi kpi-main">
                    <div class="kpi-label">{move || cockpit_strings(lang.get()).open_total}</div>
                    <div class="kpi-value">
                        <span class="kpi-num" data-value=move || total().unwrap_or(0)>
                            {move || num(total())}
                        </span>
                        <span class="kpi-unit">{move || cockpit_strings(lang.get()).unit_items}</span>
                    </div>
                </div>
                <div class="kpi">
                    <div class="kpi-label">{move || cockpit_strings(lang.get()).last_hour}</div>
                    <div class="kpi-value">
                        <span class="kpi-num" data-value=move || last_hour().unwrap_or(0)>
                            {move || num(last_hour())}
                        </span>
                        <span class="kpi-unit">{move || cockpit_strings(lang.get()).unit_items}</span>
                    </div>
                </div>
            </div>
        </Panel>
    }
}

#[component]
fn ByGrade() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let count = move |g: Grade| {
        state.snapshot.with(|s| {
            s.as_ref()
                .and_then(|s| s.summary.by_grade.iter().find(|(x, _)| *x == g).map(|(_, n)| *n))
                .unwrap_or(0)
        })
    };
    let total = move || Grade::ALL.iter().map(|g| count(*g)).sum::<u64>();
    view! {
        <Panel title=Signal::derive(move || cockpit_strings(lang.get()).panel_by_grade) class="panel-grade" age=true>
            <div class="grade-tiles" id="summary-grade">
                {Grade::ALL
                    .into_iter()
                    .map(|g| {
                        view! {
                            <div class=format!("grade-tile {}", grade_css(g)) data-grade=g.as_str()>
                                <div class="grade-tile-head">
                                    <span class="grade-mark">{move || i18n::grade_short(lang.get(), g)}</span>
                                    <span class="grade-name">{move || i18n::grade_name(lang.get(), g)}</span>
                                </div>
                                <div class="grade-tile-num" data-value=move || count(g)>
                                    {move || count(g)}
                                </div>
                                <div class="grade-tile-bar">
                                    <span style=move || bar_style(pct(count(g), total()))></span>
                                </div>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        </Panel>
    }
}

/// A bar's fill at `pct` percent: scaled, not resized, so that a refresh moves it on the compositor without a
/// layout and repaint of the panel on each frame of the transition (the feed refreshes once a second in a storm).
pub fn bar_style(pct: f64) -> String {
    format!("transform:scaleX({:.4})", (pct / 100.0).clamp(0.0, 1.0))
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

#[component]
fn ByClass() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let count = move |c: IncidentClass| {
        state.snapshot.with(|s| {
            s.as_ref()
                .and_then(|s| s.summary.by_class.iter().find(|(x, _)| *x == c).map(|(_, n)| *n))
                .unwrap_or(0)
        })
    };
    let max = move || IncidentClass::ALL.iter().map(|c| count(*c)).max().unwrap_or(0);
    let total = move || IncidentClass::ALL.iter().map(|c| count(*c)).sum::<u64>();
    view! {
        <Panel title=Signal::derive(move || cockpit_strings(lang.get()).panel_by_class) class="panel-class" age=true>
            <div class="class-bars" id="summary-class">
                {IncidentClass::ALL
                    .into_iter()
                    .map(|c| {
                        view! {
                            <div class=format!("class-row {}", class_css(c)) data-class=c.as_str()>
                                <div class="class-row-head">
                                    <span class="class-swatch"></span>
                                    <span class="class-name">{move || i18n::class_label(lang.get(), c)}</span>
                                    <span class="class-share">
                                        {move || format!("{:.0}%", pct(count(c), total()))}
                                    </span>
                                    <span class="class-num" data-value=move || count(c)>
                                        {move || count(c)}
                                    </span>
                                </div>
                                <div class="class-bar">
                                    <span style=move || bar_style(pct(count(c), max()))></span>
                                </div>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        </Panel>
    }
}

/// Where the open incidents are in the closed loop 采集→识别→交办→处置→反馈→督办 (counted by the cache).
#[component]
fn ByStage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let count = move |st: Stage| {
        state.snapshot.with(|s| {
            s.as_ref()
                .and_then(|s| s.summary.by_stage.iter().find(|(k, _)| *k == st).map(|(_, n)| *n))
                .unwrap_or(0)
        })
    };
    let stages = Stage::ALL.into_iter().filter(|s| *s != Stage::Closed);
    view! {
        <Panel title=Signal::derive(move || cockpit_strings(lang.get()).panel_by_stage) class="panel-stage" age=true>
            <ol class="stage-flow" id="summary-stage">
                {stages
                    .map(|st| {
                        view! {
                            <li class=format!("stage-step {}", stage_css(st)) data-stage=st.as_str()>
                                <span class="stage-name">{move || i18n::stage_label(lang.get(), st)}</span>
                                <span class="stage-num" class=("zero", move || count(st) == 0)>
                                    {move || count(st)}
                                </span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </Panel>
    }
}
