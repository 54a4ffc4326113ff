//! Cockpit state shared by all components (provided as context) and the refresh loop that fills it.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use citydeck_domain::drill::{self, Measure};
use citydeck_protocol::ipc::{AreasView, CockpitSnapshot, ConnectionState};
use citydeck_protocol::Op;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::i18n::Lang;
use crate::ipc::{self, IpcError};
use crate::overlay::{self, Carried};
use crate::time;

/// 平时 / 战时, from the snapshot's mode record; the header badge, the root `data-mode` attribute, the
/// `mode-wartime` CSS class and the wartime layout follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CockpitMode {
    #[default]
    Peacetime,
    Wartime,
}

impl CockpitMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CockpitMode::Peacetime => "peacetime",
            CockpitMode::Wartime => "wartime",
        }
    }
}

/// Minimum spacing of snapshot fetches triggered by change events (≤ 4 per second)...
const MIN_FETCH_SPACING_MS: f64 = 250.0;
/// ... and while changes stream in (a storm: every one of the last [`BUSY_AFTER`] fetches had the next change
/// waiting for it), ≤ 1 per second: the feed then moves once a second, which an operator can still read, and
/// the webview is not re-laying out and repainting its panels four times a second (on a wall painted in
/// software that starved the map: `cargo xtask bench map`). The map has its own, faster path (`map_delta`), and
/// this window's own actions show at once (the pending overlay, and their refresh keeps the short spacing).
const BUSY_FETCH_SPACING_MS: f64 = 1000.0;
const BUSY_AFTER: u32 = 4;
/// Fallback refresh when no event arrives.
const FALLBACK_REFRESH: Duration = Duration::from_secs(5);
/// Clock tick: ages and the data-age badge are computed against [`AppState::now_ms`].
const CLOCK_TICK: Duration = Duration::from_secs(1);

#[derive(Clone, Copy)]
pub struct AppState {
    /// Latest snapshot from the shell (None until the first one arrives).
    pub snapshot: RwSignal<Option<Arc<CockpitSnapshot>>>,
    /// Last IPC failure; cleared by the next successful fetch. The old snapshot stays on screen meanwhile.
    pub error: RwSignal<Option<IpcError>>,
    /// Wall clock (ms since the epoch), ticking every second.
    pub now_ms: RwSignal<f64>,
    pub lang: RwSignal<Lang>,
    /// Operating mode shown in the header. The wartime feature plugs in here.
    pub mode: RwSignal<CockpitMode>,
    /// The newest mode epoch the hub has recorded this screen as showing (None: not yet told; the first
    /// snapshot acknowledges even epoch 0, which registers this screen with the hub).
    pub acked_epoch: RwSignal<Option<u64>>,
    /// Incidents that appeared in the latest snapshot and were not in the one before (for the row highlight).
    pub fresh_ids: RwSignal<HashSet<Uuid>>,
    /// The incident shown in the detail panel (feed row, task card and map dot of it are highlighted).
    pub selected: RwSignal<Option<Uuid>>,
    /// The selected incident as read from the cache when the snapshot's bounded list does not hold it (a marker
    /// among thousands on the map).
    pub looked_up: RwSignal<Option<citydeck_protocol::Incident>>,
    /// The "report an incident" form is open.
    pub form_open: RwSignal<bool>,
    /// A point picked on the map while the form is open (lon, lat).
    pub picked: RwSignal<Option<(f64, f64)>>,
    /// The outbox drawer is open.
    pub drawer_open: RwSignal<bool>,
    /// Pending actions this window knows of that the latest snapshot does not list (just submitted, or just
    /// applied by the hub but not yet in the cache): kept in the pending overlay until the cache shows them.
    pub carried: RwSignal<Vec<Carried>>,
    /// Every incident title seen this session (outbox rows name incidents that left the open list).
    pub titles: RwSignal<HashMap<Uuid, String>>,
    /// Bumped to ask for a fresh snapshot now (after an action was submitted).
    pub refresh: RwSignal<u64>,
    /// What the map shows: west, south, east, north (None until the map has drawn once).
    pub view_bounds: RwSignal<Option<[f64; 4]>>,
    /// The city's areas and the account's scope, from the cache (None until the shell answered).
    pub areas: RwSignal<Option<Arc<AreasView>>>,
    /// The area the cockpit is drilled into (三级贯通; None: the whole city). Always where the account may be
    /// ([`citydeck_domain::drill::clamp`]): set it through [`AppState::drill_to`].
    pub drill: RwSignal<Option<String>>,
    /// What the map shades the areas by.
    pub measure: RwSignal<Measure>,
}

