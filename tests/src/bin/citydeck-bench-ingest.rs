//! `cargo xtask bench ingest`: many sources in (issue 22), measured against baselines taken in the same run, on
//! the hub's own storage (release build, SQLite file, synchronous=FULL), without HTTP on either side.
//!
//! `citydeck-bench-ingest <work dir> [open incidents] [reports]` prints one line per measurement:
//! - CAP throughput: real-shaped CAP 1.2 alerts (one info, a polygon) read, checked and taken
//!   (`ingest::cap::parse` + `Db::ingest_cap`, one write each) vs the hub's JSON incident create
//!   (`domain::parse_new_incident` from the JSON bytes + `Db::create_incident`, one write each), the same number
//!   of each at points 2 km apart (nothing merges) — target ≥ 0.5×;
//! - merge lookup: creates of reports that the spatial index must look around (~28 open incidents of the same
//!   class within 300 m of every one of them, each read and tested; all from the report's own source, so none
//!   joins and each is inserted) on a log holding 100,000 open incidents vs the same creates on a log holding
//!   none — target ≤ 1.5×.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use citydeck_hub::db::push::PushItem;
use citydeck_hub::Db;
use citydeck_protocol::{Op, PushOp};
use serde_json::json;

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// A point of the bench's grid: `i` steps of `step_m` metres east and north of Vaduz, `cols` to a row.
fn grid(i: usize, cols: usize, step_m: f64) -> (f64, f64) {
    let (x, y) = ((i % cols) as f64, (i / cols) as f64);
    (9.40 + x * step_m / 75_700.0, 47.00 + y * step_m / 111_195.0)
}

fn json_create(n: usize, (lon, lat): (f64, f64), class: &str, source: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"title": format!("井盖缺失 {n}"), "class": class, "grade": "III",
        "lon": lon, "lat": lat, "source": source, "external_id": format!("{source}-{n}")}),
    )
    .expect("JSON")
}

fn cap_alert(n: usize, (lon, lat): (f64, f64)) -> Vec<u8> {
    let d = 0.001;
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>BENCH-{n}</identifier>
  <sender>meteo@llv.li</sender>
  <sent>2026-12-07T14:30:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <senderName>列支敦士登气象台</senderName>
    <headline>暴雨橙色预警 {n}</headline>
    <description>预计未来3小时内降雨量将达50毫米以上，请注意防范。</description>
    <area>
      <areaDesc>瓦杜兹</areaDesc>
      <polygon>{s},{w} {s},{e} {n2},{e} {n2},{w} {s},{w}</polygon>
    </area>
  </info>
</alert>"#,
        s = lat - d,
        n2 = lat + d,
        w = lon - d,
        e = lon + d
    )
    .into_bytes()
}

fn open(dir: &Path, name: &str) -> anyhow::Result<Db> {
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    Ok(Db::open(&path)?)
}

