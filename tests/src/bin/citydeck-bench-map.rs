//! `cargo xtask bench map`: frame times of the cockpit map in the real desktop window (Tauri + WebKitGTK under
//! Xvfb), synced from a real hub process: first with no incidents, then with 10,000 live markers while 100
//! incident updates a second arrive, in two mixes ([`MIXES`], [`updates`]): assignments only (what the map draws
//! does not change while the markers are in bubbles), and 30% new incidents, 30% closures, 40% assignments
//! (markers and bubbles change all the time, and new incidents pour into the feed). Each run pans the map a
//! little every animation frame (so every frame repaints) and reads the frame intervals from the map's probe
//! (`window.citydeckMap`). Runs `CITYDECK_BENCH_ROUNDS` (3) rounds of (empty, each mix), compares each loaded
//! run with the empty run of its round, and prints every run and, per mix, the median of those ratios
//! (target ≤ 1.5×).
//!
//! `citydeck-bench-map <bin dir> <work dir> indicators [n] [seconds]` measures the cockpit's frame time (the map
//! panned every frame, as above) on a wall showing a scenario pack of `n` (300) vital signs that a feed updates
//! every second, against the cockpit without vital signs, in rounds (target ≤ 1.2×).
//!
//! `citydeck-bench-map <bin dir> <work dir> memory [n]` measures instead the whole desktop's resident memory
//! with `n` (100,000) incidents synced into its cache and on the map, against the empty desktop in the same run.
//!
//! `citydeck-bench-map <bin dir> <work dir> [seconds] [points] [updates per second]`; `<bin dir>` holds
//! `citydeck-hub` and `citydeck` (built with the UI inside).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use citydeck_protocol::{Grade, IncidentClass, NewIncident, Op, PushOp, Stage};
use citydeck_sync::HubClient;
use citydeck_tests::window::{finish, js, open_app, open_app_env, wait_js};
use citydeck_tests::HubProcess;
use rand::{Rng, SeedableRng};

/// Central Helsinki, where the demo city's basemap is.
const BBOX: [f64; 4] = [24.925, 60.160, 24.960, 60.178];

fn client(url: &str, user: &str) -> anyhow::Result<HubClient> {
    Ok(citydeck_tests::demo_client(url, user))
}

/// An incident of a random class and grade somewhere in [`BBOX`].
fn random_incident(rng: &mut impl Rng, title: String) -> NewIncident {
    NewIncident {
        title,
        class: IncidentClass::ALL[rng.gen_range(0..IncidentClass::ALL.len())],
        grade: Grade::ALL[rng.gen_range(0..4)],
        lon: rng.gen_range(BBOX[0]..BBOX[2]),
        lat: rng.gen_range(BBOX[1]..BBOX[3]),
        source: "bench".into(),
        description: None,
        address: None,
        external_id: None,
        occurred_at: None,
    }
}

/// Pushes `n` incidents spread over the city (deterministic) and returns their ids.
async fn seed(hub: &HubClient, n: usize) -> anyhow::Result<Vec<uuid::Uuid>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let client_id = uuid::Uuid::new_v4();
    let mut ids = Vec::with_capacity(n);
    let mut seq = 0;
    while ids.len() < n {
        let take = (n - ids.len()).min(1000);
        let batch: Vec<PushOp> = (0..take)
            .map(|_| {
                seq += 1;
                let id = uuid::Uuid::now_v7();
                ids.push(id);
                PushOp {
                    op_id: uuid::Uuid::now_v7(),
                    client_seq: seq,
                    op: Op::CreateIncident {
                        incident_id: Some(id),
                        incident: random_incident(&mut rng, format!("基准测试 事件 #{seq}")),
                    },
                }
            })
            .collect();
        hub.push(client_id, &batch).await?;
    }
    Ok(ids)
}