impl AppState {
    pub fn new() -> Self {
        AppState {
            snapshot: RwSignal::new(None),
            error: RwSignal::new(None),
            now_ms: RwSignal::new(time::now_ms()),
            lang: RwSignal::new(Lang::load()),
            mode: RwSignal::new(CockpitMode::Peacetime),
            acked_epoch: RwSignal::new(None),
            fresh_ids: RwSignal::new(HashSet::new()),
            selected: RwSignal::new(None),
            looked_up: RwSignal::new(None),
            form_open: RwSignal::new(false),
            picked: RwSignal::new(None),
            drawer_open: RwSignal::new(false),
            carried: RwSignal::new(Vec::new()),
            titles: RwSignal::new(HashMap::new()),
            refresh: RwSignal::new(0),
            view_bounds: RwSignal::new(None),
            areas: RwSignal::new(None),
            drill: RwSignal::new(None),
            measure: RwSignal::new(Measure::default()),
        }
    }

    /// Drill into `area` (None: the top this account may see), kept within the account's scope.
    pub fn drill_to(&self, area: Option<&str>) {
        let next = self.areas.with_untracked(|v| match v {
            Some(v) => drill::clamp(&v.areas, v.scope.as_deref(), area),
            None => area.map(str::to_string),
        });
        if self.drill.with_untracked(|d| *d != next) {
            self.drill.set(next);
        }
    }

    /// Fetch a snapshot as soon as the coalescing allows.
    pub fn request_refresh(&self) {
        self.refresh.update(|n| *n = n.wrapping_add(1));
    }

    /// Who this window is logged in as.
    pub fn me(&self) -> Option<citydeck_protocol::ipc::Me> {
        self.snapshot.with(|s| s.as_ref().and_then(|s| s.me.clone()))
    }

    /// Pending actions in queue order: the snapshot's plus the carried ones (the pending overlay's input).
    pub fn pending_entries(&self) -> Vec<citydeck_protocol::ipc::OutboxEntry> {
        self.carried.with(|c| {
            self.snapshot.with(|s| {
                s.as_deref()
                    .map(|s| overlay::pending_entries(s, c))
                    .unwrap_or_default()
            })
        })
    }

    /// Remember an action the shell just accepted, so the overlay shows it before the next snapshot.
    pub fn remember_submitted(&self, entry: citydeck_protocol::ipc::OutboxEntry) {
        if let Op::CreateIncident {
            incident_id: Some(id),
            incident,
        } = &entry.op
        {
            let (id, title) = (*id, incident.title.clone());
            self.titles.update(|t| {
                t.insert(id, title);
            });
        }
        let now = time::now_ms();
        self.carried.update(|c| {
            if !c.iter().any(|x| x.entry.op_id == entry.op_id) {
                c.push(Carried { entry, since_ms: now });
            }
        });
        self.request_refresh();
    }

    /// `online|reconnecting|offline|connecting` for the root `data-connection` attribute.
    pub fn connection_key(&self) -> &'static str {
        self.snapshot
            .with(|s| match s.as_deref().map(|s| &s.connection.state) {
                None | Some(ConnectionState::Connecting) => "connecting",
                Some(ConnectionState::Online) => "online",
                Some(ConnectionState::Reconnecting { .. }) => "reconnecting",
                Some(ConnectionState::Offline { .. }) => "offline",
            })
    }

    pub fn last_seq(&self) -> u64 {
        self.snapshot
            .with(|s| s.as_ref().map(|s| s.connection.last_seq).unwrap_or(0))
    }

    fn apply(&self, result: Result<CockpitSnapshot, IpcError>) {
        match result {
            Ok(snap) => {
                let fresh: HashSet<Uuid> = self.snapshot.with_untracked(|old| match old {
                    // The first snapshot is the baseline: nothing is "new" on start-up, nor in an area just
                    // drilled into.
                    Some(old) if old.area == snap.area => flash_worthy(&old.incidents, &snap.incidents),
                    _ => HashSet::new(),
                });
                self.fresh_ids.set(fresh);
                // Pending overlay: carry actions the new snapshot does not list until the cache shows them.
                let now = time::now_ms();
                let prev_open = self
                    .snapshot
                    .with_untracked(|old| old.as_ref().map(|o| o.outbox_open.clone()).unwrap_or_default());
                let carried = self
                    .carried
                    .with_untracked(|c| overlay::carry_forward(c, &prev_open, &snap, now));
                if self.carried.with_untracked(|c| *c != carried) {
                    self.carried.set(carried);
                }
                let learned = self
                    .titles
                    .try_update_untracked(|t| overlay::learn_titles(t, &snap))
                    .unwrap_or(false);
                if learned {
                    self.titles.notify();
                }
                let mode = match snap.mode.mode {
                    citydeck_protocol::ModeKind::Wartime => CockpitMode::Wartime,
                    citydeck_protocol::ModeKind::Peacetime => CockpitMode::Peacetime,
                };
                if self.mode.get_untracked() != mode {
                    self.mode.set(mode);
                }
                // Acknowledge each new mode epoch once this screen shows it (retried on the next snapshot if
                // the hub could not be told, e.g. offline).
                let epoch = snap.mode.epoch;
                if self.acked_epoch.get_untracked().is_none_or(|a| a < epoch) {
                    // Marked before sending so one epoch is acknowledged once; put back if it fails.
                    let acked = self.acked_epoch;
                    let before = acked.get_untracked();
                    acked.set(Some(epoch));
                    spawn_local(async move {
                        if crate::ipc::ack_mode(epoch).await.is_err() && acked.get_untracked() == Some(epoch)
                        {
                            acked.set(before);
                        }
                    });
                }
                self.snapshot.set(Some(Arc::new(snap)));
                if self.error.with_untracked(Option::is_some) {
                    self.error.set(None);
                }
            }
            Err(e) => {
                if self.error.with_untracked(|old| old.as_ref() != Some(&e)) {
                    self.error.set(Some(e));
                }
            }
        }
    }
}

