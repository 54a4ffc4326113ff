//! 平战转换 from the cockpit: the switch button, the confirmation dialog that shows the consequences before
//! anything happens, and the banner of level-I proposals waiting for a second commander.
//!
//! The UI only previews the rules (`citydeck_domain::check_transition`) so a commander sees a refusal before
//! sending; the hub decides. Switching needs the link: the hub is the authority, an offline screen cannot switch.

use std::cmp::Reverse;

use citydeck_domain::{check_transition, deadlines, Action, CityMode, Permission, Transition};
use citydeck_protocol::ipc::{SwitchModeRequest, SwitchOutcome};
use citydeck_protocol::{Grade, Incident, ModeKind, ModeState};
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::css::grade_css;
use crate::i18n::{self, Lang};
use crate::state::AppState;

/// The dialog's target: peacetime or a wartime level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Peacetime,
    Level(Grade),
}

impl Target {
    fn key(self) -> &'static str {
        match self {
            Target::Peacetime => "peacetime",
            Target::Level(g) => g.as_str(),
        }
    }
    fn mode(self) -> ModeKind {
        match self {
            Target::Peacetime => ModeKind::Peacetime,
            Target::Level(_) => ModeKind::Wartime,
        }
    }
    fn level(self) -> Option<Grade> {
        match self {
            Target::Peacetime => None,
            Target::Level(g) => Some(g),
        }
    }
}

fn city_mode(m: &ModeState) -> CityMode {
    match (m.mode, m.level) {
        (ModeKind::Wartime, Some(g)) => CityMode::Wartime(g),
        _ => CityMode::Peacetime,
    }
}

/// The rule check the hub will apply, in the UI's words.
pub fn preview(current: &ModeState, target: Target, reason: &str) -> Result<Transition, String> {
    let mode = match target.mode() {
        ModeKind::Peacetime => "peacetime",
        ModeKind::Wartime => "wartime",
    };
    check_transition(
        city_mode(current),
        mode,
        target.level().map(|g| g.as_str()),
        reason,
    )
    .map_err(|e| e.to_string())
}

fn minutes_text(lang: Lang, m: u32) -> String {
    match (lang, m) {
        (Lang::Zh, m) if m >= 60 && m % 60 == 0 => format!("{} 小时", m / 60),
        (Lang::Zh, m) => format!("{m} 分钟"),
        (Lang::En, m) if m >= 60 && m % 60 == 0 => format!("{} h", m / 60),
        (Lang::En, m) => format!("{m} min"),
    }
}

fn deadline_label(lang: Lang, id: &str) -> &'static str {
    match (lang, id) {
        (Lang::Zh, "first_report") => "首报",
        (Lang::Zh, "written_report") => "书面报告",
        (Lang::Zh, "command_post") => "现场指挥部开设",
        (Lang::Zh, "follow_up") => "续报",
        (Lang::Zh, "info_release") => "权威信息发布",
        (Lang::Zh, "press_conference") => "新闻发布会",
        (Lang::En, "first_report") => "first report",
        (Lang::En, "written_report") => "written report",
        (Lang::En, "command_post") => "on-site command post",
        (Lang::En, "follow_up") => "follow-up reports",
        (Lang::En, "info_release") => "official public information",
        (Lang::En, "press_conference") => "press conference",
        _ => "",
    }
}

