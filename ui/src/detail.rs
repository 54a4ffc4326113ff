//! The incident detail panel (`#incident-detail`), docked over the left column and the map's left edge (the map
//! moves over so every dot stays visible, and the feed on the right keeps its highlighted row).
//!
//! The panel shows the selected incident ([`AppState::selected`]: a feed row, a task card, a map dot) with this
//! desktop's pending actions on top (see [`crate::overlay`]): whatever is not confirmed by the hub yet carries a
//! "待同步" chip, the expected stage is marked on the closed-loop track. Operators, commanders, field staff and
//! admins act from here (acknowledge, next stage, assign, note); leaders read only. Every action goes to the
//! local outbox through `submit_action`, so all of it works offline. The report form is [`crate::report`].

use chrono::{DateTime, Utc};
use citydeck_domain::incident::allowed_next;
use citydeck_protocol::{Grade, Incident, IncidentClass, Op, Stage};
use leptos::prelude::*;
use uuid::Uuid;

use crate::closed_loop::{self, default_department, department_name};
use crate::css::{class_css, grade_css, stage_css};
use crate::i18n::{self, action_strings, loop_strings, Lang};
use crate::outbox::{self, words};
use crate::overlay::{self, incident_view, IncidentView};
use crate::state::AppState;
use crate::time;
use crate::widgets::{self, pending_chip, ActionButton, CloseButton, ErrorLine, TextArea, TextInput, Words};

/// Where a step of the closed-loop track stands: `done` (before the confirmed stage), `current` (confirmed),
/// `expected` (where a pending stage change takes it), `todo`.
pub fn step_state(step: Stage, confirmed: Option<Stage>, expected: Stage) -> &'static str {
    let idx = |s: Stage| Stage::ALL.iter().position(|x| *x == s).unwrap_or(0);
    match confirmed {
        Some(c) if step == c => "current",
        _ if step == expected && confirmed != Some(expected) => "expected",
        Some(c) if idx(step) < idx(c) => "done",
        _ => "todo",
    }
}

/// The selected incident with the pending overlay, and whether it has left the open incidents.
fn detail_memo(state: AppState) -> Memo<Option<(IncidentView, bool)>> {
    Memo::new(move |prev: Option<&Option<(IncidentView, bool)>>| {
        let id = state.selected.get()?;
        let pending = state.pending_entries();
        let found = state.snapshot.with(|s| {
            let s = s.as_deref()?;
            let me = s.me.as_ref().map(|m| m.username.as_str()).unwrap_or("");
            let confirmed = s
                .incidents
                .iter()
                .find(|i| i.id == id)
                .or_else(|| s.focus.as_ref().map(|f| &f.incident).filter(|i| i.id == id))
                .or_else(|| {
                    s.conflicts
                        .iter()
                        .filter_map(|c| c.current.as_ref())
                        .find(|i| i.id == id)
                });
            match confirmed {
                Some(c) => incident_view(Some(c), id, &pending, me),
                None => state
                    .looked_up
                    .with(|l| incident_view(l.as_ref().filter(|i| i.id == id), id, &pending, me)),
            }
        });
        match found {
            Some(v) => Some((v, false)),
            // Gone from the open list (closed, most likely): keep showing what was last known.
            None => prev
                .and_then(|p| p.clone())
                .filter(|(v, _)| v.incident.id == id)
                .map(|(v, _)| (v, true)),
        }
    })
}

#[component]
pub fn IncidentDetail() -> impl IntoView {
    let state = expect_context::<AppState>();
    // A selected incident the snapshot does not list (the map holds every open incident, the snapshot a
    // bounded newest-first list): read it from the cache, again on every snapshot so it stays current.
    Effect::new(move |_| {
        let Some(id) = state.selected.get() else {
            state.looked_up.set(None);
            return;
        };
        let listed = state.snapshot.with(|s| {
            s.as_ref().is_some_and(|s| {
                s.incidents.iter().any(|i| i.id == id)
                    || s.focus.as_ref().is_some_and(|f| f.incident.id == id)
            })
        });
        if listed {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(found) = crate::ipc::incident(id).await {
                if state.selected.get_untracked() == Some(id) {
                    state.looked_up.set(found);
                }
            }
        });
    });
    let view_memo = detail_memo(state);
    let open = move || view_memo.with(Option::is_some);

    view! {
        <Show when=open>
            <DetailPanel view_memo=view_memo />
        </Show>
    }
}

/// What the bottom of the detail panel offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PanelMode {
    /// The incident left the open list.
    Hidden,
    /// `verified`: the hub told this run who we are; otherwise the role is checked when the actions arrive.
    Act { verified: bool },
    /// A leader.
    ReadOnly,
}