/// New incidents in one refresh beyond which only grade-I ones are highlighted: a flash says "look here", and
/// thirty rows flashing at once in a storm say nothing (alarm fatigue) while each glow is a layer the webview
/// composites for seconds.
pub const FLASH_MAX: usize = 5;

/// The incidents of `new` that were not in `old` and deserve the "new" highlight (see [`FLASH_MAX`]).
pub fn flash_worthy(
    old: &[citydeck_protocol::Incident],
    new: &[citydeck_protocol::Incident],
) -> HashSet<Uuid> {
    let known: HashSet<Uuid> = old.iter().map(|i| i.id).collect();
    let arrived: Vec<&citydeck_protocol::Incident> = new.iter().filter(|i| !known.contains(&i.id)).collect();
    let storm = arrived.len() > FLASH_MAX;
    arrived
        .into_iter()
        .filter(|i| !storm || i.grade == citydeck_protocol::Grade::I)
        .map(|i| i.id)
        .collect()
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Default)]
struct FetchCtl {
    in_flight: bool,
    /// A request arrived while a fetch was running: fetch once more when it ends.
    pending: bool,
    /// A delayed fetch is already scheduled.
    timer_armed: bool,
    last_start_ms: f64,
    /// Fetches in a row that found the next change already waiting (see [`BUSY_FETCH_SPACING_MS`]).
    busy: u32,
    /// A request from this window's own action is waiting: keep the short spacing.
    urgent: bool,
}

impl FetchCtl {
    fn spacing(&self) -> f64 {
        if self.busy >= BUSY_AFTER && !self.urgent {
            BUSY_FETCH_SPACING_MS
        } else {
            MIN_FETCH_SPACING_MS
        }
    }
}

/// Coalescing snapshot fetcher: any number of requests collapse into at most one fetch per
/// [`MIN_FETCH_SPACING_MS`], and never two at once.
#[derive(Clone)]
struct Fetcher {
    ctl: Rc<RefCell<FetchCtl>>,
    state: AppState,
}

impl Fetcher {
    /// A change event (or the fallback timer).
    fn request(&self) {
        self.request_with(false);
    }

    /// This window's own action: refresh with the short spacing even in a storm.
    fn request_urgent(&self) {
        self.request_with(true);
    }

    fn request_with(&self, urgent: bool) {
        let now = time::now_ms();
        let mut c = self.ctl.borrow_mut();
        c.urgent |= urgent;
        if c.in_flight {
            c.pending = true;
            return;
        }
        let wait = c.last_start_ms + c.spacing() - now;
        if c.timer_armed {
            // A storm may have armed the long wait: an urgent request shortens it (the timer then finds
            // nothing to do or fetches early).
            if !urgent {
                return;
            }
        }
        if wait > 0.0 {
            c.timer_armed = true;
            drop(c);
            let this = self.clone();
            set_timeout(
                move || {
                    this.ctl.borrow_mut().timer_armed = false;
                    this.request_with(false);
                },
                Duration::from_millis(wait.ceil() as u64),
            );
            return;
        }
        // The next change was already waiting when this fetch could start: a stream of changes.
        if now - c.last_start_ms < BUSY_FETCH_SPACING_MS * 1.5 {
            c.busy = c.busy.saturating_add(1);
        } else {
            c.busy = 0;
        }
        c.urgent = false;
        c.in_flight = true;
        c.last_start_ms = now;
        drop(c);
        let this = self.clone();
        spawn_local(async move {
            let area = this.state.drill.get_untracked();
            let result = ipc::cockpit_snapshot(area.as_deref()).await;
            this.state.apply(result);
            let again = {
                let mut c = this.ctl.borrow_mut();
                c.in_flight = false;
                std::mem::take(&mut c.pending)
            };
            if again {
                this.request();
            }
        });
    }
}

