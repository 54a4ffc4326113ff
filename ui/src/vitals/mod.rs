//! The vital-sign panels (城市运行数字体征, issue 21): one tile per indicator of the scenario the wall shows —
//! name, value and unit in the colour of its warning level (the national blue / yellow / orange / red), the
//! last 24 h as a sparkline over the threshold bands, the trend against an hour before, how old the reading is
//! — the header's scenario selector, and the large chart a tile opens (day / week / month, threshold bands and
//! lines). Everything is read from the desktop's cache through the shell (`vitals`, `vital_series`), so
//! offline the tiles keep the cached values and say how old they are.
//!
//! Stable attributes for window tests: the group `#vitals` (`data-scenario`, `data-because`
//! `default|chosen|wartime`, `data-trigger`, `data-stale`, `data-count`); each tile `.vital`
//! (`data-indicator`, `data-level` `normal|blue|yellow|orange|red|none`, `data-value`, `data-trend`
//! `up|down|flat|none`, `data-trigger`, `data-stale`); the selector `#scenario-select` (`data-scenario`); the
//! large chart `#vital-chart` (`data-indicator`, `data-range` `day|week|month`, `data-offline`,
//! `data-points`).

pub mod chart;
pub mod model;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use citydeck_protocol::indicators::{IndicatorDirection, IndicatorLevel};
use citydeck_protocol::ipc::{ScenarioChoice, VitalPanel, VitalRange, VitalSeries, VitalsView};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{self, vital_strings, Lang};
use crate::ipc::{self, IpcError};
use crate::panel::Panel;
use crate::state::AppState;
use crate::time;
use chart::Chart;

/// How often the panels are read again from the cache (the desktop polls the hub every 5 s).
const REFRESH: Duration = Duration::from_secs(5);
/// How often an open large chart asks for its range again.
const CHART_REFRESH: Duration = Duration::from_secs(60);

/// The vital signs' state, shared by the header's selector, the panels and the large chart.
#[derive(Clone, Copy)]
pub struct VitalsState {
    /// The panels as the shell last answered (None until the first answer).
    pub view: RwSignal<Option<Arc<VitalsView>>>,
    /// The scenario picked in the header (None: the wall's default).
    pub chosen: RwSignal<Option<String>>,
    /// The indicator whose large chart is open.
    pub open: RwSignal<Option<String>>,
    pub range: RwSignal<VitalRange>,
    /// Bumped when the window's size (the wall's scale) changes: the charts fit themselves again.
    pub resized: RwSignal<u64>,
    /// Asks for the panels again now.
    refresh: RwSignal<u64>,
}

impl VitalsState {
    /// Made once by the cockpit: provides the state and starts reading the panels.
    pub fn provide(app: AppState) -> VitalsState {
        let s = VitalsState {
            view: RwSignal::new(None),
            chosen: RwSignal::new(None),
            open: RwSignal::new(None),
            range: RwSignal::new(VitalRange::Day),
            resized: RwSignal::new(0),
            refresh: RwSignal::new(0),
        };
        provide_context(s);
        start(s, app);
        s
    }

    /// The panel of `id` in the current view.
    fn panel(&self, id: &str) -> Option<VitalPanel> {
        self.view
            .with(|v| v.as_ref()?.panels.iter().find(|p| p.indicator.id == id).cloned())
    }
}