#[component]
fn DetailPanel(view_memo: Memo<Option<(IncidentView, bool)>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let v = move || view_memo.get().map(|(v, _)| v);
    let gone = move || view_memo.with(|m| m.as_ref().is_some_and(|(_, g)| *g));
    let inc_field = move |f: fn(&IncidentView) -> String| move || v().map(|v| f(&v)).unwrap_or_default();

    let id_attr = inc_field(|v| v.incident.id.to_string());
    let stage_attr = move || {
        v().and_then(|v| v.confirmed_stage.map(|s| s.as_str().to_string()))
            .unwrap_or_default()
    };
    let expected_attr = inc_field(|v| v.incident.status.as_str().to_string());
    let grade = move || v().map(|v| v.incident.grade).unwrap_or(Grade::IV);
    let class = move || v().map(|v| v.incident.class).unwrap_or(IncidentClass::Accident);
    let pending_n = move || v().map(|v| v.pending_ops).unwrap_or(0);
    let unconfirmed = move || v().is_some_and(|v| v.unconfirmed());

    // Memoised, so a new snapshot does not rebuild the action form (and lose what is being typed).
    let panel_mode = Memo::new(move |_| {
        let me = state.me();
        if gone() {
            PanelMode::Hidden
        } else if overlay::may_update(me.as_ref()) {
            PanelMode::Act {
                verified: me.is_some(),
            }
        } else {
            PanelMode::ReadOnly
        }
    });

    view! {
        <aside
            class="detail"
            id="incident-detail"
            data-incident-id=id_attr
            data-stage=stage_attr
            data-expected-stage=expected_attr
            data-pending=move || pending_n().to_string()
            data-unconfirmed=move || if unconfirmed() { "true" } else { "false" }
            data-gone=move || if gone() { "true" } else { "false" }
            role="dialog"
            aria-label=move || action_strings(lang.get()).detail_title
        >
            <header class=move || format!("dt-head {}", grade_css(grade()))>
                <span class=move || format!("grade-badge {}", grade_css(grade()))>
                    {move || i18n::grade_short(lang.get(), grade())}
                </span>
                <h2 class="dt-title" title=inc_field(|v| v.incident.title.clone())>
                    {inc_field(|v| v.incident.title.clone())}
                </h2>
                <CloseButton id="detail-close" on_close=move || state.selected.set(None) />
            </header>
            <div class="dt-sub">
                <span class=move || format!("feed-class {}", class_css(class()))>
                    {move || i18n::class_label(lang.get(), class())}
                </span>
                <span class="dt-grade-name">{move || i18n::grade_name(lang.get(), grade())}</span>
                <Show when=unconfirmed>
                    <span class="pending-chip" id="detail-unconfirmed">{move || action_strings(lang.get()).unconfirmed}</span>
                </Show>
                <Show when=move || !unconfirmed() && pending_n() != 0>
                    <span class="pending-chip" id="detail-pending">
                        {move || format!("{} {}", action_strings(lang.get()).chip_pending, pending_n())}
                    </span>
                </Show>
                <span class="dt-id" title=id_attr>{inc_field(|v| words::short_id(v.incident.id))}</span>
            </div>
            <Show when=gone>
                <div class="dt-gone" id="detail-gone">{move || action_strings(lang.get()).gone}</div>
            </Show>
            <div class="dt-body">
                <StageTrack view_memo=view_memo />
                <AlertSection view_memo=view_memo />
                <SourcesSection view_memo=view_memo />
                <Facts view_memo=view_memo />
                <Notes view_memo=view_memo />
                <LocalActions view_memo=view_memo />
            </div>
            {move || match panel_mode.get() {
                PanelMode::Hidden => ().into_any(),
                PanelMode::Act { verified: true } => view! { <Actions view_memo=view_memo /> }.into_any(),
                PanelMode::Act { verified: false } => {
                    view! {
                        <div class="dt-unverified" id="detail-unverified">
                            {move || action_strings(lang.get()).not_signed_in}
                        </div>
                        <Actions view_memo=view_memo />
                    }
                        .into_any()
                }
                PanelMode::ReadOnly => {
                    view! {
                        <div class="dt-readonly" id="detail-readonly">
                            {move || action_strings(lang.get()).readonly}
                        </div>
                    }
                        .into_any()
                }
            }}
        </aside>
    }
}