/// What the switch will do, one line each: shown in the dialog before the commander confirms.
pub fn consequences(
    lang: Lang,
    current: &ModeState,
    t: Transition,
    confirm_window_s: u32,
    me: &str,
) -> Vec<String> {
    let zh = lang == Lang::Zh;
    let lvl = |g: Grade| i18n::grade_short(lang, g);
    let mut out = Vec::new();
    let from = current.level;
    out.push(match (t, from) {
        (Transition::Raise { to }, None) => {
            if zh {
                format!("启动战时 {}响应（{}）", lvl(to), i18n::grade_name(lang, to))
            } else {
                format!(
                    "Go to wartime, level {} response ({})",
                    lvl(to),
                    i18n::grade_name(lang, to)
                )
            }
        }
        (Transition::Raise { to }, Some(f)) if zh => format!("响应升级：{} → {}", lvl(f), lvl(to)),
        (Transition::Raise { to }, Some(f)) => format!("Raise the response: {} → {}", lvl(f), lvl(to)),
        (Transition::Lower { to }, Some(f)) if zh => format!("响应降级：{} → {}", lvl(f), lvl(to)),
        (Transition::Lower { to }, f) => {
            format!("Lower the response: {} → {}", f.map(lvl).unwrap_or("-"), lvl(to))
        }
        (Transition::StandDown, _) if zh => "解除战时状态，回到平时".to_string(),
        (Transition::StandDown, _) => "Stand down: back to peacetime".to_string(),
    });
    let screens = current.screens.len();
    out.push(match (t, zh) {
        (Transition::StandDown, true) => {
            format!("全部 {screens} 块屏幕回到城市总览，并须逐一确认；战时时限计时停止")
        }
        (Transition::StandDown, false) => format!(
            "All {screens} screens return to the city overview and must acknowledge; response clocks stop"
        ),
        (_, true) => format!("全部 {screens} 块屏幕切换为战时布局（事件聚焦、时限倒计时、任务看板），并须逐一确认"),
        (_, false) => format!(
            "All {screens} screens switch to the wartime layout (incident focus, countdowns, task board) and must acknowledge"
        ),
    });
    if let CityMode::Wartime(level) = t.target() {
        let list = deadlines(level)
            .iter()
            .map(|d| {
                let every = d.repeat_min.is_some();
                match (zh, every) {
                    (true, false) => {
                        format!("{} {}", deadline_label(lang, d.id), minutes_text(lang, d.due_min))
                    }
                    (true, true) => format!(
                        "{} 每 {}",
                        deadline_label(lang, d.id),
                        minutes_text(lang, d.due_min)
                    ),
                    (false, false) => {
                        format!("{} {}", deadline_label(lang, d.id), minutes_text(lang, d.due_min))
                    }
                    (false, true) => format!(
                        "{} every {}",
                        deadline_label(lang, d.id),
                        minutes_text(lang, d.due_min)
                    ),
                }
            })
            .collect::<Vec<_>>()
            .join(if zh { "、" } else { ", " });
        out.push(if zh {
            format!("响应时限自生效起计时：{list}")
        } else {
            format!("Response clocks start when it takes effect: {list}")
        });
    }
    if t.needs_confirmation() {
        let mins = confirm_window_s.div_ceil(60);
        out.push(if zh {
            format!("Ⅰ级须另一名指挥长在 {mins} 分钟内确认后才生效（双人规则）")
        } else {
            format!("Level I takes effect only when a second commander confirms within {mins} min (two-person rule)")
        });
    }
    out.push(if zh {
        format!("本次操作记入审计：操作人 {me}、时间、理由、结果")
    } else {
        format!("Audited: {me}, time, reason and outcome")
    });
    out
}

/// The hub's default time for the second commander (see `citydeck_hub::DEFAULT_CONFIRM_WINDOW`).
const CONFIRM_WINDOW_S: u32 = 120;

/// Whether this window may switch, and if not, why (shown as the disabled button's tooltip).
fn may_switch(state: &AppState) -> Result<(), String> {
    let lang = state.lang.get();
    let zh = lang == Lang::Zh;
    let role = state
        .snapshot
        .with(|s| s.as_ref().and_then(|s| s.me.as_ref().map(|m| m.role)));
    match role {
        None => {
            return Err(if zh {
                "尚未登录指挥中心".into()
            } else {
                "not signed in to the hub yet".into()
            })
        }
        Some(r) if !r.may(Action::SwitchMode) => {
            return Err(if zh {
                format!("仅指挥长可切换（当前角色：{}）", role_zh(r))
            } else {
                format!("only commanders may switch (your role: {})", r.as_str())
            })
        }
        Some(_) => {}
    }
    if state.connection_key() != "online" {
        return Err(if zh {
            "未连接指挥中心：平战转换以中心为准，恢复连接后再切换".into()
        } else {
            "not connected: the hub decides the mode; switch once the link is back".into()
        });
    }
    Ok(())
}