/// `n` JSON creates, as the hub takes them: the bytes parsed and checked, then one write each.
fn creates(db: &Db, bodies: &[Vec<u8>]) -> anyhow::Result<Duration> {
    let t = Instant::now();
    for body in bodies {
        let raw: serde_json::Value = serde_json::from_slice(body)?;
        let new = citydeck_domain::parse_new_incident(&raw).map_err(|e| anyhow::anyhow!("{e}"))?;
        db.create_incident("operator", None, new, |_, _| {})?
            .map_err(|r| anyhow::anyhow!("{r}"))?;
    }
    Ok(t.elapsed())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let work = PathBuf::from(
        args.get(1)
            .map(String::as_str)
            .unwrap_or("/tmp/citydeck-bench-ingest"),
    );
    let open_n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let n: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;

    // CAP vs JSON, each on a fresh log, the same number of writes, 2 km apart (nothing merges), in alternating
    // chunks of 100 so neither gets the warmer disk
    let json_db = open(&work, "json.sqlite")?;
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|i| json_create(i, grid(i, 50, 2_000.0), "natural_disaster", "hotline"))
        .collect();
    let cap_db = open(&work, "cap.sqlite")?;
    let alerts: Vec<Vec<u8>> = (0..n).map(|i| cap_alert(i, grid(i, 50, 2_000.0))).collect();
    let (mut json_t, mut cap_t) = (Duration::ZERO, Duration::ZERO);
    let mut created = 0;
    for (json_chunk, cap_chunk) in bodies.chunks(100).zip(alerts.chunks(100)) {
        json_t += creates(&json_db, json_chunk)?;
        let t = Instant::now();
        for a in cap_chunk {
            let alert = citydeck_ingest::cap::parse(a).map_err(|e| anyhow::anyhow!("{e}"))?;
            let (status, ids) = cap_db.ingest_cap("feed", &alert, (9.52, 47.14), |_, _| {})?;
            anyhow::ensure!(
                status == citydeck_protocol::ingest::CapIngestStatus::Created && ids.len() == 1,
                "{status:?}"
            );
            created += 1;
        }
        cap_t += t.elapsed();
    }
    let ratio = per_sec(created, cap_t) / per_sec(n, json_t);
    println!(
        "CAP ingest: {:.0} alerts/s ({created} in {:.2} s) | JSON incident create: {:.0}/s ({n} in {:.2} s) | ratio CAP/JSON = {ratio:.2}× (target ≥ 0.5×: {})",
        per_sec(created, cap_t),
        cap_t.as_secs_f64(),
        per_sec(n, json_t),
        json_t.as_secs_f64(),
        if ratio >= 0.5 { "met" } else { "NOT met" }
    );

    // merge lookup: 100,000 open incidents 100 m apart (accidents from the source `seed`), then reports placed
    // among them from that same source (each has candidates within 300 m in the index, none joins) vs the same
    // reports on an empty log
    let full = open(&work, "full.sqlite")?;
    let started = Instant::now();
    let client = uuid::Uuid::now_v7();
    let mut batch = Vec::with_capacity(1000);
    for i in 0..open_n {
        let (lon, lat) = grid(i, 300, 100.0);
        let op: Op = serde_json::from_value(
            json!({"kind": "create_incident", "incident_id": uuid::Uuid::now_v7(),
            "title": format!("占道 {i}"), "class": "accident", "grade": "IV", "lon": lon, "lat": lat,
            "source": "seed"}),
        )?;
        batch.push(PushItem::Op(PushOp {
            op_id: uuid::Uuid::now_v7(),
            client_seq: i as u64 + 1,
            op,
        }));
        if batch.len() == 1000 || i + 1 == open_n {
            let results = full.push(
                client,
                "operator",
                None,
                std::mem::take(&mut batch),
                |_| Ok(()),
                true,
                |_, _| {},
            )?;
            anyhow::ensure!(
                results
                    .iter()
                    .all(|r| r.status == citydeck_protocol::PushStatus::Applied),
                "a seed was not applied"
            );
        }
    }
    eprintln!(
        "setup: {open_n} open incidents in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let reports: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            // among the seeds: the middle of a grid cell, 4 seeds within 71 m, ~28 within 300 m
            let (lon, lat) = grid((i * 37) % open_n, 300, 100.0);
            json_create(
                i,
                (lon + 50.0 / 75_700.0, lat + 50.0 / 111_195.0),
                "accident",
                "seed",
            )
        })
        .collect();
    let empty = open(&work, "empty.sqlite")?;
    // alternating chunks of 100, so neither log gets the warmer disk
    let (mut base, mut with) = (Duration::ZERO, Duration::ZERO);
    for chunk in reports.chunks(100) {
        base += creates(&empty, chunk)?;
        with += creates(&full, chunk)?;
    }
    let ratio = with.as_secs_f64() / base.as_secs_f64();
    println!(
        "create with merge lookup among {open_n} open incidents: {:.3} ms each ({n}) | with none open: {:.3} ms each | ratio = {ratio:.2}× (target ≤ 1.5×: {})",
        with.as_secs_f64() * 1000.0 / n as f64,
        base.as_secs_f64() * 1000.0 / n as f64,
        if ratio <= 1.5 { "met" } else { "NOT met" }
    );
    Ok(())
}
