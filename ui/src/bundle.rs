//! The field bundle (离线包) section of the outbox drawer: what this desktop was started from, the bundle it
//! prepared (its data age, counts, size, folder), and the button that prepares one for the map's current view.

use citydeck_protocol::ipc::{BundleInfo, BundleOutcome, BundleStart};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::time;

pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

/// One line describing a bundle: data age, incidents (in the area), tiles, size.
pub fn describe(lang: Lang, b: &BundleInfo, now_ms: f64) -> String {
    let asof = b
        .data_as_of
        .map(|t| i18n::age_ago(lang, time::age_secs(now_ms, &t)))
        .unwrap_or_else(|| "—".into());
    match lang {
        Lang::Zh => format!(
            "数据截至 {asof} · 事件 {}（未结 {}，范围内 {}）· 底图瓦片 {} · {}",
            b.incidents,
            b.open_incidents,
            b.area_incidents,
            b.tiles,
            mb(b.bytes)
        ),
        Lang::En => format!(
            "data as of {asof} · {} incidents ({} open, {} in the area) · {} map tiles · {}",
            b.incidents,
            b.open_incidents,
            b.area_incidents,
            b.tiles,
            mb(b.bytes)
        ),
    }
}

pub fn started_line(lang: Lang, s: &BundleStart) -> String {
    let detail = s.detail.clone().unwrap_or_default();
    match (lang, s.outcome) {
        (Lang::Zh, BundleOutcome::Installed) => "本机由离线包启动：已装入离线包的数据与底图".into(),
        (Lang::En, BundleOutcome::Installed) => {
            "Started from a field bundle: its data and basemap are loaded".into()
        }
        (Lang::Zh, BundleOutcome::Kept) => format!("离线包未覆盖本机缓存：{detail}"),
        (Lang::En, BundleOutcome::Kept) => {
            format!("The field bundle did not replace this desktop's cache: {detail}")
        }
        (Lang::Zh, BundleOutcome::Refused) => format!("离线包无法使用：{detail}"),
        (Lang::En, BundleOutcome::Refused) => format!("The field bundle cannot be used: {detail}"),
    }
}

#[component]
pub fn BundleSection() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lang = state.lang;
    let bundle = move || {
        state
            .snapshot
            .with(|s| s.as_ref().map(|s| s.bundle.clone()).unwrap_or_default())
    };
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let prepare = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let area = state.view_bounds.get_untracked();
        spawn_local(async move {
            let r = crate::ipc::prepare_bundle(area).await;
            busy.set(false);
            match r {
                Ok(_) => state.request_refresh(),
                Err(e) => error.set(Some(crate::reasons::ipc_error(state.lang.get_untracked(), &e))),
            }
        });
    };
    view! {
        <section class="bundle-section" id="bundle-section">
            <h3 class="od-section">
                {move || match lang.get() {
                    Lang::Zh => "离线包",
                    Lang::En => "Field bundle",
                }}
            </h3>
            {move || {
                bundle()
                    .started_from
                    .map(|s| {
                        let outcome = match s.outcome {
                            BundleOutcome::Installed => "installed",
                            BundleOutcome::Kept => "kept",
                            BundleOutcome::Refused => "refused",
                        };
                        let info = s
                            .info
                            .as_ref()
                            .map(|b| describe(lang.get(), b, state.now_ms.get()))
                            .unwrap_or_default();
                        view! {
                            <div class="bundle-started" id="bundle-started" data-outcome=outcome>
                                <div>{started_line(lang.get(), &s)}</div>
                                <div class="bundle-info">{info}</div>
                            </div>
                        }
                    })
            }}
            <div class="bundle-prepared" id="bundle-prepared">
                {move || match bundle().prepared {
                    None => {
                        match lang.get() {
                            Lang::Zh => "尚未准备离线包：在线时准备，断网后本机仍可查看事件与底图。".to_string(),
                            Lang::En => "No field bundle yet: prepare one while online to keep incidents and the basemap at hand offline.".to_string(),
                        }
                    }
                    Some(b) => {
                        let when = i18n::age_ago(lang.get(), time::age_secs(state.now_ms.get(), &b.created_at));
                        match lang.get() {
                            Lang::Zh => format!("已准备（{when}）：{}", describe(lang.get(), &b, state.now_ms.get())),
                            Lang::En => format!("Prepared {when}: {}", describe(lang.get(), &b, state.now_ms.get())),
                        }
                    }
                }}
            </div>
            <div class="bundle-path" id="bundle-path">
                {move || bundle().prepared.map(|b| b.path).unwrap_or_default()}
            </div>
            <button
                type="button"
                class="btn bundle-btn"
                id="bundle-prepare"
                disabled=move || busy.get()
                on:click=prepare
            >
                {move || match (lang.get(), busy.get()) {
                    (Lang::Zh, false) => "准备离线包（当前地图范围）",
                    (Lang::Zh, true) => "正在准备离线包…",
                    (Lang::En, false) => "Prepare a field bundle (the map's view)",
                    (Lang::En, true) => "Preparing the field bundle…",
                }}
            </button>
            <Show when=move || error.get().is_some()>
                <div class="bundle-error" id="bundle-error" role="alert">
                    {move || error.get().unwrap_or_default()}
                </div>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn info() -> BundleInfo {
        BundleInfo {
            path: "/data/field-bundle".into(),
            created_at: DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap(),
            data_as_of: Some(DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap()),
            last_seq: 42,
            incidents: 1200,
            open_incidents: 300,
            area_incidents: 80,
            area: [24.9, 60.1, 25.0, 60.2],
            tiles: 19,
            bytes: 3 * 1_048_576 + 104_858,
        }
    }

    #[test]
    fn a_bundle_reads_with_its_age_counts_and_size() {
        let now = 1_700_000_000_000.0 + 3_600_000.0;
        let zh = describe(Lang::Zh, &info(), now);
        assert!(zh.contains("事件 1200（未结 300，范围内 80）"), "{zh}");
        assert!(zh.contains("3.1 MB") && zh.contains("瓦片 19"), "{zh}");
        let en = describe(Lang::En, &info(), now);
        assert!(en.contains("1200 incidents (300 open, 80 in the area)"), "{en}");
        assert_ne!(
            describe(Lang::Zh, &info(), now),
            describe(Lang::Zh, &info(), now + 7_200_000.0)
        );
    }

    #[test]
    fn start_up_outcomes_say_why() {
        let s = |outcome, detail: Option<&str>| BundleStart {
            path: "/x".into(),
            outcome,
            detail: detail.map(Into::into),
            info: None,
        };
        assert!(started_line(Lang::Zh, &s(BundleOutcome::Installed, None)).contains("已装入"));
        let kept = started_line(Lang::Zh, &s(BundleOutcome::Kept, Some("1 pending")));
        assert!(kept.contains("1 pending"), "{kept}");
        let refused = started_line(Lang::En, &s(BundleOutcome::Refused, Some("damaged")));
        assert!(
            refused.contains("cannot be used") && refused.contains("damaged"),
            "{refused}"
        );
    }
}
