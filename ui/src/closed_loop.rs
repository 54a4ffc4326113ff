//! The closed loop's clock and departments in the cockpit (issue 24):
//! - [`DueChip`]: the time left to an incident's stage deadline (`剩余 04:12`), ticking with the clock, and once
//!   past it the red 督办 tag with how long over (and the rung when escalated) — on feed rows and task cards;
//! - [`SupervisionPanel`] (督办): the open overdue incidents, the most escalated then the longest overdue first (the
//!   snapshot's order); a row selects its incident;
//! - [`BacklogPanel`]: each department's open incidents, overdue and escalated, as a compact table.
//!
//! The departments are the snapshot's (the hub's list as the desktop cached it, so offline too); the pure helpers
//! here also serve the detail panel's department selector and facts. Every clock is [`AppState::now_ms`].

use chrono::{DateTime, Utc};
use citydeck_domain::departments::{for_class, Department};
use citydeck_protocol::closed_loop::DepartmentView;
use citydeck_protocol::{Incident, IncidentClass};
use leptos::prelude::*;
use uuid::Uuid;

use crate::css::{grade_css, stage_css};
use crate::i18n::{self, loop_strings, Lang};
use crate::panel::Panel;
use crate::state::AppState;
use crate::time;

/// Under this many seconds left a countdown turns amber.
pub const DUE_SOON_S: i64 = 60;

// ───────────────────────── pure helpers ─────────────────────────

/// Whole seconds from `now_ms` to `due` (negative once past it).
pub fn secs_left(now_ms: f64, due: &DateTime<Utc>) -> i64 {
    ((time::epoch_ms(due) - now_ms) / 1000.0).ceil() as i64
}

/// "04:12" under an hour, "1:04:12" from an hour on (the sign dropped).
pub fn clock(secs: i64) -> String {
    let s = secs.unsigned_abs();
    if s < 3600 {
        format!("{:02}:{:02}", s / 60, s % 60)
    } else {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// Where an incident stands against its stage's deadline at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    /// Seconds left (negative: past); None when the hub marked it overdue without a deadline known here.
    pub left_s: Option<i64>,
    /// Past its deadline: the hub's mark (督办), or the clock here already past it.
    pub overdue: bool,
    /// The escalation rung (0: not escalated; 2 and up: escalated).
    pub rung: u32,
}

impl Due {
    /// `ok` | `soon` | `overdue`: the `data-state` of a countdown.
    pub fn state(&self) -> &'static str {
        match self.left_s {
            _ if self.overdue => "overdue",
            Some(s) if s < DUE_SOON_S => "soon",
            _ => "ok",
        }
    }

    /// "剩余 04:12" / "超时 01:05" (or the 督办 tag alone when no deadline is known).
    pub fn text(&self, lang: Lang) -> String {
        match self.left_s {
            Some(s) if self.overdue => i18n::due_over(lang, &clock(s.min(0))),
            Some(s) => i18n::due_left(lang, &clock(s)),
            None => String::new(),
        }
    }
}

/// The incident's standing at `now_ms`: None when its stage has no deadline (or it is closed) and it is not
/// overdue.
pub fn due_of(due: Option<&DateTime<Utc>>, overdue: bool, rung: u32, now_ms: f64) -> Option<Due> {
    if due.is_none() && !overdue {
        return None;
    }
    let left_s = due.map(|d| secs_left(now_ms, d));
    Some(Due {
        left_s,
        overdue: overdue || left_s.is_some_and(|s| s < 0),
        rung,
    })
}

/// The escalation rung of an incident (0: none).
pub fn rung_of(i: &Incident) -> u32 {
    i.escalation.as_ref().map_or(0, |e| e.rung)
}

/// A department's name in `lang`; an id the list does not hold is shown as it is.
pub fn department_name(list: &[DepartmentView], id: &str, lang: Lang) -> String {
    list.iter()
        .find(|d| d.id == id)
        .map(|d| i18n::name_of(lang, &d.name))
        .unwrap_or_else(|| id.to_string())
}