fn role_zh(r: citydeck_protocol::Role) -> &'static str {
    crate::i18n::role_label(crate::i18n::Lang::Zh, r)
}

/// Open/closed state of the dialog, shared by the header button and the dialog.
#[derive(Clone, Copy)]
pub struct SwitchUi {
    pub open: RwSignal<bool>,
    /// A short note after a switch ("已生效" / "待确认"), cleared after a while.
    pub notice: RwSignal<Option<String>>,
}

impl SwitchUi {
    pub fn provide() -> SwitchUi {
        let ui = SwitchUi {
            open: RwSignal::new(false),
            notice: RwSignal::new(None),
        };
        provide_context(ui);
        ui
    }
}

/// "平战转换" in the header: opens the dialog; disabled (with the reason as tooltip) for roles that may not
/// switch and while offline.
#[component]
pub fn SwitchButton() -> impl IntoView {
    let state = expect_context::<AppState>();
    let ui = expect_context::<SwitchUi>();
    let allowed = move || may_switch(&state);
    view! {
        <button
            type="button"
            id="mode-switch-button"
            class="switch-btn"
            disabled=move || allowed().is_err()
            title=move || allowed().err().unwrap_or_default()
            on:click=move |_| ui.open.set(true)
        >
            <span class="switch-btn-icon">"⇄"</span>
            <span>{move || if state.lang.get() == Lang::Zh { "平战转换" } else { "Switch mode" }}</span>
        </button>
    }
}

/// The incidents offered as triggers: open, most severe first, then newest.
fn trigger_candidates(incidents: &[Incident]) -> Vec<Incident> {
    let mut v: Vec<Incident> = incidents.to_vec();
    v.sort_by_key(|i| (Reverse(i.grade), Reverse(i.created_at)));
    v.truncate(8);
    v
}