/// Reads the panels now, every [`REFRESH`], when another scenario is picked and when the mode or the wartime
/// focus changes (wartime may show another scenario); one read at a time, a request during one reads again
/// after it.
fn start(s: VitalsState, app: AppState) {
    let busy = Rc::new(Cell::new(false));
    let again = Rc::new(Cell::new(false));
    let fetch: Rc<dyn Fn()> = Rc::new({
        let (busy, again) = (busy.clone(), again.clone());
        move || read(s, busy.clone(), again.clone())
    });
    fetch();
    {
        let fetch = fetch.clone();
        set_interval(move || fetch(), REFRESH);
    }
    {
        let fetch = fetch.clone();
        let focus = Memo::new(move |_| {
            app.snapshot.with(|snap| {
                snap.as_ref()
                    .map(|x| (x.mode.mode, x.mode.epoch, x.focus.as_ref().map(|f| f.incident.id)))
            })
        });
        Effect::new(move |prev: Option<()>| {
            s.chosen.track();
            s.refresh.track();
            focus.track();
            if prev.is_some() {
                fetch();
            }
        });
    }
    _ = window_event_listener(ev::resize, move |_| s.resized.update(|n| *n = n.wrapping_add(1)));
    // Esc closes the large chart (the cockpit's own Esc handling steps aside while a modal is open).
    _ = window_event_listener(ev::keydown, move |e| {
        if e.key() == "Escape" && s.open.with_untracked(Option::is_some) {
            s.open.set(None);
        }
    });
}

fn read(s: VitalsState, busy: Rc<Cell<bool>>, again: Rc<Cell<bool>>) {
    if busy.replace(true) {
        again.set(true);
        return;
    }
    spawn_local(async move {
        let chosen = s.chosen.get_untracked();
        match ipc::vitals(chosen.as_deref()).await {
            Ok(v) => {
                if s.view.with_untracked(|old| old.as_deref() != Some(&v)) {
                    s.view.set(Some(Arc::new(v)));
                }
            }
            Err(IpcError::NoShell(_)) => {}
            Err(e) => web_sys::console::warn_1(&format!("citydeck: vitals: {e}").into()),
        }
        busy.set(false);
        if again.replace(false) {
            read(s, busy, again);
        }
    });
}