/// 采集→识别→交办→处置→反馈→督办→结案 with the confirmed stage lit and the expected one marked pending.
#[component]
fn StageTrack(view_memo: Memo<Option<(IncidentView, bool)>>) -> impl IntoView {
    let lang = expect_context::<AppState>().lang;
    let stages = move || {
        view_memo.with(|m| {
            m.as_ref()
                .map(|(v, _)| (v.confirmed_stage, v.incident.status))
                .unwrap_or((None, Stage::Collected))
        })
    };
    view! {
        <ol class="dt-stages" id="detail-stages">
            {Stage::ALL
                .into_iter()
                .map(|st| {
                    let state_of = move || {
                        let (c, e) = stages();
                        step_state(st, c, e)
                    };
                    view! {
                        <li class=format!("dt-step {}", stage_css(st)) data-stage=st.as_str() data-state=state_of>
                            <span class="dt-step-dot"></span>
                            <span class="dt-step-name">{move || i18n::stage_label(lang.get(), st)}</span>
                            <Show when=move || state_of() == "expected">
                                <span class="dt-step-pending">{move || action_strings(lang.get()).chip_pending}</span>
                            </Show>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

#[component]
fn Facts(view_memo: Memo<Option<(IncidentView, bool)>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let facts = move || {
        let l = lang.get();
        let s = action_strings(l);
        let now = state.now_ms.get();
        let Some((v, _)) = view_memo.get() else {
            return ().into_any();
        };
        let i = &v.incident;
        let ls = loop_strings(l);
        let departments = state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.departments.clone()).unwrap_or_default());
        let dept_name = |id: &str| department_name(&departments, id, l);
        // The stage's deadline: time left, or the 督办 tag and how long over.
        let rung = closed_loop::rung_of(i);
        let due = closed_loop::due_of(i.stage_due_at.as_ref(), i.overdue, rung, now);
        let deadline = match (due, i.stage_due_at) {
            (Some(d), Some(at)) => format!("{} · {}", d.text(l), time::short_stamp(now, time::epoch_ms(&at))),
            (Some(_), None) => ls.tag_overdue.to_string(),
            (None, _) => ls.no_limit.to_string(),
        };
        let overdue = due.is_some_and(|d| d.overdue);
        let escalation = i.escalation.as_ref().filter(|e| e.rung >= 2).map(|e| {
            let to = e.department.as_deref().map(dept_name).or_else(|| {
                e.area_id.as_ref().map(|a| {
                    state
                        .areas
                        .with(|v| {
                            v.as_ref()
                                .and_then(|v| v.areas.iter().find(|x| &x.id == a))
                                .map(|x| crate::drill::area_name(x, l))
                        })
                        .unwrap_or_else(|| a.clone())
                })
            });
            (e.rung, i18n::escalated_to(l, to.as_deref(), e.rung))
        });
        let stamp = |t: &DateTime<Utc>| time::stamp_and_age(l, now, t);
        let pending_chip = |on: bool| on.then(|| pending_chip(l));
        let updated = if v.unconfirmed() {
            "—".to_string()
        } else {
            format!("{} · #{}", stamp(&i.updated_at), i.seq)
        };
        view! {
            <dl class="dt-facts" id="detail-facts">
                <dt>{s.f_location}</dt>
                <dd class="num" id="detail-location">
                    {format!("{:.5}°E, {:.5}°N", i.location.lon, i.location.lat)}
                </dd>
                <dt>{s.f_address}</dt>
                <dd id="detail-address">{i.address.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>{s.f_occurred}</dt>
                <dd class="num">{stamp(&i.occurred_at)}</dd>
                <dt>{s.f_created}</dt>
                <dd class="num">
                    {format!(
                        "{} · {}",
                        stamp(&i.created_at),
                        if i.created_by.is_empty() { s.this_desktop } else { &i.created_by },
                    )}
                </dd>
                <dt>{s.f_updated}</dt>
                <dd class="num">{updated}</dd>
                <dt>{s.f_assignee}</dt>
                <dd id="detail-assignee-value" data-pending=v.assignee_pending.to_string()>
                    <span>{widgets::assignee(l, i.assignee.as_deref())}</span>
                    {pending_chip(v.assignee_pending)}
                </dd>
                <dt>{ls.f_department}</dt>
                <dd id="detail-department" data-department=i.department.clone().unwrap_or_default()>
                    {i.department.as_deref().map(dept_name).unwrap_or_else(|| "—".into())}
                </dd>
                <dt>{ls.f_deadline}</dt>
                <dd
                    id="detail-deadline"
                    class="num"
                    class=("dt-overdue", overdue)
                    data-due=i.stage_due_at.map(|t| t.to_rfc3339()).unwrap_or_default()
                    data-overdue=overdue.to_string()
                >
                    {overdue.then(|| view! { <span class="due-tag">{ls.tag_overdue}</span> })}
                    <span>{deadline}</span>
                </dd>
                {escalation
                    .map(|(rung, text)| {
                        view! {
                            <dt>{ls.f_escalation}</dt>
                            <dd id="detail-escalation" class="dt-escalation" data-rung=rung.to_string()>{text}</dd>
                        }
                    })}
                {i.evaluation
                    .as_ref()
                    .map(|e| {
                        view! {
                            <dt>{ls.f_evaluation}</dt>
                            <dd id="detail-evaluation" data-rating=e.rating.to_string()>
                                {i18n::evaluation_text(l, e)}
                            </dd>
                        }
                    })}
                <dt>{s.f_acked}</dt>
                <dd id="detail-acked" data-pending=v.ack_pending.to_string()>
                    <span>{widgets::acknowledged(l, &i.acknowledged_by)}</span>
                    {pending_chip(v.ack_pending)}
                </dd>
                <dt>{i18n::cockpit_strings(l).source}</dt>
                <dd>{i.source.clone()}</dd>
                {i.description
                    .clone()
                    .filter(|d| d != &i.title)
                    .map(|d| {
                        view! {
                            <dt>{s.f_description}</dt>
                            <dd class="dt-desc">{d}</dd>
                        }
                    })}
            </dl>
        }
        .into_any()
    };
    view! { {facts} }
}

/// 预警信息: what the CAP alert that raised the incident says of itself — who issued it, how severe, urgent and
/// certain, until when, whether it was signed (never claimed verified: citydeck does not check signatures), its
/// headline in the other languages it was sent in, the updates applied and the cancellation. Nothing for an
/// incident from another source.
#[component]
fn AlertSection(view_memo: Memo<Option<(IncidentView, bool)>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let alert = Memo::new(move |_| {
        view_memo.with(|m| {
            m.as_ref()
                .and_then(|(v, _)| Some((v.incident.alert.clone()?, v.incident.grade)))
        })
    });
    move || {
        let (a, grade) = alert.get()?;
        let l = lang.get();
        let s = i18n::alert_strings(l);
        let now = state.now_ms.get();
        let stamp = |t: &DateTime<Utc>| time::stamp_and_age(l, now, t);
        let level = |label: &'static str, css: &'static str, value: String, id: &'static str| {
            view! {
                <div class=format!("dt-alert-level {css}") id=id>
                    <span class="dt-alert-level-k">{label}</span>
                    <span class="dt-alert-level-v">{value}</span>
                </div>
            }
        };
        let severity_css = match a.severity.as_str() {
            "Extreme" => "g1",
            "Severe" => "g2",
            "Moderate" => "g3",
            "Minor" => "g4",
            _ => "",
        };
        let agency = a.sender_name.clone().unwrap_or_else(|| a.alert.sender.clone());
        let sender_too = a.sender_name.is_some().then(|| a.alert.sender.clone());
        let expires = a.expires.map(|t| {
            let left = (time::epoch_ms(&t) - now) / 1000.0;
            let when = time::short_stamp(now, time::epoch_ms(&t));
            (left <= 0.0, when, i18n::alert_expires_in(l, left as i64))
        });
        let others: Vec<(String, String)> = a
            .texts
            .iter()
            .skip(1)
            .map(|t| {
                (
                    t.language.clone(),
                    t.headline.clone().unwrap_or_else(|| t.event.clone()),
                )
            })
            .collect();
        let (signed, sig_text, sig_hint) = if a.signed {
            ("true", s.signed, s.signed_hint)
        } else {
            ("false", s.unsigned, s.unsigned_hint)
        };
        Some(view! {
            <section
                class=format!("dt-section dt-alert {}", grade_css(grade))
                id="detail-alert"
                data-signed=signed
                data-cancelled=a.cancelled.is_some().to_string()
                data-severity=a.severity.clone()
            >
                <h3 class="dt-h">
                    {s.title}
                    <span class="dt-alert-sig" id="detail-alert-signature" data-signed=signed title=sig_hint>
                        {sig_text}
                    </span>
                </h3>
                {a.cancelled
                    .as_ref()
                    .map(|c| {
                        view! {
                            <div class="dt-alert-cancelled" id="detail-alert-cancelled">
                                <span class="dt-alert-cancelled-tag">{s.cancelled}</span>
                                <span class="num">{stamp(&c.at)}</span>
                                {c.note.clone().map(|n| view! { <span class="dt-alert-note">{n}</span> })}
                            </div>
                        }
                    })}
                <div class="dt-alert-levels">
                    {level(s.f_severity, severity_css, i18n::cap_severity(l, &a.severity), "detail-alert-severity")}
                    {level(s.f_urgency, "", i18n::cap_urgency(l, &a.urgency), "detail-alert-urgency")}
                    {level(s.f_certainty, "", i18n::cap_certainty(l, &a.certainty), "detail-alert-certainty")}
                </div>
                <dl class="dt-facts dt-alert-facts">
                    <dt>{s.f_agency}</dt>
                    <dd id="detail-alert-agency">
                        <span class="dt-alert-agency">{agency}</span>
                        {sender_too.map(|x| view! { <span class="dt-alert-sender">{x}</span> })}
                    </dd>
                    <dt>{s.f_identifier}</dt>
                    <dd class="dt-alert-id" id="detail-alert-identifier">{a.alert.identifier.clone()}</dd>
                    {expires
                        .map(|(past, when, left)| {
                            view! {
                                <dt>{s.f_expires}</dt>
                                <dd class="num" id="detail-alert-expires" data-expired=past.to_string()>
                                    <span>{when}</span>
                                    {if past {
                                        view! { <span class="dt-alert-expired">{s.expired}</span> }.into_any()
                                    } else {
                                        view! { <span class="dt-alert-left">{left}</span> }.into_any()
                                    }}
                                </dd>
                            }
                        })}
                    {(!others.is_empty())
                        .then(|| {
                            view! {
                                <dt>{s.other_languages}</dt>
                                <dd id="detail-alert-languages" class="dt-alert-langs">
                                    {others
                                        .into_iter()
                                        .map(|(lang_tag, headline)| {
                                            view! {
                                                <div class="dt-alert-lang" lang=lang_tag.clone()>
                                                    <span class="dt-alert-lang-tag">{lang_tag.clone()}</span>
                                                    <span>{headline}</span>
                                                </div>
                                            }
                                        })
                                        .collect_view()}
                                </dd>
                            }
                        })}
                    {(!a.updates.is_empty())
                        .then(|| {
                            view! {
                                <dt>{s.updates}</dt>
                                <dd id="detail-alert-updates" class="dt-alert-updates">
                                    {a
                                        .updates
                                        .iter()
                                        .map(|u| {
                                            view! {
                                                <div class="dt-alert-update">
                                                    <span class="dt-alert-id">{u.alert.identifier.clone()}</span>
                                                    <span class="num">{stamp(&u.at)}</span>
                                                    {u.note.clone().map(|n| view! { <span class="dt-alert-note">{n}</span> })}
                                                </div>
                                            }
                                        })
                                        .collect_view()}
                                </dd>
                            }
                        })}
                </dl>
            </section>
        })
    }
}

#[component]
fn Notes(view_memo: Memo<Option<(IncidentView, bool)>>) -> impl IntoView {
    let notes = move || {
        view_memo
            .with(|m| {
                m.as_ref().map(|(v, _)| {
                    let n = v.incident.notes.len();
                    let first_pending = n.saturating_sub(v.pending_notes);
                    v.incident
                        .notes
                        .iter()
                        .enumerate()
                        .map(|(k, note)| (note.clone(), k >= first_pending))
                        .collect::<Vec<_>>()
                })
            })
            .unwrap_or_default()
    };
    view! {
        <ListSection
            heading=|s| s.notes
            count=Signal::derive(move || notes().len())
            class="dt-notes"
            id="detail-notes"
            items=move |l, now| {
                let list = notes();
                if list.is_empty() {
                    return view! { <li class="dt-empty">{action_strings(l).no_notes}</li> }.into_any();
                }
                list.into_iter()
                    .rev()
                    .map(|(n, pending)| {
                        view! {
                            <li class="dt-note" data-pending=pending.to_string()>
                                <div class="dt-note-head">
                                    <span class="dt-note-by">
                                        {if n.by.is_empty() { action_strings(l).this_desktop.to_string() } else { n.by.clone() }}
                                    </span>
                                    <span class="dt-note-at num">{time::stamp_and_age(l, now, &n.at)}</span>
                                    {pending.then(|| pending_chip(l))}
                                </div>
                                {(!n.text.is_empty()).then(|| view! { <div class="dt-note-text">{n.text.clone()}</div> })}
                                {n.photo_ref
                                    .clone()
                                    .map(|p| {
                                        view! {
                                            <div class="dt-photo">
                                                <span class="dt-photo-icon" aria-hidden="true"></span>
                                                <span class="dt-photo-label">{action_strings(l).photo}</span>
                                                <span class="dt-photo-ref">{p}</span>
                                            </div>
                                        }
                                    })}
                            </li>
                        }
                    })
                    .collect_view()
                    .into_any()
            }
        />
    }
}

/// 来源 (issue 22): every report of the incident (the first its origin, 首报), its quality and who verified it;
/// 核实 and, on every report after the first, 拆出 (a second click confirms) for the roles that may.
#[component]
fn SourcesSection(view_memo: Memo<Option<(IncidentView, bool)>>) -> impl IntoView {
    use citydeck_domain::roles::{Action, Permission};
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    // The report whose 拆出 was clicked once (the second click sends it).
    let armed = RwSignal::new(None::<u32>);
    let data = Memo::new(move |_| {
        view_memo.with(|m| {
            m.as_ref().map(|(v, gone)| {
                let i = &v.incident;
                (i.id, i.reports.clone(), i.quality, i.verified.clone(), *gone)
            })
        })
    });
    // A fresh section for every incident.
    Effect::new(move |prev: Option<Option<Uuid>>| {
        let id = state.selected.get();
        if prev.is_some_and(|p| p != id) {
            armed.set(None);
            error.set(None);
        }
        id
    });
    // `None` (the hub has not said who we are): offered, and the hub checks the role.
    let may = Memo::new(move |_| state.me().is_none_or(|m| m.role.may(Action::Verify)));
    let verify = move |_| {
        let Some((id, ..)) = data.get_untracked() else {
            return;
        };
        outbox::submit(state, Op::Verify { incident_id: id }, busy, error, |_| {});
    };
    move || {
        let (id, reports, quality, verified, gone) = data.get()?;
        let l = lang.get();
        let s = i18n::source_strings(l);
        let now = state.now_ms.get();
        let acting = may.get() && !gone;
        let rows = reports
            .into_iter()
            .enumerate()
            .map(|(k, r)| {
                let k = k as u32;
                let split = (acting && k > 0).then(|| {
                    let click = move |_| {
                        if armed.get_untracked() != Some(k) {
                            armed.set(Some(k));
                            return;
                        }
                        armed.set(None);
                        let op = Op::SplitReport {
                            incident_id: id,
                            report: k,
                            new_incident_id: Uuid::now_v7(),
                        };
                        outbox::submit(state, op, busy, error, |_| {});
                    };
                    view! {
                        <button
                            type="button"
                            class="act-btn act-split"
                            class=("act-confirm", move || armed.get() == Some(k))
                            data-action="split"
                            data-report=k.to_string()
                            title=s.split_hint
                            disabled=move || busy.get()
                            on:click=click
                        >
                            {move || if armed.get() == Some(k) { s.split_confirm } else { s.split }}
                        </button>
                    }
                });
                view! {
                    <li class="dt-source-row" data-source=r.source.clone() data-report=k.to_string()>
                        {(k == 0).then(|| view! { <span class="dt-source-origin">{s.origin}</span> })}
                        <span class="dt-source-name">{r.source.clone()}</span>
                        {r.external_id.clone().map(|e| view! { <span class="dt-source-ext">{e}</span> })}
                        <span class="dt-source-age num" title=time::stamp_and_age(l, now, &r.received_at)>
                            {i18n::age_ago(l, time::age_secs(now, &r.received_at))}
                        </span>
                        <span class="quality-badge" data-quality=r.quality.as_str()>
                            {i18n::quality_label(l, r.quality)}
                        </span>
                        {split}
                    </li>
                }
            })
            .collect_view();
        let is_verified = verified.is_some();
        let by = verified.map(|v| {
            view! {
                <span class="dt-source-by" id="detail-verified-by" title=time::stamp_and_age(l, now, &v.at)>
                    {format!("{}：{}", s.verified_by, v.by)}
                </span>
            }
        });
        let verify_btn = (acting && !is_verified).then(|| {
            view! {
                <button
                    type="button"
                    class="act-btn act-verify"
                    data-action="verify"
                    title=s.verify_hint
                    disabled=move || busy.get()
                    on:click=verify
                >
                    {s.verify}
                </button>
            }
        });
        Some(view! {
            <section class="dt-section dt-sources" id="detail-sources" data-quality=quality.as_str()>
                <h3 class="dt-h">{s.title}</h3>
                <ul class="dt-sources-list" id="detail-sources-list">
                    {rows}
                </ul>
                <div class="dt-source-quality">
                    <span class="dt-act-label">{s.quality}</span>
                    <span class="quality-badge" id="detail-quality" data-quality=quality.as_str()>
                        {i18n::quality_label(l, quality)}
                    </span>
                    {by}
                    {verify_btn}
                </div>
                <ErrorLine error=error class="dt-error" id="detail-sources-error" />
            </section>
        })
    }
}

/// A section of the panel: its heading (`heading`, then the `count` when given) over the list
/// `<ul class={class} id={id}>`, whose items `items` draws in the language and at the clock's time.
#[component]
fn ListSection<V: IntoView + 'static>(
    heading: Words,
    #[prop(optional)] count: Option<Signal<usize>>,
    class: &'static str,
    id: &'static str,
    items: impl Fn(Lang, f64) -> V + Send + 'static,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    view! {
        <section class="dt-section">
            <h3 class="dt-h">
                {move || heading(action_strings(lang.get()))}
                {count.map(|n| view! { <span class="dt-h-n">{move || n.get()}</span> })}
            </h3>
            <ul class=class id=id>
                {move || items(lang.get(), state.now_ms.get())}
            </ul>
        </section>
    }
}

/// This desktop's open actions on the incident: pending ones and the hub's refusals.
#[component]
fn LocalActions(view_memo: Memo<Option<(IncidentView, bool)>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let entries = move || {
        let Some(id) = view_memo.with(|m| m.as_ref().map(|(v, _)| v.incident.id)) else {
            return Vec::new();
        };
        let mut out = state.pending_entries();
        state.snapshot.with(|s| {
            if let Some(s) = s.as_deref() {
                out.extend(
                    s.outbox_open
                        .iter()
                        .filter(|e| e.state == citydeck_protocol::ipc::OutboxState::Rejected)
                        .cloned(),
                );
            }
        });
        out.retain(|e| overlay::subject(&e.op) == Some(id));
        out
    };
    view! {
        <Show when=move || !entries().is_empty()>
            <ListSection
                heading=|s| s.local_ops
                class="dt-local"
                id="detail-local-ops"
                items=move |l, now| {
                    entries()
                        .into_iter()
                        .map(|e| {
                            let key = words::state_key(e.state);
                            view! {
                                <li class="dt-local-row" data-state=key data-op-id=e.op_id.to_string()>
                                    <span class="dt-local-what">{words::op_label(l, &e.op)}</span>
                                    <span class="dt-local-age num">
                                        {i18n::age_ago(l, time::age_secs(now, &e.created_at))}
                                    </span>
                                    <span class="ob-chip" data-state=key>{words::state_label(l, e.state)}</span>
                                    {e.reason.clone().map(|r| view! { <span class="dt-local-reason">{r}</span> })}
                                </li>
                            }
                        })
                        .collect_view()
                }
            />
        </Show>
    }
}

/// 确认 · 下一环节 · 交办 · 添加备注. Each goes to the outbox; refusals show under the buttons.
#[component]
fn Actions(view_memo: Memo<Option<(IncidentView, bool)>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<Op>);
    let assignee = RwSignal::new(String::new());
    // The department picked for 交办 (None: not touched, the default stands).
    let dept_choice = RwSignal::new(None::<String>);
    let note = RwSignal::new(String::new());
    let photo = RwSignal::new(String::new());
    // 评估反馈: the result and the rating (0: none) sent with the closing, or on their own for a closed case.
    let eval_result = RwSignal::new(citydeck_protocol::HandlingResult::Resolved);
    let eval_rating = RwSignal::new(0u8);

    // A fresh form for every incident.
    Effect::new(move |prev: Option<Option<Uuid>>| {
        let id = state.selected.get();
        if prev.is_some_and(|p| p != id) {
            assignee.set(String::new());
            dept_choice.set(None);
            note.set(String::new());
            photo.set(String::new());
            eval_rating.set(0);
            error.set(None);
            saved.set(None);
        }
        id
    });

    let current = move || view_memo.with(|m| m.as_ref().map(|(v, _)| v.incident.clone()));
    let me = move || state.me().map(|m| m.username).unwrap_or_default();
    /// What a sent action clears of the form (assignee, note, photo).
    type Clear = fn(RwSignal<String>, RwSignal<String>, RwSignal<String>);
    // The action `op` makes of the incident shown, to the outbox; `after` clears what it used of the form.
    let send = move |op: &dyn Fn(&Incident) -> Op, after: Clear| {
        let Some(op) = current().map(|i| op(&i)) else {
            return;
        };
        let shown = op.clone();
        outbox::submit(state, op, busy, error, move |_| {
            after(assignee, note, photo);
            saved.set(Some(shown));
        });
    };
    let keep = |_: RwSignal<String>, _: RwSignal<String>, _: RwSignal<String>| {};
    // What a form left blank is missing.
    let refuse = move |words: Words| error.set(Some(words(action_strings(lang.get_untracked())).to_string()));

    let acked = move || {
        let me = me();
        current().is_some_and(|i| i.acknowledged_by.contains(&me))
    };
    let ack = move |_| send(&|i| Op::Acknowledge { incident_id: i.id }, keep);
    let next = move || {
        current()
            .map(|i| allowed_next(i.status).to_vec())
            .unwrap_or_default()
    };
    let evaluate_op = move |i: &Incident| Op::Evaluate {
        incident_id: i.id,
        result: eval_result.get_untracked(),
        rating: eval_rating.get_untracked(),
        comment: None,
    };
    let close_and_evaluate = move || {
        let Some(i) = current() else {
            return;
        };
        let close = Op::ChangeStage {
            incident_id: i.id,
            from: Some(i.status),
            to: Stage::Closed,
        };
        let evaluation = evaluate_op(&i);
        outbox::submit(state, close.clone(), busy, error, move |_| {
            outbox::submit(state, evaluation.clone(), busy, error, move |_| {
                eval_rating.set(0);
                saved.set(Some(evaluation));
            });
        });
    };
    let can_close = move || next().contains(&Stage::Closed);
    let is_closed = move || current().is_some_and(|i| i.status == Stage::Closed);
    let stage_buttons = move || {
        let l = lang.get();
        let list = next();
        if list.is_empty() {
            return view! { <span class="dt-none">{action_strings(l).no_next}</span> }.into_any();
        }
        list.into_iter()
            .map(|to_stage| {
                let change = move |i: &Incident| Op::ChangeStage {
                    incident_id: i.id,
                    from: Some(i.status),
                    to: to_stage,
                };
                let click = move |_| {
                    if to_stage == Stage::Closed && eval_rating.get_untracked() > 0 {
                        // 结案 with its evaluation: the closing, then (queued on it) the evaluation
                        close_and_evaluate();
                    } else {
                        send(&change, keep)
                    }
                };
                view! {
                    <button
                        type="button"
                        class=format!("act-btn act-stage {}", stage_css(to_stage))
                        data-action="stage"
                        data-to=to_stage.as_str()
                        disabled=move || busy.get()
                        on:click=click
                    >
                        {i18n::stage_label(l, to_stage)}
                    </button>
                }
            })
            .collect_view()
            .into_any()
    };
    let departments = Memo::new(move |_| {
        state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.departments.clone()).unwrap_or_default())
    });
    // The incident's department when it has one, else the one 交办 routes its class to (domain's rule).
    let default_dept = move || {
        current()
            .and_then(|i| {
                i.department
                    .clone()
                    .or_else(|| departments.with(|d| default_department(d, i.class)))
            })
            .unwrap_or_default()
    };
    let picked_dept = move || dept_choice.get().unwrap_or_else(default_dept);
    let dept_options = move || {
        let l = lang.get();
        departments
            .get()
            .into_iter()
            .map(|d| {
                let id = d.id.clone();
                let selected = move || picked_dept() == id;
                view! {
                    <option value=d.id.clone() selected=selected>
                        {i18n::name_of(l, &d.name)}
                    </option>
                }
            })
            .collect_view()
    };
    let assign = move || {
        let who = assignee.get_untracked();
        if who.trim().is_empty() {
            return refuse(|s| s.err_assignee);
        }
        let department = Some(picked_dept()).filter(|d| !d.is_empty());
        let op = |i: &Incident| Op::Assign {
            incident_id: i.id,
            assignee: who.trim().to_string(),
            department: department.clone(),
        };
        send(&op, |a, _, _| a.set(String::new()));
    };
    let add_note = move || {
        let (text, p) = (note.get_untracked(), photo.get_untracked());
        if text.trim().is_empty() && p.trim().is_empty() {
            return refuse(|s| s.err_note);
        }
        let op = |i: &Incident| Op::AddNote {
            incident_id: i.id,
            text: text.trim().to_string(),
            photo_ref: Some(p.trim().to_string()).filter(|p| !p.is_empty()),
        };
        send(&op, |_, n, p| {
            n.set(String::new());
            p.set(String::new());
        });
    };

    view! {
        <section class="dt-actions" id="detail-actions">
            <div class="dt-act-row">
                <button
                    type="button"
                    class="act-btn act-ack"
                    class=("act-done", acked)
                    data-action="ack"
                    disabled=move || busy.get() || acked()
                    on:click=ack
                >
                    {move || if acked() { action_strings(lang.get()).acked } else { action_strings(lang.get()).ack }}
                </button>
                <span class="dt-act-label">{move || action_strings(lang.get()).next_stage}</span>
                <div class="dt-stage-btns" id="detail-next-stages">{stage_buttons}</div>
            </div>
            <Show when=move || can_close() || is_closed()>
                <div class="dt-act-row dt-eval-row" id="detail-evaluate">
                    <span class="dt-act-label">{move || loop_strings(lang.get()).eval_label}</span>
                    <select
                        id="evaluate-result"
                        class="dt-select"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some(r) = citydeck_protocol::HandlingResult::ALL.into_iter().find(|r| r.as_str() == v) {
                                eval_result.set(r);
                            }
                        }
                    >
                        {move || {
                            let l = lang.get();
                            citydeck_protocol::HandlingResult::ALL
                                .into_iter()
                                .map(|r| {
                                    view! {
                                        <option value=r.as_str() selected=move || eval_result.get() == r>
                                            {i18n::handling_result(l, r)}
                                        </option>
                                    }
                                })
                                .collect_view()
                        }}
                    </select>
                    <select
                        id="evaluate-rating"
                        class="dt-select"
                        title=move || loop_strings(lang.get()).eval_with_close
                        on:change=move |ev| eval_rating.set(event_target_value(&ev).parse().unwrap_or(0))
                    >
                        <option value="0" selected=move || eval_rating.get() == 0>
                            {move || loop_strings(lang.get()).eval_no_rating}
                        </option>
                        {(1..=5u8)
                            .map(|k| {
                                view! {
                                    <option value=k.to_string() selected=move || eval_rating.get() == k>
                                        {"★".repeat(usize::from(k))}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <Show when=is_closed>
                        <button
                            type="button"
                            class="act-btn"
                            data-action="evaluate"
                            disabled=move || busy.get() || eval_rating.get() == 0
                            on:click=move |_| send(&evaluate_op, keep)
                        >
                            {move || loop_strings(lang.get()).eval_submit}
                        </button>
                    </Show>
                </div>
            </Show>
            <Show when=move || departments.with(|d| !d.is_empty())>
                <div class="dt-act-row dt-dept-row">
                    <label class="dt-act-label" for="assign-department">
                        {move || loop_strings(lang.get()).assign_department}
                    </label>
                    <select
                        id="assign-department"
                        class="dt-select"
                        on:change=move |ev| dept_choice.set(Some(event_target_value(&ev)))
                    >
                        <option value="" selected=move || picked_dept().is_empty()>
                            {move || loop_strings(lang.get()).assign_no_department}
                        </option>
                        {dept_options}
                    </select>
                </div>
            </Show>
            <div class="dt-act-row">
                <TextInput
                    id="assignee-text"
                    value=assignee
                    maxlength="64"
                    placeholder=|s| s.assign_placeholder
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            assign();
                        }
                    }
                />
                <ActionButton class="act-btn" action="assign" busy=busy label=|s| s.assign on_click=assign />
            </div>
            <div class="dt-act-note">
                <TextArea id="note-text" value=note rows="2" maxlength="2000" placeholder=|s| s.note_placeholder />
                <div class="dt-act-row">
                    <TextInput id="note-photo" value=photo maxlength="200" placeholder=|s| s.photo_placeholder />
                    <ActionButton class="act-btn" action="note" busy=busy label=|s| s.add_note on_click=add_note />
                </div>
            </div>
            <div class="dt-feedback" aria-live="polite">
                <ErrorLine error=error class="dt-error" id="detail-error" />
                <Show when=move || error.with(Option::is_none) && saved.with(Option::is_some)>
                    <div class="dt-saved" id="detail-saved">
                        {move || {
                            let l = lang.get();
                            saved
                                .get()
                                .map(|op| format!("{}：{}", action_strings(l).saved, words::op_label(l, &op)))
                                .unwrap_or_default()
                        }}
                    </div>
                </Show>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_track_lights_the_confirmed_stage_and_marks_the_expected_one() {
        use Stage::*;
        let states: Vec<&str> = Stage::ALL
            .iter()
            .map(|s| step_state(*s, Some(Handling), Feedback))
            .collect();
        assert_eq!(
            states,
            vec!["done", "done", "done", "current", "expected", "todo", "todo"]
        );
        assert_eq!(step_state(Handling, Some(Handling), Handling), "current");
        // Created here, unconfirmed: only the expected first stage.
        assert_eq!(step_state(Collected, None, Collected), "expected");
        assert_eq!(step_state(Identified, None, Collected), "todo");
    }
}
