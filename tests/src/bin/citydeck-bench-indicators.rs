//! `cargo xtask bench indicators`: the vital signs' storage measured against baselines taken in the same run,
//! on a real hub process (release build, SQLite, the shipped scenario packs).
//!
//! `citydeck-bench-indicators <dir with citydeck-hub> <work dir> [rows per client]` prints one line per
//! measurement:
//! - ingest: readings posted in batches of 500 by 8 clients at once (HTTP, JSON, validation, one write
//!   transaction per batch: readings, latest, hourly rollups, episodes) vs a raw SQLite bulk insert of the same
//!   rows into a table of the same shape (one transaction, prepared statement, WAL, synchronous=FULL) — target
//!   ≥ 0.5× — and, for the durability the hub gives each batch, the same raw insert committed per 500 rows;
//! - series: 90 days of per-minute readings (129,600) of one indicator into 1,000 buckets
//!   (`GET /api/v1/indicators/{id}/series`, median of repeated queries over HTTP) vs a raw SQL aggregate of the
//!   same rows on the hub's own database file (`GROUP BY` the bucket, `AVG`/`MIN`/`MAX`) — target ≤ 2×.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;

const CLIENTS: usize = 8;
const BATCH: usize = 500;

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A value well inside the normal band of an indicator of `GET /api/v1/indicators` (the bench measures the
/// storage, not incidents).
fn normal(indicator: &serde_json::Value) -> f64 {
    let t = &indicator["thresholds"];
    let first = t["blue"].as_f64().or(t["yellow"].as_f64()).unwrap_or(0.0);
    let margin = first.abs() * 0.2 + 1.0;
    if indicator["direction"] == "below" {
        first + margin
    } else {
        first - margin
    }
}

/// The readings of client `k`: `n` per-minute readings of `indicator` around `value`.
fn client_rows(
    k: usize,
    n: usize,
    indicator: &str,
    value: f64,
    t0: DateTime<Utc>,
) -> Vec<(String, String, f64)> {
    (0..n)
        .map(|i| {
            let at = t0 + chrono::Duration::minutes((k * n + i) as i64);
            (indicator.to_string(), ts(at), value + (i % 7) as f64 * 0.01)
        })
        .collect()
}

fn raw_insert(
    path: &std::path::Path,
    rows: &[(String, String, f64)],
    per_tx: usize,
) -> anyhow::Result<Duration> {
    let _ = std::fs::remove_file(path);
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE readings (indicator TEXT NOT NULL, at TEXT NOT NULL, value REAL NOT NULL,
         PRIMARY KEY (indicator, at)) WITHOUT ROWID",
    )?;
    let start = Instant::now();
    for chunk in rows.chunks(per_tx) {
        let tx = conn.transaction()?;
        {
            let mut st =
                tx.prepare_cached("INSERT INTO readings (indicator, at, value) VALUES (?1, ?2, ?3)")?;
            for (id, at, v) in chunk {
                st.execute(rusqlite::params![id, at, v])?;
            }
        }
        tx.commit()?;
    }
    Ok(start.elapsed())
}