/// The department 交办 routes an incident of `class` to by default: `domain`'s rule (the deepest department
/// declaring the class) over the hub's list.
pub fn default_department(list: &[DepartmentView], class: IncidentClass) -> Option<String> {
    let tree: Vec<Department> = list
        .iter()
        .map(|d| Department {
            id: d.id.clone(),
            zh: d.name.zh.clone(),
            en: d.name.en.clone(),
            parent: d.parent.clone(),
            kinds: d.kinds.clone(),
            teams: Vec::new(),
        })
        .collect();
    for_class(&tree, class).map(|d| d.id.clone())
}

// ───────────────────────── components ─────────────────────────

/// The countdown to a stage deadline, or the red 督办 tag once past it; nothing when the stage has no limit.
/// `data-due` (RFC 3339), `data-overdue`, `data-state` and `data-rung` are for the tests.
#[component]
pub fn DueChip(due: Option<DateTime<Utc>>, overdue: bool, rung: u32) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let now = move || due_of(due.as_ref(), overdue, rung, state.now_ms.get());
    let shown = move || now().is_some();
    // The words change once a second at most; the chip's layout only when they do.
    let text = Memo::new(move |_| now().map(|d| d.text(lang.get())).unwrap_or_default());
    let st = Memo::new(move |_| now().map(|d| d.state()).unwrap_or("ok"));
    let due_attr = due
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    view! {
        <Show when=shown>
            <span
                class="due-chip"
                data-due=due_attr.clone()
                data-state=move || st.get()
                data-overdue=move || if st.get() == "overdue" { "true" } else { "false" }
                data-rung=rung.to_string()
            >
                <Show when=move || st.get() == "overdue">
                    <span class="due-tag">
                        {move || {
                            let l = lang.get();
                            if rung >= 2 {
                                format!("{} · {}", loop_strings(l).tag_overdue, i18n::rung_short(l, rung))
                            } else {
                                loop_strings(l).tag_overdue.to_string()
                            }
                        }}
                    </span>
                </Show>
                <span class="due-time num">{move || text.get()}</span>
            </span>
        </Show>
    }
}

/// Under the map, in both modes: the 督办 list beside the departments' backlog.
#[component]
pub fn LoopStrip() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    // the side of the strip: the departments' backlog, or 考核榜
    let scores = RwSignal::new(false);
    let tab = move |on: bool, label: fn(&i18n::LoopStrings) -> &'static str, id: &'static str| {
        view! {
            <button
                type="button"
                id=id
                class="loop-tab"
                class=("loop-tab--on", move || scores.get() == on)
                on:click=move |_| scores.set(on)
            >
                {move || label(loop_strings(lang.get()))}
            </button>
        }
    };
    view! {
        <section class="loop-strip" id="loop-strip">
            <SupervisionPanel />
            <div class="loop-side" data-tab=move || if scores.get() { "scores" } else { "backlog" }>
                <div class="loop-tabs">
                    {tab(false, |s| s.tab_backlog, "loop-tab-backlog")}
                    {tab(true, |s| s.tab_scores, "loop-tab-scores")}
                </div>
                <Show when=move || scores.get() fallback=|| view! { <BacklogPanel /> }>
                    <ScoreboardPanel />
                </Show>
            </div>
        </section>
    }
}

/// 考核榜 rows: the departments with work in the window, best on-time rate first (none closed last), then the
/// most closed.
pub fn score_rows(
    e: &citydeck_protocol::closed_loop::Evaluation,
) -> Vec<citydeck_protocol::closed_loop::DepartmentScore> {
    let mut rows: Vec<_> = e
        .departments
        .iter()
        .filter(|d| d.assigned + d.closed + d.overdue > 0)
        .cloned()
        .collect();
    rows.sort_by(|a, b| {
        let rate = |d: &citydeck_protocol::closed_loop::DepartmentScore| d.on_time_rate.unwrap_or(-1.0);
        rate(b).total_cmp(&rate(a)).then(b.closed.cmp(&a.closed))
    });
    rows
}

