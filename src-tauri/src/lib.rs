//! The citydeck desktop shell. Thin on purpose: it wires the crates together and exposes them to the webview;
//! no business rule lives here.
//!
//! Start-up: read [`settings::Settings`]; with no hub URL configured, start an embedded hub (its own SQLite
//! file in the data dir, demo accounts) plus the demo-city simulator in-process; open the local cache; start
//! the sync engine. The window then only ever reads the cache ([`commands::cockpit_snapshot`]) and is told
//! when to read again (`cockpit://changed`).

mod backend;
mod commands;
mod map_protocol;
mod settings;

use tauri::{Emitter, Manager};

/// On a Linux machine without a GPU render node, Mesa renders GL in software (llvmpipe); WebKitGTK's default
/// GPU painting of the page through Skia then rasterises every panel repaint in that software GL, competing with
/// the map's WebGL for the same cores, and the map starves under live updates (`cargo xtask bench map` shows it).
/// Painting the page with Skia's CPU backend avoids that. A machine with a GPU keeps GPU painting; a value set by
/// the user is kept either way. Called before any thread starts.
fn choose_page_painting() -> Option<&'static str> {
    const VAR: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
    if !cfg!(target_os = "linux") || std::env::var_os(VAR).is_some() {
        return None;
    }
    let gpu = std::fs::read_dir("/dev/dri")
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false);
    if gpu {
        return None;
    }
    std::env::set_var(VAR, "1");
    Some("no GPU render node: the page is painted on the CPU (WEBKIT_SKIA_ENABLE_CPU_RENDERING=1)")
}

pub fn run() {
    let painting = choose_page_painting();
    citydeck_hub::init_logging();
    if let Some(note) = painting {
        tracing::info!("{note}");
    }

    let settings = match settings::Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("citydeck: {e:#}");
            std::process::exit(2);
        }
    };
    let backend = match tauri::async_runtime::block_on(backend::Backend::start(settings)) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("citydeck: cannot start: {e:#}");
            std::process::exit(1);
        }
    };

    let result = tauri::Builder::default()
        .manage(backend)
        .register_asynchronous_uri_scheme_protocol(map_protocol::SCHEME, map_protocol::handler())
        .invoke_handler(tauri::generate_handler![
            commands::cockpit_snapshot,
            commands::ack_mode,
            commands::switch_mode,
            commands::confirm_mode,
            commands::submit_action,
            commands::drop_action,
            commands::reapply_action,
            commands::map_delta,
            commands::incident,
            commands::prepare_bundle,
            commands::areas,
            commands::vitals,
            commands::vital_series,
            commands::evaluation
        ])
        .setup(|app| {
            let handle = app.handle().clone();
            let backend = app.state::<backend::Backend>();
            let mut changes = backend.changes();
            // Tell the UI when to re-read the cache: on every status change (connection, applied events),
            // coalesced to at most 5 per second so a burst does not flood the webview.
            tauri::async_runtime::spawn(async move {
                while changes.changed().await.is_ok() {
                    let last_seq = changes.borrow_and_update().last_seq;
                    let _ = handle.emit(
                        citydeck_protocol::ipc::EVENT_COCKPIT_CHANGED,
                        citydeck_protocol::ipc::ChangeHint { last_seq },
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            });
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"));
    match result {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("citydeck: cannot open the window: {e}");
            std::process::exit(1);
        }
    }
}