/// The live load at `rate` changes a second until `stop`, each one an event the map must apply. Of every ten:
/// `new` new incidents (markers appear, bubbles grow), `new` closures of seeded ones (markers disappear, bubbles
/// shrink; the marker count stays where it was), and the rest assignments (the stage changes: drawn only on a
/// single marker's tooltip, not on a bubble).
async fn updates(
    hub: HubClient,
    mut ids: Vec<uuid::Uuid>,
    rate: u32,
    new: u64,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
) {
    use rand::seq::SliceRandom;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    // Closures take seeded incidents never assigned (still 采集, so closing is allowed); assignments the rest.
    ids.shuffle(&mut rng);
    let assignable = ids.split_off(ids.len() / 2);
    let client_id = uuid::Uuid::new_v4();
    let per_tick = (rate / 10).max(1);
    let mut seq = 0u64;
    let new = new.min(5);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let batch: Vec<PushOp> = (0..per_tick)
            .filter_map(|_| {
                seq += 1;
                let op = match seq % 10 {
                    k if k < new => Op::CreateIncident {
                        incident_id: Some(uuid::Uuid::now_v7()),
                        incident: random_incident(&mut rng, format!("基准测试 新事件 #{seq}")),
                    },
                    k if k < 2 * new => Op::ChangeStage {
                        incident_id: ids.pop()?,
                        from: None,
                        to: Stage::Closed,
                    },
                    _ => Op::Assign {
                        incident_id: *assignable.get(rng.gen_range(0..assignable.len().max(1)))?,
                        assignee: format!("bench-team-{seq}"),
                        department: None,
                    },
                };
                Some(PushOp {
                    op_id: uuid::Uuid::now_v7(),
                    client_seq: seq,
                    op,
                })
            })
            .collect();
        if batch.is_empty() {
            continue;
        }
        if let Ok(r) = hub.push(client_id, &batch).await {
            let applied = r
                .results
                .iter()
                .filter(|r| r.status == citydeck_protocol::PushStatus::Applied)
                .count();
            sent.fetch_add(applied as u64, Ordering::Relaxed);
        }
    }
}

const PAN: &str = "const m = window.citydeckMap.map; let k = 0; window.__pan = true;
    (function f() { if (!window.__pan) return; m.panBy([(k++ % 240 < 120 ? 3 : -3), 0], { duration: 0 });
      requestAnimationFrame(f); })();
    window.citydeckMap.startFrameProbe(); return true;";
const STOP: &str = "window.__pan = false; const r = window.citydeckMap.stopFrameProbe();
    r.stats = window.citydeckMap.stats(); r.features = window.citydeckMap.featureCount();
    r.zoom = window.citydeckMap.map.getZoom(); return r;";

struct Run {
    label: String,
    result: serde_json::Value,
    /// Where the machine's CPU went while measuring: (process / thread, % of one core), busiest first.
    cpu: Vec<(String, f64)>,
}

/// CPU time (clock ticks, user + system) of every thread on the machine, keyed by `process/thread` with the
/// thread name's trailing digits dropped (llvmpipe-0 … llvmpipe-7 are one entry). Both cores are shared by the
/// map's software GL, the WebKit processes, the shell, the hub and this driver, so a frame-time ratio is read
/// together with who took the CPU.
fn cpu_ticks() -> std::collections::HashMap<String, u64> {
    let mut out = std::collections::HashMap::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return out;
    };
    for p in procs.flatten() {
        if !p
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let comm = |path: PathBuf| {
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        let process = comm(p.path().join("comm"));
        let Ok(tasks) = std::fs::read_dir(p.path().join("task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
                continue;
            };
            // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
                continue;
            };
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
                + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
            let thread = comm(t.path().join("comm"));
            let thread = thread.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-' || c == '#');
            *out.entry(format!("{process}/{thread}")).or_insert(0) += ticks;
        }
    }
    out
}

/// The threads that used at least 2% of a core between `before` and `after` (`secs` apart).
fn cpu_between(
    before: &std::collections::HashMap<String, u64>,
    after: &std::collections::HashMap<String, u64>,
    secs: f64,
) -> Vec<(String, f64)> {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut v: Vec<(String, f64)> = after
        .iter()
        .map(|(k, a)| {
            let used = a.saturating_sub(before.get(k).copied().unwrap_or(0)) as f64 / hz;
            (k.clone(), 100.0 * used / secs)
        })
        .filter(|(_, pct)| *pct >= 2.0)
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

/// A hub process on a new database in the emptied folder `dir`.
fn fresh_hub(bins: &Path, dir: &Path) -> anyhow::Result<(PathBuf, HubProcess)> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let hub = HubProcess::launch(
        &bins.join("citydeck-hub"),
        &dir.join("hub.sqlite"),
        "127.0.0.1:0",
        &[],
    );
    Ok((dir.to_path_buf(), hub))
}