/// The confirmation dialog: target, reason, triggering incidents, consequences, then one deliberate click.
#[component]
pub fn SwitchDialog() -> impl IntoView {
    let state = expect_context::<AppState>();
    let ui = expect_context::<SwitchUi>();
    let lang = state.lang;
    let target = RwSignal::new(None::<Target>);
    let reason = RwSignal::new(String::new());
    let triggers = RwSignal::new(Vec::<Uuid>::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);

    // The mode record alone: the options, the rule check and the consequences are redrawn when the mode changes,
    // not on every snapshot (several a second in a storm, while the commander is picking).
    let current = Memo::new(move |_| {
        state.snapshot.with(|s| {
            s.as_ref()
                .map(|s| s.mode.clone())
                .unwrap_or_else(ModeState::initial)
        })
    });
    let me = move || {
        state.snapshot.with(|s| {
            s.as_ref()
                .and_then(|s| s.me.as_ref().map(|m| m.username.clone()))
                .unwrap_or_default()
        })
    };
    // Fresh form each time it opens; the default target is the next sensible step. Only opening resets it: the
    // mode is read untracked, so a mode change or a snapshot landing while the commander fills the form in (several a second in
    // a storm) does not wipe the reason being typed or the target and incidents picked.
    Effect::new(move |_| {
        if ui.open.get() {
            let cur = current.get_untracked();
            target.set(Some(match cur.level {
                None => Target::Level(Grade::III),
                Some(_) => Target::Peacetime,
            }));
            reason.set(String::new());
            triggers.set(cur.incident_ids.clone());
            error.set(None);
            busy.set(false);
        }
    });
    let check = move || target.get().map(|t| preview(&current.get(), t, &reason.get()));
    let close = move || {
        if !busy.get_untracked() {
            ui.open.set(false);
        }
    };
    let submit = move || {
        let Some(t) = target.get_untracked() else { return };
        if busy.get_untracked() {
            return;
        }
        if let Err(e) = preview(&current.get(), t, &reason.get_untracked()) {
            error.set(Some(e));
            return;
        }
        let req = SwitchModeRequest {
            mode: t.mode(),
            level: t.level(),
            reason: reason.get_untracked().trim().to_string(),
            incident_ids: triggers.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = crate::ipc::switch_mode(&req).await;
            busy.set(false);
            let zh = lang.get_untracked() == Lang::Zh;
            match result {
                Ok(SwitchOutcome::Applied { mode }) => {
                    ui.notice.set(Some(if zh {
                        format!("已生效：第 {} 次切换", mode.epoch)
                    } else {
                        format!("Applied: switch #{}", mode.epoch)
                    }));
                    ui.open.set(false);
                }
                Ok(SwitchOutcome::PendingConfirmation { .. }) => {
                    ui.notice.set(Some(if zh {
                        "已提交：等待另一名指挥长确认".to_string()
                    } else {
                        "Proposed: waiting for a second commander".to_string()
                    }));
                    ui.open.set(false);
                }
                Err(e) => error.set(Some(crate::reasons::ipc_error(
                    if zh { Lang::Zh } else { Lang::En },
                    &e,
                ))),
            }
        });
    };

    let target_buttons = move || {
        let cur = current.get();
        let zh = lang.get() == Lang::Zh;
        [
            Target::Peacetime,
            Target::Level(Grade::IV),
            Target::Level(Grade::III),
            Target::Level(Grade::II),
            Target::Level(Grade::I),
        ]
        .into_iter()
        .map(|t| {
            let is_current = match t {
                Target::Peacetime => cur.level.is_none(),
                Target::Level(g) => cur.level == Some(g),
            };
            let label = match (t, zh) {
                (Target::Peacetime, true) => "平时".to_string(),
                (Target::Peacetime, false) => "Peacetime".to_string(),
                (Target::Level(g), true) => format!("{}响应", i18n::grade_short(Lang::Zh, g)),
                (Target::Level(g), false) => format!("Level {}", i18n::grade_short(Lang::En, g)),
            };
            let sub = match t {
                Target::Peacetime => if zh { "日常运行" } else { "daily operation" }.to_string(),
                Target::Level(g) => i18n::grade_name(lang.get(), g).to_string(),
            };
            let css = match t {
                Target::Peacetime => "peace",
                Target::Level(g) => grade_css(g),
            };
            view! {
                <button
                    type="button"
                    class=format!("target-opt {css}")
                    class:selected=move || target.get() == Some(t)
                    data-target=t.key()
                    disabled=is_current
                    on:click=move |_| target.set(Some(t))
                >
                    <span class="target-label">{label}</span>
                    <span class="target-sub">
                        {if is_current { if zh { "当前".to_string() } else { "current".to_string() } } else { sub }}
                    </span>
                </button>
            }
        })
        .collect_view()
    };

    let trigger_list = move || {
        let candidates = state.snapshot.with(|s| {
            s.as_ref()
                .map(|s| trigger_candidates(&s.incidents))
                .unwrap_or_default()
        });
        let l = lang.get();
        candidates
            .into_iter()
            .map(|i| {
                let id = i.id;
                let checked = move || triggers.with(|t| t.contains(&id));
                view! {
                    <label class="trigger-opt" data-incident-id=id.to_string()>
                        <input
                            type="checkbox"
                            prop:checked=checked
                            on:change=move |_| {
                                triggers.update(|t| {
                                    if let Some(p) = t.iter().position(|x| *x == id) {
                                        t.remove(p);
                                    } else {
                                        t.push(id);
                                    }
                                })
                            }
                        />
                        <span class=format!("grade-chip {}", grade_css(i.grade))>
                            {i18n::grade_short(l, i.grade)}
                        </span>
                        <span class="trigger-title">{i.title.clone()}</span>
                    </label>
                }
            })
            .collect_view()
    };

    let consequence_lines = move || match (target.get(), check()) {
        (Some(_), Some(Ok(tr))) => consequences(lang.get(), &current.get(), tr, CONFIRM_WINDOW_S, &me())
            .into_iter()
            .map(|line| view! { <li>{line}</li> })
            .collect_view()
            .into_any(),
        _ => ().into_any(),
    };
    let rule_error = move || match check() {
        // An empty reason is the normal state of a fresh form: say what is needed, not that it is wrong.
        Some(Err(_)) if reason.with(|r| r.trim().is_empty()) => Some(
            if lang.get() == Lang::Zh {
                "请填写切换理由（必填，将记入审计）"
            } else {
                "Give the reason (required, audited)"
            }
            .to_string(),
        ),
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let wartime_target = move || matches!(target.get(), Some(Target::Level(_)));
    let submit_label = move || {
        let zh = lang.get() == Lang::Zh;
        match (busy.get(), target.get(), zh) {
            (true, _, true) => "提交中…",
            (true, _, false) => "Sending…",
            (false, Some(Target::Level(Grade::I)), true) => "提交Ⅰ级（待第二人确认）",
            (false, Some(Target::Level(Grade::I)), false) => "Propose level I (needs 2nd commander)",
            (false, _, true) => "确认切换",
            (false, _, false) => "Switch now",
        }
    };

    view! {
        <Show when=move || ui.open.get()>
            <div class="modal-backdrop" on:click=move |_| close()>
                <div
                    class="modal switch-dialog"
                    id="mode-dialog"
                    role="dialog"
                    aria-modal="true"
                    on:click=|ev| ev.stop_propagation()
                >
                    <div class="modal-head">
                        <span class="modal-title">
                            {move || if lang.get() == Lang::Zh { "平战转换" } else { "Peacetime / wartime switch" }}
                        </span>
                        <span class="modal-current">
                            {move || {
                                let cur = current.get();
                                let zh = lang.get() == Lang::Zh;
                                match (cur.level, zh) {
                                    (None, true) => "当前：平时".to_string(),
                                    (None, false) => "Now: peacetime".to_string(),
                                    (Some(g), true) => format!("当前：战时 {}响应", i18n::grade_short(Lang::Zh, g)),
                                    (Some(g), false) => format!("Now: wartime, level {}", i18n::grade_short(Lang::En, g)),
                                }
                            }}
                        </span>
                    </div>
                    <div class="modal-section">
                        <div class="modal-label">{move || if lang.get() == Lang::Zh { "切换到" } else { "Switch to" }}</div>
                        <div class="target-row">{target_buttons}</div>
                    </div>
                    <div class="modal-section">
                        <label class="modal-label" for="switch-reason">
                            {move || if lang.get() == Lang::Zh { "理由（必填）" } else { "Reason (required)" }}
                        </label>
                        <textarea
                            id="switch-reason"
                            rows="2"
                            maxlength="1000"
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))
                            placeholder=move || if lang.get() == Lang::Zh { "例如：地铁站火灾，多人被困，启动Ⅱ级响应" } else { "e.g. metro station fire, people trapped" }
                        ></textarea>
                    </div>
                    <Show when=wartime_target>
                        <div class="modal-section">
                            <div class="modal-label">
                                {move || if lang.get() == Lang::Zh { "触发事件（地图将聚焦第一个）" } else { "Triggering incidents (the map focuses the first)" }}
                            </div>
                            <div class="trigger-list">{trigger_list}</div>
                        </div>
                    </Show>
                    <div class="modal-section consequences" id="switch-consequences">
                        <div class="modal-label">{move || if lang.get() == Lang::Zh { "切换后果" } else { "What happens" }}</div>
                        <ul>{consequence_lines}</ul>
                    </div>
                    <div class="modal-error" id="switch-error" role="alert">
                        {move || error.get().or_else(rule_error)}
                    </div>
                    <div class="modal-actions">
                        <button type="button" id="switch-cancel" class="btn" on:click=move |_| close()>
                            {move || if lang.get() == Lang::Zh { "取消" } else { "Cancel" }}
                        </button>
                        <button
                            type="button"
                            id="switch-submit"
                            class="btn btn-danger"
                            class:btn-calm=move || !wartime_target()
                            disabled=move || busy.get() || !matches!(check(), Some(Ok(_)))
                            on:click=move |_| submit()
                        >
                            {submit_label}
                        </button>
                    </div>
                </div>
            </div>
        </Show>
    }
}