/// 考核榜: each department's scores over the last day (`GET /api/v1/evaluation` through the shell), read on
/// mount and every minute.
#[component]
pub fn ScoreboardPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let view_sig = RwSignal::new(None::<citydeck_protocol::ipc::EvaluationView>);
    let read = move || {
        leptos::task::spawn_local(async move {
            if let Ok(v) = crate::ipc::evaluation().await {
                view_sig.set(Some(v));
            }
        })
    };
    read();
    let handle = set_interval_with_handle(read, std::time::Duration::from_secs(60)).ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
    let aside = move || {
        view_sig.with(|v| match v {
            Some(v) if v.offline => loop_strings(lang.get()).scores_offline.to_string(),
            _ => String::new(),
        })
    };
    let name = move |id: &str, l: Lang| {
        state
            .snapshot
            .with(|s| department_name(s.as_ref().map(|s| s.departments.as_slice()).unwrap_or(&[]), id, l))
    };
    view! {
        <Panel
            title=Signal::derive(move || loop_strings(lang.get()).panel_scores)
            class="panel-backlog panel-scores"
            aside=Signal::derive(aside)
        >
            <table class="backlog scoreboard" id="scoreboard">
                <thead>
                    <tr>
                        <th class="bl-name">{move || loop_strings(lang.get()).col_department}</th>
                        <th class="bl-num">{move || loop_strings(lang.get()).col_assigned}</th>
                        <th class="bl-num">{move || loop_strings(lang.get()).col_closed}</th>
                        <th class="bl-num">{move || loop_strings(lang.get()).col_on_time}</th>
                        <th class="bl-num">{move || loop_strings(lang.get()).col_overdue}</th>
                        <th class="bl-num">{move || loop_strings(lang.get()).col_reopened}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let l = lang.get();
                        let rows = view_sig.with(|v| {
                            v.as_ref().and_then(|v| v.evaluation.as_ref()).map(score_rows).unwrap_or_default()
                        });
                        if rows.is_empty() {
                            return view! {
                                <tr class="bl-empty">
                                    <td colspan="6">{loop_strings(l).scores_empty}</td>
                                </tr>
                            }
                                .into_any();
                        }
                        rows.into_iter()
                            .map(|d| {
                                let label = name(&d.id, l);
                                let tip = label.clone();
                                let rate = d
                                    .on_time_rate
                                    .map(|r| format!("{:.0}%", r * 100.0))
                                    .unwrap_or_else(|| "—".into());
                                view! {
                                    <tr
                                        class="bl-row"
                                        class=("bl-row--overdue", d.overdue > 0)
                                        data-department=d.id.clone()
                                        data-closed=d.closed.to_string()
                                        data-on-time=d.closed_on_time.to_string()
                                    >
                                        <td class="bl-name" title=tip>{label}</td>
                                        <td class="bl-num num">{d.assigned}</td>
                                        <td class="bl-num num">{d.closed}</td>
                                        <td class="bl-num num">{rate}</td>
                                        <td class="bl-num num bl-over" class=("zero", d.overdue == 0)>{d.overdue}</td>
                                        <td class="bl-num num" class=("zero", d.reopened == 0)>{d.reopened}</td>
                                    </tr>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </tbody>
            </table>
        </Panel>
    }
}

/// One row of the 督办 list.
#[derive(Clone, Debug, PartialEq)]
struct OverdueRow {
    id: Uuid,
    seq: u64,
    incident: Incident,
}

/// 督办: the overdue incidents of the area shown, most escalated then longest overdue first.
#[component]
pub fn SupervisionPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let rows = Memo::new(move |_| {
        state.snapshot.with(|s| {
            s.as_ref()
                .map(|s| {
                    s.overdue
                        .iter()
                        .map(|i| OverdueRow {
                            id: i.id,
                            seq: i.seq,
                            incident: i.clone(),
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let n = move || rows.with(Vec::len);
    let aside = Signal::derive(move || match lang.get() {
        Lang::Zh => format!("{} 件", n()),
        Lang::En => n().to_string(),
    });
    view! {
        <Panel
            title=Signal::derive(move || loop_strings(lang.get()).panel_supervision)
            class="panel-supervision"
            aside=aside
        >
            <ul class="sup-list" id="supervision-list" data-count=move || n().to_string()>
                <Show when=move || n() == 0>
                    <li class="sup-empty">{move || loop_strings(lang.get()).supervision_empty}</li>
                </Show>
                <For each=move || rows.get() key=|r| (r.id, r.seq) let:r>
                    <SupervisionRow i=r.incident />
                </For>
            </ul>
        </Panel>
    }
}

#[component]
fn SupervisionRow(i: Incident) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let id = i.id;
    let rung = rung_of(&i);
    let (grade, stage) = (i.grade, i.status);
    let due = i.stage_due_at;
    let department = i.department.clone();
    // escalated: who answers for it now
    let answering = i
        .escalation
        .as_ref()
        .and_then(|e| e.department.clone())
        .filter(|d| Some(d) != i.department.as_ref());
    let selected = move || state.selected.get() == Some(id);
    let dept = move || {
        let l = lang.get();
        let name = |d: &str| {
            state
                .snapshot
                .with(|s| department_name(s.as_ref().map(|s| s.departments.as_slice()).unwrap_or(&[]), d, l))
        };
        let own = department
            .as_deref()
            .map(name)
            .unwrap_or_else(|| loop_strings(l).no_department.to_string());
        match answering.as_deref() {
            Some(up) => format!("{own} → {}", name(up)),
            None => own,
        }
    };
    let over = Memo::new(move |_| {
        due.map(|d| clock(secs_left(state.now_ms.get(), &d).min(0)))
            .map(|c| i18n::due_over(lang.get(), &c))
            .unwrap_or_default()
    });
    view! {
        <li
            class=format!("sup-row {}", grade_css(grade))
            class=("sup-row--escalated", rung >= 2)
            class=("sup-row--selected", selected)
            data-incident-id=id.to_string()
            data-rung=rung.to_string()
            data-overdue="true"
            data-stage=stage.as_str()
            title=i.title.clone()
            role="button"
            tabindex="0"
            on:click=move |_| state.selected.set(Some(id))
            on:keydown=move |ev| {
                if ev.key() == "Enter" {
                    state.selected.set(Some(id));
                }
            }
        >
            <span class=format!("grade-badge {}", grade_css(grade))>{move || i18n::grade_short(lang.get(), grade)}</span>
            <span class="sup-title">{i.title.clone()}</span>
            <span class=format!("stage-chip {}", stage_css(stage))>{move || i18n::stage_label(lang.get(), stage)}</span>
            <span class="sup-dept">{dept}</span>
            <span class="sup-over num">{move || over.get()}</span>
            <span class="sup-rung" class=("zero", rung < 2)>
                {move || if rung >= 2 { i18n::rung_short(lang.get(), rung) } else { String::new() }}
            </span>
        </li>
    }
}

/// Each department's open incidents (its backlog): open, overdue, escalated.
#[component]
pub fn BacklogPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let rows = Memo::new(move |_| {
        state.snapshot.with(|s| {
            s.as_ref()
                .map(|s| {
                    s.backlog
                        .iter()
                        .map(|b| (b.department.clone(), b.open, b.overdue, b.escalated))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let name = move |d: &Option<String>, l: Lang| match d {
        Some(id) => state
            .snapshot
            .with(|s| department_name(s.as_ref().map(|s| s.departments.as_slice()).unwrap_or(&[]), id, l)),
        None => loop_strings(l).no_department.to_string(),
    };
    view! {
        <Panel title=Signal::derive(move || loop_strings(lang.get()).panel_backlog) class="panel-backlog">
            <table class="backlog" id="backlog-table">
                <thead>
                    <tr>
                        <th class="bl-name">{move || loop_strings(lang.get()).col_department}</th>
                        <th class="bl-num">{move || loop_strings(lang.get()).col_open}</th>
                        <th class="bl-num">{move || loop_strings(lang.get()).col_overdue}</th>
                        <th class="bl-num">{move || loop_strings(lang.get()).col_escalated}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let l = lang.get();
                        let list = rows.get();
                        if list.is_empty() {
                            return view! {
                                <tr class="bl-empty">
                                    <td colspan="4">{loop_strings(l).backlog_empty}</td>
                                </tr>
                            }
                                .into_any();
                        }
                        list.into_iter()
                            .map(|(d, open, overdue, escalated)| {
                                let label = name(&d, l);
                                let tip = label.clone();
                                view! {
                                    <tr
                                        class="bl-row"
                                        class=("bl-row--overdue", overdue > 0)
                                        data-department=d.clone().unwrap_or_default()
                                        data-open=open.to_string()
                                        data-overdue=overdue.to_string()
                                    >
                                        <td class="bl-name" title=tip>{label}</td>
                                        <td class="bl-num num">{open}</td>
                                        <td class="bl-num num bl-over" class=("zero", overdue == 0)>{overdue}</td>
                                        <td class="bl-num num bl-esc" class=("zero", escalated == 0)>{escalated}</td>
                                    </tr>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </tbody>
            </table>
        </Panel>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scoreboard_lists_departments_with_work_best_on_time_first() {
        let d = |id: &str, assigned: u64, closed: u64, rate: Option<f64>| {
            citydeck_protocol::closed_loop::DepartmentScore {
                id: id.into(),
                assigned,
                closed,
                closed_on_time: 0,
                on_time_rate: rate,
                overdue: 0,
                reopened: 0,
                median_minutes: Default::default(),
            }
        };
        let e = citydeck_protocol::closed_loop::Evaluation {
            from: chrono::Utc::now(),
            to: chrono::Utc::now(),
            departments: vec![
                d("command", 0, 0, None),
                d("fire", 9, 8, Some(0.5)),
                d("police", 3, 0, None),
                d("health", 4, 4, Some(1.0)),
                d("emergency", 5, 2, Some(0.5)),
            ],
        };
        let ids: Vec<String> = score_rows(&e).into_iter().map(|d| d.id).collect();
        assert_eq!(ids, ["health", "fire", "emergency", "police"]);
    }

    use super::*;
    use citydeck_protocol::indicators::LocalizedName;

    fn dept(id: &str, parent: Option<&str>, kinds: &[IncidentClass]) -> DepartmentView {
        DepartmentView {
            id: id.into(),
            name: LocalizedName {
                zh: format!("{id}局"),
                en: format!("{id} bureau"),
            },
            parent: parent.map(str::to_owned),
            kinds: kinds.to_vec(),
        }
    }

    #[test]
    fn the_default_department_is_the_deepest_declaring_the_class() {
        use IncidentClass::*;
        let list = vec![
            dept("command", None, &[]),
            dept("emergency", Some("command"), &[NaturalDisaster, Accident]),
            dept("fire", Some("emergency"), &[Accident]),
            dept("police", Some("command"), &[SocialSecurity]),
        ];
        assert_eq!(default_department(&list, Accident).as_deref(), Some("fire"));
        assert_eq!(
            default_department(&list, NaturalDisaster).as_deref(),
            Some("emergency")
        );
        assert_eq!(default_department(&list, PublicHealth), None);
        assert_eq!(default_department(&[], Accident), None);
        assert_eq!(department_name(&list, "fire", Lang::Zh), "fire局");
        assert_eq!(department_name(&list, "fire", Lang::En), "fire bureau");
        assert_eq!(
            department_name(&list, "zoo", Lang::Zh),
            "zoo",
            "unknown ids are shown as they are"
        );
    }

    #[test]
    fn a_countdown_runs_to_its_deadline_then_counts_the_time_over() {
        let due: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        let at = |s: i64| time::epoch_ms(&due) + s as f64 * 1000.0;
        let d = due_of(Some(&due), false, 0, at(-252)).unwrap();
        assert_eq!((d.left_s, d.overdue, d.state()), (Some(252), false, "ok"));
        assert_eq!(d.text(Lang::Zh), "剩余 04:12");
        assert_eq!(due_of(Some(&due), false, 0, at(-30)).unwrap().state(), "soon");
        // past it: overdue here before the hub's mark arrives
        let past = due_of(Some(&due), false, 0, at(65)).unwrap();
        assert_eq!((past.overdue, past.state()), (true, "overdue"));
        assert_eq!(past.text(Lang::Zh), "超时 01:05");
        assert_eq!(past.text(Lang::En), "01:05 over");
        // the hub's mark stands even when the clock here is behind
        assert!(due_of(Some(&due), true, 2, at(-5)).unwrap().overdue);
        assert_eq!(due_of(None, false, 0, at(0)), None, "no limit: nothing shown");
        assert_eq!(due_of(None, true, 0, at(0)).unwrap().text(Lang::Zh), "");
        assert_eq!(clock(3725), "1:02:05");
    }
}