/// The update mixes of the loaded runs: (label, new incidents and closures of every ten updates).
const MIXES: [(&str, u64); 2] = [("assignments", 0), ("30% new, 30% closed, 40% assigned", 3)];

async fn run(
    bins: &Path,
    work: &Path,
    points: usize,
    (rate, mix): (u32, (&str, u64)),
    secs: u64,
) -> anyhow::Result<Run> {
    let (dir, hub) = fresh_hub(bins, &work.join(format!("run-{points}")))?;
    let writer = client(&hub.url, "operator")?;
    let ids = seed(&writer, points).await?;
    let app = bins.join("citydeck");
    let w = open_app(&app, &hub.url, "leader", "bench", &dir.join("desktop")).await;
    let c = w.c.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let cpu = std::sync::Mutex::new(Vec::new());
    let outcome: Result<serde_json::Value, String> = async {
        wait_js(
            &c,
            &format!(
                "window.citydeckMap && window.citydeckMap.engine === 'maplibre' && window.citydeckMap.ready() \
                 && window.citydeckMap.featureCount() >= {points} && window.citydeckMap.stats().pending === 0"
            ),
            "map loaded with every incident",
            Duration::from_secs(180),
        )
        .await?;
        if rate > 0 && !ids.is_empty() {
            tokio::spawn(updates(
                writer.clone(),
                ids.clone(),
                rate,
                mix.1,
                stop.clone(),
                sent.clone(),
            ));
        }
        // Let the live updates reach steady state before measuring.
        tokio::time::sleep(Duration::from_secs(3)).await;
        // Diagnosis: CITYDECK_BENCH_HIDE=<layer id prefix> hides those map layers while measuring.
        if let Ok(prefix) = std::env::var("CITYDECK_BENCH_HIDE") {
            js(
                &c,
                &format!(
                    "const m = window.citydeckMap.map; m.getStyle().layers.filter(l => l.id.startsWith('{prefix}'))
                       .forEach(l => m.setLayoutProperty(l.id, 'visibility', 'none')); return true;"
                ),
            )
            .await?;
        }
        if let Ok(script) = std::env::var("CITYDECK_BENCH_EVAL") {
            let v = c.execute_async(&script, vec![]).await.map_err(|e| e.to_string())?;
            eprintln!("eval: {v}");
        }
        js(&c, PAN).await?;
        let started = Instant::now();
        let before = cpu_ticks();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let mut r = js(&c, STOP).await?;
        *cpu.lock().unwrap_or_else(|p| p.into_inner()) =
            cpu_between(&before, &cpu_ticks(), started.elapsed().as_secs_f64());
        // Diagnosis: CITYDECK_BENCH_SHOT=1 keeps what the window showed (artifacts/bench-map-<points>.png).
        if std::env::var_os("CITYDECK_BENCH_SHOT").is_some() {
            citydeck_tests::window::save_screenshot(&c, &format!("bench-map-{points}.png")).await?;
        }
        let took = started.elapsed().as_secs_f64();
        r["updates_per_s"] = serde_json::json!(sent.load(Ordering::Relaxed) as f64 / (took + 3.0));
        Ok(r)
    }
    .await;
    stop.store(true, Ordering::Relaxed);
    let label = if points == 0 {
        "empty map".to_string()
    } else {
        format!("{points} markers + {rate} updates/s ({})", mix.0)
    };
    let result = outcome.clone().unwrap_or_default();
    finish(w.c, w._driver, outcome.map(|_| ())).await;
    Ok(Run {
        label,
        result,
        cpu: cpu.into_inner().unwrap_or_else(|p| p.into_inner()),
    })
}