/// Level-I proposals waiting for a second commander, over the map on every screen. A commander other than
/// the proposer gets the confirm button; everyone sees the time left.
#[component]
pub fn ProposalBanner() -> impl IntoView {
    let state = expect_context::<AppState>();
    let ui = expect_context::<SwitchUi>();
    let lang = state.lang;
    let error = RwSignal::new(None::<(Uuid, String)>);
    let busy = RwSignal::new(None::<Uuid>);
    let rows = move || {
        let now = state.now_ms.get();
        let (proposals, me) = state.snapshot.with(|s| {
            s.as_ref()
                .map(|s| (s.proposals.clone(), s.me.clone()))
                .unwrap_or_default()
        });
        let online = state.connection_key() == "online";
        proposals
            .into_iter()
            .filter(|p| p.expires_at.timestamp_millis() as f64 > now)
            .map(|p| {
                let id = p.proposal_id;
                let left = ((p.expires_at.timestamp_millis() as f64 - now) / 1000.0).max(0.0) as u64;
                let zh = lang.get() == Lang::Zh;
                let level = p.level.map(|g| i18n::grade_short(lang.get(), g)).unwrap_or("-");
                let text = if zh {
                    format!("待确认：{} 提议启动 {}响应 —— {}", p.proposer, level, p.reason)
                } else {
                    format!(
                        "Awaiting confirmation: {} proposes level {} — {}",
                        p.proposer, level, p.reason
                    )
                };
                let can_confirm = me
                    .as_ref()
                    .is_some_and(|m| m.role.may(Action::SwitchMode) && m.username != p.proposer)
                    && online;
                let own = me.as_ref().is_some_and(|m| m.username == p.proposer);
                let confirm = move |_| {
                    if busy.get_untracked().is_some() {
                        return;
                    }
                    busy.set(Some(id));
                    error.set(None);
                    spawn_local(async move {
                        let r = crate::ipc::confirm_mode(id).await;
                        busy.set(None);
                        match r {
                            Ok(m) => ui.notice.set(Some(if lang.get_untracked() == Lang::Zh {
                                format!("已确认：第 {} 次切换生效", m.epoch)
                            } else {
                                format!("Confirmed: switch #{} in effect", m.epoch)
                            })),
                            Err(e) => {
                                error.set(Some((id, crate::reasons::ipc_error(lang.get_untracked(), &e))))
                            }
                        }
                    });
                };
                view! {
                    <div class="proposal-row" data-proposal-id=id.to_string()>
                        <span class="proposal-icon">"Ⅰ"</span>
                        <span class="proposal-text">{text}</span>
                        <span class="proposal-left">{format!("{}:{:02}", left / 60, left % 60)}</span>
                        {if can_confirm {
                            view! {
                                <button
                                    type="button"
                                    class="btn btn-danger proposal-confirm"
                                    disabled=move || busy.get().is_some()
                                    on:click=confirm
                                >
                                    {if zh { "确认启动Ⅰ级" } else { "Confirm level I" }}
                                </button>
                            }
                                .into_any()
                        } else {
                            let why = match (own, zh) {
                                (true, true) => "等待另一名指挥长确认",
                                (true, false) => "waiting for another commander",
                                (false, true) => "须另一名指挥长确认",
                                (false, false) => "needs a second commander",
                            };
                            view! { <span class="proposal-wait">{why}</span> }.into_any()
                        }}
                        <span class="proposal-error">
                            {move || error.get().filter(|(e, _)| *e == id).map(|(_, m)| m)}
                        </span>
                    </div>
                }
            })
            .collect_view()
    };
    view! { <div class="proposal-banner" id="proposal-banner">{rows}</div> }
}