/// Start the clock, the first fetch, the change listener and the fallback refresh.
pub fn start(state: AppState) {
    set_interval(move || state.now_ms.set(time::now_ms()), CLOCK_TICK);

    let fetcher = Fetcher {
        ctl: Rc::new(RefCell::new(FetchCtl::default())),
        state,
    };
    fetcher.request();

    {
        let fetcher = fetcher.clone();
        spawn_local(async move {
            let on_change = {
                let fetcher = fetcher.clone();
                move |_hint| fetcher.request()
            };
            if let Err(e) = ipc::listen_cockpit_changed(on_change).await {
                web_sys::console::warn_1(&format!("citydeck: cannot listen for changes: {e}").into());
                state.apply(Err(e));
            }
        });
    }

    {
        let fetcher = fetcher.clone();
        // An action was submitted: show its outbox entry (and the counts) at once.
        Effect::new(move |prev: Option<u64>| {
            let n = state.refresh.get();
            if prev.is_some_and(|p| p != n) {
                fetcher.request_urgent();
            }
            n
        });
    }

    {
        let fetcher = fetcher.clone();
        // Drilled in or out: the panels show the new area at once.
        Effect::new(move |prev: Option<Option<String>>| {
            let area = state.drill.get();
            if prev.is_some_and(|p| p != area) {
                fetcher.request_urgent();
            }
            area
        });
    }
    load_areas(state);

    set_interval(move || fetcher.request(), FALLBACK_REFRESH);
}

/// Until the cache holds the city's areas (the first session with a hub that serves them), ask again this often.
const AREAS_RETRY: Duration = Duration::from_secs(5);

/// Reads the areas and the scope from the cache, and opens the cockpit where the account may be (a scoped
/// account at its scope); asks again while the cache has none yet.
fn load_areas(state: AppState) {
    spawn_local(async move {
        match ipc::areas().await {
            Ok(view) => {
                let empty = view.areas.is_empty();
                let scope = view.scope.clone();
                state.areas.set(Some(Arc::new(view)));
                let want = state.drill.get_untracked();
                state.drill_to(want.as_deref().or(scope.as_deref()));
                if !empty {
                    return;
                }
            }
            Err(e) => {
                web_sys::console::warn_1(&format!("citydeck: areas: {e}; asking again").into());
            }
        }
        set_timeout(move || load_areas(state), AREAS_RETRY);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::Grade;

    fn incidents(grades: &[Grade]) -> Vec<citydeck_protocol::Incident> {
        grades
            .iter()
            .map(|g| {
                let mut i = crate::fixtures::incident("x");
                i.grade = *g;
                i
            })
            .collect()
    }

    #[test]
    fn a_few_arrivals_all_flash() {
        let old = incidents(&[Grade::III; 3]);
        let mut new = incidents(&[Grade::IV, Grade::II]);
        new.extend(old.iter().cloned());
        let f = flash_worthy(&old, &new);
        assert_eq!(f.len(), 2);
        assert!(new[..2].iter().all(|i| f.contains(&i.id)));
        assert!(old.iter().all(|i| !f.contains(&i.id)));
    }

    #[test]
    fn in_a_storm_only_grade_one_flashes() {
        let old = incidents(&[Grade::III]);
        let mut new = incidents(&[Grade::I, Grade::II, Grade::III, Grade::IV, Grade::IV, Grade::I]);
        new.extend(old.iter().cloned());
        let f = flash_worthy(&old, &new);
        let ones: HashSet<Uuid> = new.iter().filter(|i| i.grade == Grade::I).map(|i| i.id).collect();
        assert_eq!(f, ones);
        // Exactly FLASH_MAX arrivals still all flash.
        let five = incidents(&[Grade::IV; FLASH_MAX]);
        assert_eq!(flash_worthy(&old, &five).len(), FLASH_MAX);
    }
}