/// A scenario pack `bench` of `n` indicators (`bench_000` …, all shown by the pack) in `dir`.
fn bench_pack(dir: &Path, n: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let ids: Vec<String> = (0..n).map(|i| format!("bench_{i:03}")).collect();
    let mut t =
        String::from("id = \"bench\"\nname = { zh = \"压测\", en = \"Bench\" }\nlayers = [\"incidents\"]\n");
    t.push_str(&format!(
        "panels = [{}]\n",
        ids.iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for (i, id) in ids.iter().enumerate() {
        t.push_str(&format!(
            "\n[[indicators]]\nid = \"{id}\"\nname = {{ zh = \"指标 {i}\", en = \"Indicator {i}\" }}\nunit = \"u\"\n\
             direction = \"above\"\nclass = \"accident\"\nnormal_readings_to_end = 3\n\
             thresholds = {{ blue = 70, yellow = 80, orange = 90, red = 95 }}\n"
        ));
    }
    std::fs::write(dir.join("bench.toml"), t)?;
    Ok(())
}

/// Posts a reading of each of `n` bench indicators every second (values in the normal band) until `stop`.
async fn vital_feed(hub: HubClient, n: usize, stop: Arc<AtomicBool>, sent: Arc<AtomicU64>) {
    let mut k = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let at = chrono::Utc::now();
        let readings: Vec<_> = (0..n)
            .map(|i| citydeck_protocol::indicators::Reading {
                indicator: format!("bench_{i:03}"),
                at,
                value: 30.0 + ((k as usize * 7 + i * 13) % 30) as f64,
            })
            .collect();
        if hub.post_readings(&readings).await.is_ok() {
            sent.fetch_add(n as u64, Ordering::Relaxed);
        }
        k += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The cockpit's frame time with `n` vital signs updating every second (the wall shows the pack `bench`), or
/// with none (`n = 0`: no packs, the cockpit without them).
async fn vitals_run(bins: &Path, work: &Path, n: usize, secs: u64) -> anyhow::Result<Run> {
    let dir = work.join(format!("vitals-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let packs = dir.join("packs");
    let mut extra: Vec<String> = Vec::new();
    if n > 0 {
        bench_pack(&packs, n)?;
        extra = vec!["--scenarios".into(), packs.to_string_lossy().into_owned()];
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let hub = HubProcess::launch(
        &bins.join("citydeck-hub"),
        &dir.join("hub.sqlite"),
        "127.0.0.1:0",
        &extra,
    );
    let city = citydeck_tests::helsinki_city();
    let data = dir.join("desktop");
    let env: [(&str, &std::ffi::OsStr); 7] = [
        ("CITYDECK_CITY", city.as_os_str()),
        ("CITYDECK_HUB_URL", hub.url.as_ref()),
        ("CITYDECK_USER", "leader".as_ref()),
        ("CITYDECK_PASSWORD", citydeck_tests::DEMO_PASSWORD.as_ref()),
        ("CITYDECK_DATA_DIR", data.as_os_str()),
        ("CITYDECK_SCREEN", "bench".as_ref()),
        (
            "CITYDECK_SCENARIO",
            if n > 0 { "bench" } else { "overview" }.as_ref(),
        ),
    ];
    let w = open_app_env(&bins.join("citydeck"), &env, None).await;
    let c = w.c.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let cpu = std::sync::Mutex::new(Vec::new());
    let outcome: Result<serde_json::Value, String> = async {
        wait_js(
            &c,
            "window.citydeckMap && window.citydeckMap.engine === 'maplibre' && window.citydeckMap.ready()",
            "map loaded",
            Duration::from_secs(120),
        )
        .await?;
        if n > 0 {
            tokio::spawn(vital_feed(
                client(&hub.url, "feed").map_err(|e| e.to_string())?,
                n,
                stop.clone(),
                sent.clone(),
            ));
            wait_js(
                &c,
                "document.querySelectorAll('#vitals .vital[data-level=\"normal\"]').length > 0",
                "the bench indicators on the wall",
                Duration::from_secs(60),
            )
            .await?;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        js(&c, PAN).await?;
        let started = Instant::now();
        let before = cpu_ticks();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let mut r = js(&c, STOP).await?;
        *cpu.lock().unwrap_or_else(|p| p.into_inner()) =
            cpu_between(&before, &cpu_ticks(), started.elapsed().as_secs_f64());
        r["updates_per_s"] =
            serde_json::json!(sent.load(Ordering::Relaxed) as f64 / (started.elapsed().as_secs_f64() + 3.0));
        Ok(r)
    }
    .await;
    stop.store(true, Ordering::Relaxed);
    let result = outcome.clone().unwrap_or_default();
    finish(w.c, w._driver, outcome.map(|_| ())).await;
    Ok(Run {
        label: if n == 0 {
            "cockpit without vital signs".into()
        } else {
            format!("{n} vital signs updating every second")
        },
        result,
        cpu: cpu.into_inner().unwrap_or_else(|p| p.into_inner()),
    })
}

/// `indicators` mode: rounds of (without, with `n`), each compared within its round; prints the median ratio.
async fn vitals(bins: &Path, work: &Path, n: usize, secs: u64) -> anyhow::Result<()> {
    let rounds: usize = std::env::var("CITYDECK_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let without = vitals_run(bins, work, 0, secs).await?;
        let with = vitals_run(bins, work, n, secs).await?;
        for r in [&without, &with] {
            println!(
                "round {round}: {:<40} frame time mean {:6.2} ms  p95 {:6.2} ms  ({:.1} fps, {} frames, {:.0} readings/s posted)",
                r.label,
                ms(&r.result, "meanMs"),
                ms(&r.result, "p95Ms"),
                ms(&r.result, "fps"),
                r.result["frames"],
                r.result["updates_per_s"].as_f64().unwrap_or(0.0),
            );
        }
        ratios.push(ms(&with.result, "meanMs") / ms(&without.result, "meanMs"));
    }
    let ratio = median(ratios.clone());
    anyhow::ensure!(ratio.is_finite(), "no frame times measured");
    println!(
        "ratio cockpit with {n} vital signs updating every second / without: mean frame time {ratio:.2}× (target ≤ 1.2×: {}; median of {} rounds: {})",
        if ratio <= 1.2 { "met" } else { "NOT met" },
        ratios.len(),
        ratios.iter().map(|r| format!("{r:.2}×")).collect::<Vec<_>>().join(" ")
    );
    Ok(())
}

/// One process's memory in KiB: resident now, peak resident, anonymous resident (heap, JS, GL buffers: what the
/// process itself allocated), and proportional set size (shared library pages divided among the processes
/// mapping them, so the shell's and WebKit's copies of libwebkit2gtk are not counted twice).
struct ProcMem {
    name: String,
    pid: u64,
    ppid: u64,
    rss: u64,
    hwm: u64,
    anon: u64,
    pss: u64,
}

/// [`ProcMem`] of every process whose name starts with one of `names`.
fn proc_mem(names: &[&str]) -> Vec<ProcMem> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in dir.flatten() {
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let field = |text: &str, k: &str| {
            text.lines()
                .find(|l| l.starts_with(k))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let name = status
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("Name:"))
            .unwrap_or_default()
            .trim()
            .to_string();
        if names.iter().any(|n| name.starts_with(n)) {
            let rollup = std::fs::read_to_string(e.path().join("smaps_rollup")).unwrap_or_default();
            found.push(ProcMem {
                pid: e.file_name().to_string_lossy().parse().unwrap_or(0),
                ppid: field(&status, "PPid:"),
                rss: field(&status, "VmRSS:"),
                hwm: field(&status, "VmHWM:"),
                anon: field(&status, "RssAnon:"),
                pss: field(&rollup, "Pss:"),
                name,
            });
        }
    }
    found
}

/// The whole desktop's memory (the shell process and WebKit's web and network processes) with `n` incidents
/// in its cache, after it synced them all and the map holds them; and the desktop's own processes.
async fn memory_once(bins: &Path, work: &Path, n: usize) -> anyhow::Result<(Duration, Vec<ProcMem>)> {
    let (dir, hub) = fresh_hub(bins, &work.join(format!("memory-{n}")))?;
    seed(&client(&hub.url, "operator")?, n).await?;
    let w = open_app(
        &bins.join("citydeck"),
        &hub.url,
        "leader",
        "bench",
        &dir.join("desktop"),
    )
    .await;
    let started = Instant::now();
    let outcome = wait_js(
        &w.c,
        &format!(
            "window.citydeckMap && window.citydeckMap.ready && window.citydeckMap.ready() \
             && window.citydeckMap.featureCount() >= {n} && window.citydeckMap.stats().pending === 0"
        ),
        "every incident synced and on the map",
        Duration::from_secs(600),
    )
    .await;
    let synced = started.elapsed();
    // Settle: let the allocators give back what the bootstrap used.
    tokio::time::sleep(Duration::from_secs(5)).await;
    // The desktop that shows the map: the shell whose WebKit web process it is, and WebKit's processes under
    // that shell (an app a failed WebDriver connection attempt left behind is not counted, but said).
    let all: Vec<ProcMem> = proc_mem(&["citydeck", "WebKitWebProces", "WebKitNetworkPr"])
        .into_iter()
        .filter(|p| !p.name.starts_with("citydeck-"))
        .collect();
    let shells: Vec<u64> = all
        .iter()
        .filter(|p| p.name.starts_with("WebKitWebProces"))
        .map(|p| p.ppid)
        .collect();
    let (procs, stray): (Vec<ProcMem>, Vec<ProcMem>) = all
        .into_iter()
        .partition(|p| shells.contains(&p.pid) || shells.contains(&p.ppid));
    if !stray.is_empty() {
        eprintln!(
            "not counted (not the desktop on screen): {}",
            stray
                .iter()
                .map(|p| format!("{} (pid {}, RSS {} KiB)", p.name, p.pid, p.rss))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    finish(w.c, w._driver, outcome).await;
    anyhow::ensure!(
        procs.iter().map(|p| p.rss).sum::<u64>() > 0,
        "no desktop process found"
    );
    drop(hub);
    Ok((synced, procs))
}

/// Desktop memory with `n` incidents, against the same desktop with none measured in the same run (the floor
/// the engine — WebKitGTK with its web process, software GL here — sets before any data).
async fn memory(bins: &Path, work: &Path, n: usize) -> anyhow::Result<()> {
    let mb = |kib: u64| kib as f64 / 1024.0;
    let sum = |procs: &[ProcMem], f: fn(&ProcMem) -> u64| mb(procs.iter().map(f).sum::<u64>());
    let line = |procs: &[ProcMem]| {
        procs
            .iter()
            .map(|p| {
                format!(
                    "{} PSS {:.0} / RSS {:.0} / anon {:.0} MB",
                    p.name,
                    mb(p.pss),
                    mb(p.rss),
                    mb(p.anon)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (_, empty) = memory_once(bins, work, 0).await?;
    let (synced, full) = memory_once(bins, work, n).await?;
    for (label, procs) in [("0".to_string(), &empty), (n.to_string(), &full)] {
        println!(
            "desktop memory with {label} cached incidents: PSS {:.0} MB | RSS {:.0} MB now, {:.0} MB summed peaks, {:.0} MB anonymous — {}",
            sum(procs, |p| p.pss),
            sum(procs, |p| p.rss),
            sum(procs, |p| p.hwm),
            sum(procs, |p| p.anon),
            line(procs)
        );
    }
    let shell = |procs: &[ProcMem]| {
        procs
            .iter()
            .filter(|p| p.name == "citydeck")
            .map(|p| p.rss)
            .sum::<u64>()
    };
    println!(
        "with {n} incidents (synced and drawn in {:.1} s): whole desktop PSS {:.0} MB (target < 300 MB; the empty desktop alone: {:.0} MB) | growth for the data {:+.0} MB PSS ({:.2}× the empty desktop) | the desktop's own process (shell, cache, sync) RSS {:.0} MB",
        synced.as_secs_f64(),
        sum(&full, |p| p.pss),
        sum(&empty, |p| p.pss),
        sum(&full, |p| p.pss) - sum(&empty, |p| p.pss),
        sum(&full, |p| p.pss) / sum(&empty, |p| p.pss),
        mb(shell(&full)),
    );
    Ok(())
}

/// The median of `v` (NaN when empty; NaNs sort last).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn ms(v: &serde_json::Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (bins, work) = match args.as_slice() {
        [b, w, ..] => (PathBuf::from(b), PathBuf::from(w)),
        _ => anyhow::bail!("usage: citydeck-bench-map <bin dir> <work dir> [seconds] [points] [updates/s]"),
    };
    std::fs::create_dir_all(&work)?;
    if args.get(2).map(String::as_str) == Some("indicators") {
        let n = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(300);
        let secs = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(10);
        return vitals(&bins, &work, n, secs).await;
    }
    if args.get(2).map(String::as_str) == Some("memory") {
        let n = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(100_000);
        return memory(&bins, &work, n).await;
    }
    let secs: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(10);
    let points: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(10_000);
    let rate: u32 = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(100);

    // Diagnosis: CITYDECK_BENCH_MIX=<index into MIXES> runs that loaded mix alone.
    let only: Option<usize> = std::env::var("CITYDECK_BENCH_MIX")
        .ok()
        .and_then(|s| s.parse().ok());
    let mixes: Vec<(&str, u64)> = MIXES
        .into_iter()
        .enumerate()
        .filter(|(i, _)| only.is_none_or(|o| o == *i))
        .map(|(_, m)| m)
        .collect();
    // Rounds of (empty, each loaded mix), each loaded run compared with the empty run of its own round: the
    // two cores are shared with whatever else the machine does, so a single pair of runs is noisy.
    let rounds: usize = std::env::var("CITYDECK_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    // ratios[mix] = (mean ratio, p95 ratio) of each round
    let mut ratios: Vec<Vec<(f64, f64)>> = vec![Vec::new(); mixes.len()];
    for round in 1..=rounds {
        let empty = run(&bins, &work, 0, (0, MIXES[0]), secs).await?;
        let mut loaded = Vec::new();
        for mix in &mixes {
            loaded.push(run(&bins, &work, points, (rate, *mix), secs).await?);
        }
        for r in std::iter::once(&empty).chain(&loaded) {
            println!(
                "round {round}: {:<62} frame time mean {:6.2} ms  p95 {:6.2} ms  p99 {:6.2} ms  ({:.1} fps, {} frames, {} map repaints, {} features, zoom {:.2}, {:.0} updates/s applied)",
                r.label,
                ms(&r.result, "meanMs"),
                ms(&r.result, "p95Ms"),
                ms(&r.result, "p99Ms"),
                ms(&r.result, "fps"),
                r.result["frames"],
                r.result["renders"],
                r.result["features"],
                r.result["zoom"].as_f64().unwrap_or(f64::NAN),
                r.result["updates_per_s"].as_f64().unwrap_or(0.0),
            );
            let total: f64 = r.cpu.iter().map(|(_, p)| p).sum();
            println!(
                "    CPU while measuring ({total:.0}% of one core in threads over 2%): {}",
                r.cpu
                    .iter()
                    .map(|(k, p)| format!("{k} {p:.0}%"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for (k, r) in loaded.iter().enumerate() {
            eprintln!("map stats (round {round}, {}): {}", r.label, r.result["stats"]);
            ratios[k].push((
                ms(&r.result, "meanMs") / ms(&empty.result, "meanMs"),
                ms(&r.result, "p95Ms") / ms(&empty.result, "p95Ms"),
            ));
        }
    }
    let mut worst = Vec::new();
    for (mix, rs) in mixes.iter().zip(&ratios) {
        let mean = median(rs.iter().map(|r| r.0).collect());
        let p95 = median(rs.iter().map(|r| r.1).collect());
        println!(
            "ratio {points} markers + {rate} updates/s ({}) / empty: mean {mean:.2}×, p95 {p95:.2}× (target ≤ 1.5×; median of {} rounds, means: {})",
            mix.0,
            rs.len(),
            rs.iter().map(|r| format!("{:.2}×", r.0)).collect::<Vec<_>>().join(" ")
        );
        worst.push(mean);
    }
    let ratio = worst.iter().copied().fold(f64::NAN, f64::max);
    anyhow::ensure!(ratio.is_finite(), "no frame times measured");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_even_and_no_rounds() {
        assert_eq!(median(vec![1.9, 1.2, 1.4]), 1.4);
        assert_eq!(median(vec![1.0, 2.0, 1.5, 3.0]), 1.75);
        assert!(median(Vec::new()).is_nan());
    }
}