async fn token(http: &reqwest::Client, url: &str, user: &str) -> anyhow::Result<String> {
    let r: serde_json::Value = http
        .post(format!("{url}/api/v1/login"))
        .json(&json!({"username": user, "password": "citydeck-demo"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(r["token"].as_str().unwrap_or_default().to_string())
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    tok: &str,
    rows: &[(String, String, f64)],
) -> anyhow::Result<()> {
    let batch: Vec<_> = rows
        .iter()
        .map(|(id, at, v)| json!({"indicator": id, "at": at, "value": v}))
        .collect();
    let r = http
        .post(format!("{url}/api/v1/readings"))
        .bearer_auth(tok)
        .json(&json!({ "readings": batch }))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 200, "readings: {} {}", r.status(), r.text().await?);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (bin, work, per_client) = match args.as_slice() {
        [bin, work] => (bin, work, 10_000),
        [bin, work, n] => (bin, work, n.parse::<usize>()?),
        _ => anyhow::bail!("usage: citydeck-bench-indicators <bin dir> <work dir> [rows per client]"),
    };
    let (bin, work) = (PathBuf::from(bin), PathBuf::from(work));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let scenarios = citydeck_tests::repo_root().join("data/scenarios");
    let hub_db = work.join("hub.sqlite");
    let hub = citydeck_tests::HubProcess::launch(
        &bin.join("citydeck-hub"),
        &hub_db,
        "127.0.0.1:0",
        &["--scenarios", scenarios.to_str().unwrap_or_default()],
    );
    let url = hub.url.clone();
    let http = reqwest::Client::new();
    let feed = token(&http, &url, "feed").await?;

    // ---- ingest: 8 clients × batches of 500, each client its own indicator
    let list: serde_json::Value = http
        .get(format!("{url}/api/v1/indicators"))
        .bearer_auth(&feed)
        .send()
        .await?
        .json()
        .await?;
    let known: Vec<(String, f64)> = list["indicators"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| Some((i["id"].as_str()?.to_string(), normal(i))))
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(
        known.len() >= CLIENTS,
        "the hub lists {} indicators: {list}",
        known.len()
    );
    let t0: DateTime<Utc> = "2025-01-01T00:00:00Z".parse()?;
    let per_client_rows: Vec<Vec<(String, String, f64)>> = (0..CLIENTS)
        .map(|k| client_rows(k, per_client, &known[k].0, known[k].1, t0))
        .collect();
    let total: usize = per_client_rows.iter().map(Vec::len).sum();
    let all: Vec<_> = per_client_rows.iter().flatten().cloned().collect();
    let raw_one = raw_insert(&work.join("raw-one.sqlite"), &all, all.len())?;
    let raw_batched = raw_insert(&work.join("raw-batched.sqlite"), &all, BATCH)?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for rows in per_client_rows {
        let (http, url, feed) = (http.clone(), url.clone(), feed.clone());
        tasks.push(tokio::spawn(async move {
            for chunk in rows.chunks(BATCH) {
                post(&http, &url, &feed, chunk).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let ingest = start.elapsed();
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    let ratio = raw_one.as_secs_f64() / ingest.as_secs_f64();
    println!(
        "ingest {total} readings, {CLIENTS} clients × batches of {BATCH}: {} ({:.0}/s) | raw SQLite bulk insert of the same rows, one transaction: {} ({:.0}/s) | throughput ratio hub/raw = {ratio:.3}× (target ≥ 0.5×: {})",
        secs(ingest),
        rate(ingest),
        secs(raw_one),
        rate(raw_one),
        if ratio >= 0.5 { "met" } else { "NOT met" }
    );
    println!(
        "  the same raw insert committed every {BATCH} rows (the durability the hub gives each batch): {} ({:.0}/s) | hub/raw-per-batch = {:.3}×",
        secs(raw_batched),
        rate(raw_batched),
        raw_batched.as_secs_f64() / ingest.as_secs_f64()
    );

    // ---- series: 90 days of per-minute readings into 1,000 buckets
    let (id, base) = known[0].clone();
    let s0: DateTime<Utc> = "2024-01-01T00:00:00Z".parse()?;
    let minutes = 90 * 24 * 60;
    let rows: Vec<(String, String, f64)> = (0..minutes)
        .map(|m| {
            let at = s0 + chrono::Duration::minutes(m);
            (id.clone(), ts(at), base + ((m * 7919) % 1000) as f64 / 1000.0)
        })
        .collect();
    for chunk in rows.chunks(5000) {
        post(&http, &url, &feed, chunk).await?;
    }
    let s1 = s0 + chrono::Duration::days(90);
    let step = 90 * 86_400 / 1000;
    let query = format!(
        "{url}/api/v1/indicators/{id}/series?from={}&to={}&step={step}",
        ts(s0),
        ts(s1)
    );
    const RUNS: usize = 15;
    let mut hub_times = Vec::new();
    let mut points = 0;
    let mut answered_step = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let body: serde_json::Value = http
            .get(&query)
            .bearer_auth(&feed)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        hub_times.push(start.elapsed());
        points = body["points"].as_array().map(Vec::len).unwrap_or(0);
        answered_step = body["step"].as_i64().unwrap_or(0);
    }
    let raw = rusqlite::Connection::open_with_flags(&hub_db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut raw_times = Vec::new();
    let mut raw_points = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let mut st = raw.prepare_cached(
            "SELECT CAST(strftime('%s', at) AS INTEGER) / ?4 AS b, AVG(value), MIN(value), MAX(value)
             FROM readings WHERE indicator = ?1 AND at >= ?2 AND at < ?3 GROUP BY b ORDER BY b",
        )?;
        let n = st
            .query_map(rusqlite::params![id, ts(s0), ts(s1), step], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, f64>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, f64>(3)?,
                ))
            })?
            .count();
        raw_times.push(start.elapsed());
        raw_points = n;
    }
    hub_times.sort();
    raw_times.sort();
    let (h, r) = (hub_times[RUNS / 2], raw_times[RUNS / 2]);
    let ratio = h.as_secs_f64() / r.as_secs_f64();
    println!(
        "series of {minutes} per-minute readings (90 days), step {step} s asked: {} median over HTTP ({points} points, step {answered_step} s answered, from hourly rollups) | raw SQL aggregate of the same rows into {raw_points} buckets on the hub's file: {} | ratio hub/raw = {ratio:.3}× (target ≤ 2×: {})",
        secs(h),
        secs(r),
        if ratio <= 2.0 { "met" } else { "NOT met" }
    );
    drop(hub);
    Ok(())
}