/// A short note after a switch, e.g. "已生效：第 3 次切换"; fades after a few seconds.
#[component]
pub fn SwitchNotice() -> impl IntoView {
    let ui = expect_context::<SwitchUi>();
    Effect::new(move |_| {
        if ui.notice.get().is_some() {
            set_timeout(move || ui.notice.set(None), std::time::Duration::from_secs(6));
        }
    });
    view! {
        <Show when=move || ui.notice.with(Option::is_some)>
            <div class="switch-notice" id="switch-notice" role="status">
                {move || ui.notice.get()}
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wartime(level: Grade) -> ModeState {
        ModeState {
            mode: ModeKind::Wartime,
            level: Some(level),
            epoch: 3,
            screens: vec!["hall-wall-1".into(), "leader-office".into()],
            ..ModeState::initial()
        }
    }

    #[test]
    fn preview_applies_the_hub_rules() {
        let peace = ModeState::initial();
        assert!(
            preview(&peace, Target::Level(Grade::III), "").is_err(),
            "reason required"
        );
        assert!(
            preview(&peace, Target::Peacetime, "x").is_err(),
            "already peacetime"
        );
        assert_eq!(
            preview(&peace, Target::Level(Grade::II), "暴雨"),
            Ok(Transition::Raise { to: Grade::II })
        );
        assert_eq!(
            preview(&wartime(Grade::I), Target::Level(Grade::III), "受控"),
            Ok(Transition::Lower { to: Grade::III })
        );
        assert_eq!(
            preview(&wartime(Grade::III), Target::Peacetime, "结束"),
            Ok(Transition::StandDown)
        );
    }

    #[test]
    fn consequences_name_the_screens_the_deadlines_and_the_two_person_rule() {
        let cur = wartime(Grade::III);
        let c = consequences(
            Lang::Zh,
            &cur,
            Transition::Raise { to: Grade::I },
            120,
            "commander",
        );
        let all = c.join("\n");
        assert!(all.contains("响应升级：Ⅲ级 → Ⅰ级") || all.contains("→"), "{all}");
        assert!(all.contains("全部 2 块屏幕"), "{all}");
        assert!(all.contains("首报 30 分钟"), "{all}");
        assert!(all.contains("2 分钟内确认"), "{all}");
        assert!(all.contains("commander"), "{all}");
        let c = consequences(Lang::En, &cur, Transition::StandDown, 120, "commander").join("\n");
        assert!(c.contains("Stand down"), "{c}");
        assert!(!c.contains("two-person"), "{c}");
        assert!(!c.contains("Response clocks"), "{c}");
    }

    #[test]
    fn triggers_offered_most_severe_first() {
        let mk = |n: u64, g: Grade, title: &str| {
            citydeck_protocol::fixtures::incident(n)
                .grade(g)
                .title(title)
                .build()
        };
        let v = trigger_candidates(&[
            mk(1, Grade::IV, "a"),
            mk(2, Grade::I, "b"),
            mk(3, Grade::III, "c"),
        ]);
        let titles: Vec<&str> = v.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, ["b", "c", "a"]);
    }
}