/// The header's scenario selector: the packs in zh / en; disabled while wartime shows the triggering
/// indicator's scenario.
#[component]
pub fn ScenarioSelect() -> impl IntoView {
    let app = expect_context::<AppState>();
    let vs = expect_context::<VitalsState>();
    let lang = app.lang;
    let scenarios = Memo::new(move |_| {
        vs.view
            .with(|v| v.as_ref().map(|v| v.scenarios.clone()).unwrap_or_default())
    });
    let shown = move || {
        vs.view
            .with(|v| v.as_ref().map(|v| v.scenario.clone()).unwrap_or_default())
    };
    let wartime = move || {
        vs.view
            .with(|v| v.as_ref().is_some_and(|v| v.because == ScenarioChoice::Wartime))
    };
    let pick = move |ev: ev::Event| {
        let id = event_target_value(&ev);
        let default = vs
            .view
            .with_untracked(|v| v.as_ref().map(|v| v.default_scenario.clone()));
        vs.chosen.set(if Some(&id) == default.as_ref() {
            None
        } else {
            Some(id)
        });
    };
    view! {
        <Show when=move || !scenarios.with(Vec::is_empty)>
            <label
                class="scenario-pick"
                class=("wartime", wartime)
                title=move || {
                    if wartime() {
                        vital_strings(lang.get()).wartime_scenario
                    } else {
                        vital_strings(lang.get()).scenario
                    }
                }
            >
                <select
                    aria-label=move || vital_strings(lang.get()).scenario
                    id="scenario-select"
                    class="scenario-select"
                    data-scenario=shown
                    prop:value=shown
                    prop:disabled=wartime
                    on:change=pick
                >
                    {move || {
                        let l = lang.get();
                        let current = shown();
                        scenarios
                            .get()
                            .into_iter()
                            .map(|s| {
                                let selected = s.id == current;
                                view! {
                                    <option value=s.id.clone() selected=selected>
                                        {i18n::name_of(l, &s.name)}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
        </Show>
    }
}

/// The vital-sign tiles of the shown scenario, in a panel at the top of the right column.
#[component]
pub fn VitalsPanel() -> impl IntoView {
    let app = expect_context::<AppState>();
    let vs = expect_context::<VitalsState>();
    let lang = app.lang;
    // Only the tiles that fit: the trigger and the worst levels; the rest are counted below them.
    let tiles = Memo::new(move |_| {
        vs.view.with(|v| {
            v.as_ref()
                .map(|v| {
                    let limit = if v.because == ScenarioChoice::Wartime {
                        model::WARTIME_TILES
                    } else {
                        model::MAX_TILES
                    };
                    model::shown_tiles(&v.panels, v.trigger.as_deref(), limit)
                })
                .unwrap_or_default()
        })
    });
    let ids = Memo::new(move |_| tiles.with(|t| t.0.clone()));
    let total = move || vs.view.with(|v| v.as_ref().map_or(0, |v| v.panels.len()));
    let more =
        move || tiles.with(|(_, rest)| (!rest.is_empty()).then(|| i18n::vitals_more(lang.get(), rest)));
    let fetched_age = move || {
        let now = app.now_ms.get();
        vs.view
            .with(|v| v.as_ref()?.fetched_at.map(|t| time::age_secs(now, &t)))
    };
    let stale = move || vs.view.with(Option::is_some) && model::is_stale(fetched_age());
    let aside = move || {
        let l = lang.get();
        let name = vs.view.with(|v| {
            v.as_ref().and_then(|v| {
                v.scenarios
                    .iter()
                    .find(|s| s.id == v.scenario)
                    .map(|s| i18n::name_of(l, &s.name))
                    .or_else(|| Some(v.scenario.clone()))
            })
        });
        let mut name = name.unwrap_or_default();
        if vs
            .view
            .with(|v| v.as_ref().is_some_and(|v| v.because == ScenarioChoice::Wartime))
        {
            name = format!("{} · {name}", vital_strings(l).wartime_short);
        }
        match fetched_age() {
            Some(age) if stale() => format!("{name} · {}", i18n::vitals_cached(l, age)),
            None if vs.view.with(Option::is_some) => {
                format!("{name} · {}", vital_strings(l).offline)
            }
            _ => name,
        }
    };
    let attr =
        move |f: fn(&VitalsView) -> String| move || vs.view.with(|v| v.as_deref().map(f).unwrap_or_default());
    view! {
        <Panel
            title=Signal::derive(move || vital_strings(lang.get()).panel)
            class="panel-vitals"
            aside=Signal::derive(aside)
        >
            <div
                class="vitals-grid"
                id="vitals"
                class=("stale", stale)
                data-scenario=attr(|v| v.scenario.clone())
                data-because=attr(|v| because_key(v.because).to_string())
                data-trigger=attr(|v| v.trigger.clone().unwrap_or_default())
                data-count=move || total().to_string()
                data-stale=move || stale().to_string()
                data-tiles=move || ids.with(Vec::len).to_string()
            >
                <Show when=move || ids.with(Vec::is_empty)>
                    <div class="vitals-empty">{move || vital_strings(lang.get()).no_indicators}</div>
                </Show>
                <For each=move || ids.get() key=|id| id.clone() let:id>
                    <VitalTile id=id />
                </For>
                {move || more().map(|m| view! {
                    <div class="vitals-more" data-hidden=move || (total() - ids.with(Vec::len)).to_string()>{m}</div>
                })}
            </div>
        </Panel>
    }
}

/// `default|chosen|wartime`: the group's `data-because`.
pub fn because_key(b: ScenarioChoice) -> &'static str {
    match b {
        ScenarioChoice::Default => "default",
        ScenarioChoice::Chosen => "chosen",
        ScenarioChoice::Wartime => "wartime",
    }
}

/// One indicator's tile; a click opens its large chart.
#[component]
fn VitalTile(id: String) -> impl IntoView {
    let app = expect_context::<AppState>();
    let vs = expect_context::<VitalsState>();
    let lang = app.lang;
    let panel = Memo::new({
        let id = id.clone();
        move |_| vs.panel(&id)
    });
    let level = move || panel.with(|p| p.as_ref().and_then(|p| p.indicator.latest).map(|l| l.level));
    let level_key = move || level().map(model::level_key).unwrap_or("none");
    let trend = Memo::new(move |_| {
        panel.with(|p| {
            let p = p.as_ref()?;
            let t = model::trend(&p.points, p.indicator.latest.as_ref(), &p.indicator.thresholds)?;
            Some((t, t.worse(p.indicator.direction)))
        })
    });
    let value = move || {
        panel.with(|p| {
            p.as_ref()
                .and_then(|p| p.indicator.latest)
                .map(|l| model::format_value(l.value))
        })
    };
    let raw_value = move || {
        panel
            .with(|p| {
                p.as_ref()
                    .and_then(|p| p.indicator.latest)
                    .map(|l| l.value.to_string())
            })
            .unwrap_or_default()
    };
    let age = Memo::new(move |_| {
        let now = app.now_ms.get();
        let secs = panel.with(|p| {
            p.as_ref()
                .and_then(|p| p.indicator.latest)
                .map(|l| time::age_secs(now, &l.at))
        });
        secs.map(|s| model::age_text(lang.get(), s))
    });
    let is_trigger = Memo::new({
        let id = id.clone();
        move |_| {
            vs.view
                .with(|v| v.as_ref().and_then(|v| v.trigger.as_deref()) == Some(id.as_str()))
        }
    });
    let stale = move || {
        let now = app.now_ms.get();
        model::is_stale(
            vs.view
                .with(|v| v.as_ref()?.fetched_at.map(|t| time::age_secs(now, &t))),
        )
    };
    let name = move || {
        panel.with(|p| {
            p.as_ref()
                .map(|p| i18n::name_of(lang.get(), &p.indicator.name))
                .unwrap_or_default()
        })
    };
    let unit = move || panel.with(|p| p.as_ref().map(|p| p.indicator.unit.clone()).unwrap_or_default());
    let direction = move || {
        panel.with(|p| match p.as_ref().map(|p| p.indicator.direction) {
            Some(IndicatorDirection::Below) => vital_strings(lang.get()).lower_worse,
            _ => vital_strings(lang.get()).higher_worse,
        })
    };
    let tooltip = move || format!("{} · {}", direction(), vital_strings(lang.get()).open_chart);
    let open = {
        let id = id.clone();
        move |_| {
            vs.range.set(VitalRange::Day);
            vs.open.set(Some(id.clone()));
        }
    };
    view! {
        <div
            class="vital"
            role="button"
            tabindex="0"
            data-indicator=id.clone()
            data-level=level_key
            data-value=raw_value
            data-trend=move || trend.get().map(|(t, _)| t.key()).unwrap_or("none")
            data-trigger=move || is_trigger.get().to_string()
            data-stale=move || stale().to_string()
            title=tooltip
            on:click=open
        >
            <div class="vital-head">
                <span class="vital-name">{name}</span>
                <Show when=move || is_trigger.get()>
                    <span class="vital-trigger">{move || vital_strings(lang.get()).trigger}</span>
                </Show>
                <span class="vital-badge">
                    {move || level().map(|l| i18n::vital_level_label(lang.get(), l)).unwrap_or_default()}
                </span>
            </div>
            <div class="vital-main">
                <span class="vital-num">
                    {move || value().unwrap_or_else(|| "—".into())}
                </span>
                <span class="vital-unit">{unit}</span>
                <span
                    class="vital-trend"
                    data-worse=move || trend.get().map(|(_, w)| w.to_string()).unwrap_or_default()
                    title=move || vital_strings(lang.get()).trend_hour
                >
                    {move || trend.get().map(|(t, _)| t.arrow()).unwrap_or("")}
                </span>
            </div>
            <Sparkline panel=panel />
            <div class="vital-foot">
                <span class="vital-age">
                    {move || age.get().unwrap_or_else(|| vital_strings(lang.get()).no_reading.to_string())}
                </span>
                <span class="vital-span">{move || vital_strings(lang.get()).last_day}</span>
            </div>
        </div>
    }
}

/// The tile's sparkline: an ECharts line over the last 24 h before the view's time, redrawn when the panel's
/// data, the language or the wall's size changes.
#[component]
fn Sparkline(panel: Memo<Option<VitalPanel>>) -> impl IntoView {
    let vs = expect_context::<VitalsState>();
    let host = NodeRef::<leptos::html::Div>::new();
    let chart = StoredValue::new_local(None::<Chart>);
    Effect::new(move |_| {
        let resized = vs.resized.get();
        let now_ms = vs
            .view
            .with(|v| v.as_ref().map(|v| time::epoch_ms(&v.generated_at)))
            .unwrap_or_else(time::now_ms);
        let Some(el) = host.get() else { return };
        let option = panel.with(|p| {
            p.as_ref()
                .map(|p| model::sparkline_option(&p.indicator, &p.points, now_ms, chart::rem_px()))
        });
        let Some(option) = option else { return };
        chart.update_value(|c| {
            if c.is_none() {
                *c = Chart::new(&el);
            }
            if let Some(c) = c.as_mut() {
                if resized > 0 {
                    c.resize();
                }
                c.set(&option);
            }
        });
    });
    let empty = move || panel.with(|p| p.as_ref().is_none_or(|p| p.points.is_empty()));
    let lang = expect_context::<AppState>().lang;
    view! {
        <div class="vital-spark" class=("empty", empty)>
            <div class="vital-spark-chart" node_ref=host></div>
            <Show when=empty>
                <span class="vital-spark-note">{move || vital_strings(lang.get()).none_today}</span>
            </Show>
        </div>
    }
}

/// What the large chart shows: loading, the series, or why not.
#[derive(Clone, Debug, PartialEq)]
enum ChartData {
    Loading,
    Ready(Arc<VitalSeries>),
    Failed(String),
}

/// The large chart of the indicator a tile opened: day / week / month from the hub (offline: the cached day,
/// said so), threshold bands and lines; closed by its button, a click beside it or Esc.
#[component]
pub fn VitalChartDialog() -> impl IntoView {
    let app = expect_context::<AppState>();
    let vs = expect_context::<VitalsState>();
    let lang = app.lang;
    let data = RwSignal::new(ChartData::Loading);
    let tick = RwSignal::new(0u64);
    set_interval(
        move || {
            if vs.open.with_untracked(Option::is_some) {
                tick.update(|n| *n = n.wrapping_add(1));
            }
        },
        CHART_REFRESH,
    );
    // Ask for the range whenever the indicator or the range changes (and every minute while open); an answer
    // for what is no longer asked is dropped.
    Effect::new(move |_| {
        tick.track();
        let (Some(id), range) = (vs.open.get(), vs.range.get()) else {
            return;
        };
        if !matches!(data.get_untracked(), ChartData::Ready(ref s) if s.indicator == id && s.range == range) {
            data.set(ChartData::Loading);
        }
        spawn_local(async move {
            let answer = ipc::vital_series(&id, range).await;
            if vs.open.get_untracked().as_deref() != Some(id.as_str()) || vs.range.get_untracked() != range {
                return;
            }
            data.set(match answer {
                Ok(s) => ChartData::Ready(Arc::new(s)),
                Err(e) => ChartData::Failed(e.to_string()),
            });
        });
    });
    let close = move || vs.open.set(None);
    let panel = Memo::new(move |_| vs.open.get().and_then(|id| vs.panel(&id)));
    let series = move || match data.get() {
        ChartData::Ready(s) => Some(s),
        _ => None,
    };
    let offline = move || series().is_some_and(|s| s.offline);
    let title = move || {
        panel.with(|p| {
            p.as_ref()
                .map(|p| {
                    format!(
                        "{} · {}",
                        i18n::name_of(lang.get(), &p.indicator.name),
                        p.indicator.unit
                    )
                })
                .unwrap_or_default()
        })
    };
    let current = move || {
        panel.with(|p| {
            let l = p.as_ref()?.indicator.latest?;
            Some((model::format_value(l.value), l.level))
        })
    };
    let note = move || {
        let l = lang.get();
        let now = app.now_ms.get();
        match data.get() {
            ChartData::Loading => vital_strings(l).loading.to_string(),
            ChartData::Failed(e) => e,
            ChartData::Ready(s) if s.offline => {
                let age = s.cached_at.map(|t| i18n::age_ago(l, time::age_secs(now, &t)));
                match age {
                    Some(a) => format!("{} · {a}", vital_strings(l).chart_offline),
                    None => vital_strings(l).chart_offline.to_string(),
                }
            }
            ChartData::Ready(s) if s.points.is_empty() => vital_strings(l).no_points.to_string(),
            ChartData::Ready(s) => i18n::vital_step(l, s.step),
        }
    };
    let range_label = move |r: VitalRange| {
        let s = vital_strings(lang.get());
        match r {
            VitalRange::Day => s.day,
            VitalRange::Week => s.week,
            VitalRange::Month => s.month,
        }
    };
    view! {
        <Show when=move || vs.open.with(Option::is_some)>
            <div class="modal-backdrop vital-backdrop" on:click=move |_| close()>
                <div
                    class="modal vital-dialog"
                    id="vital-chart"
                    role="dialog"
                    aria-modal="true"
                    data-indicator=move || vs.open.get().unwrap_or_default()
                    data-range=move || vs.range.get().as_str()
                    data-offline=move || offline().to_string()
                    data-points=move || series().map(|s| s.points.len()).unwrap_or(0).to_string()
                    data-level=move || current().map(|c| model::level_key(c.1)).unwrap_or("none")
                    on:click=|ev| ev.stop_propagation()
                >
                    <div class="modal-head vital-dialog-head">
                        <span class="modal-title">{title}</span>
                        <span class="vital-dialog-now">
                            {move || {
                                current()
                                    .map(|(v, level)| {
                                        format!(
                                            "{} {v} · {}",
                                            vital_strings(lang.get()).latest,
                                            i18n::vital_level_label(lang.get(), level),
                                        )
                                    })
                                    .unwrap_or_default()
                            }}
                        </span>
                        <button type="button" class="btn vital-close" on:click=move |_| close()>
                            {move || vital_strings(lang.get()).close}
                        </button>
                    </div>
                    <div class="vital-dialog-bar">
                        <div class="vital-ranges" role="group">
                            {VitalRange::ALL
                                .into_iter()
                                .map(|r| {
                                    view! {
                                        <button
                                            type="button"
                                            class="vital-range"
                                            class=("active", move || vs.range.get() == r)
                                            data-range=r.as_str()
                                            on:click=move |_| vs.range.set(r)
                                        >
                                            {move || range_label(r)}
                                        </button>
                                    }
                                })
                                .collect_view()}
                        </div>
                        <span class="vital-dialog-note" class=("offline", offline)>{note}</span>
                    </div>
                    <BigChart data=data panel=panel />
                </div>
            </div>
        </Show>
    }
}

#[component]
fn BigChart(data: RwSignal<ChartData>, panel: Memo<Option<VitalPanel>>) -> impl IntoView {
    let app = expect_context::<AppState>();
    let vs = expect_context::<VitalsState>();
    let host = NodeRef::<leptos::html::Div>::new();
    let chart = StoredValue::new_local(None::<Chart>);
    Effect::new(move |_| {
        let lang: Lang = app.lang.get();
        let resized = vs.resized.get();
        let Some(el) = host.get() else { return };
        let ChartData::Ready(s) = data.get() else { return };
        let option = panel.with(|p| {
            p.as_ref().map(|p| {
                model::chart_option(
                    lang,
                    &p.indicator,
                    &s.points,
                    time::epoch_ms(&s.from),
                    time::epoch_ms(&s.to),
                    chart::rem_px(),
                )
            })
        });
        let Some(option) = option else { return };
        chart.update_value(|c| {
            if c.is_none() {
                *c = Chart::new(&el);
            }
            if let Some(c) = c.as_mut() {
                if resized > 0 {
                    c.resize();
                }
                c.set(&option);
            }
        });
    });
    let level = move || {
        panel.with(|p| {
            p.as_ref()
                .and_then(|p| p.indicator.latest)
                .map(|l| model::level_key(l.level))
                .unwrap_or(model::level_key(IndicatorLevel::Normal))
        })
    };
    view! { <div class="vital-chart" data-level=level node_ref=host></div> }
}
