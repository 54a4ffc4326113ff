//! `cargo xtask bench loop`: the closed loop's clock and 考核 measured against baselines taken in the same run,
//! on the hub's own storage (release build, SQLite file, synchronous=FULL, the demo city's departments).
//!
//! `citydeck-bench-loop <work dir> [open incidents] [closed incidents]` builds a log through the hub's push path
//! (1,000 ops per push): by default 100,000 open incidents (created, identified, routed to a department: 3
//! events each) and 100,000 closed ones (7 events each: created, identified, routed, assigned, handling,
//! feedback, closed) — 1,000,000 events — then prints one line per measurement:
//! - tick, none due: one tick of the clock when nothing is due (the common case, every second) vs an indexed
//!   SELECT of the due rows on the same file — target ≤ 2×;
//! - tick, 100 due: one tick finding 100 due incidents among the open ones and writing their `incident_overdue`
//!   events (one write transaction) vs the indexed SELECT of the same 100 rows (id and body) — target ≤ 2×;
//! - evaluation: `GET /api/v1/evaluation`'s computation over the whole log vs a raw scan of the events table
//!   (`GROUP BY kind`) — target ≤ 2 s.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use citydeck_hub::db::push::PushItem;
use citydeck_hub::Db;
use citydeck_protocol::{Op, PushOp, Stage};
use serde_json::json;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn ts(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

struct Pusher<'a> {
    db: &'a Db,
    client: uuid::Uuid,
    seq: u64,
    batch: Vec<PushItem>,
}

impl Pusher<'_> {
    fn op(&mut self, op: Op) -> anyhow::Result<()> {
        self.seq += 1;
        self.batch.push(PushItem::Op(PushOp {
            op_id: uuid::Uuid::now_v7(),
            client_seq: self.seq,
            op,
        }));
        if self.batch.len() == 1000 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        let items = std::mem::take(&mut self.batch);
        if items.is_empty() {
            return Ok(());
        }
        let results = self
            .db
            .push(self.client, "operator", None, items, |_| Ok(()), true, |_, _| {})?;
        if let Some(bad) = results
            .iter()
            .find(|r| r.status != citydeck_protocol::PushStatus::Applied)
        {
            anyhow::bail!("a setup op was not applied: {bad:?}");
        }
        Ok(())
    }
}

fn create(id: uuid::Uuid, n: usize, grade: &str) -> Op {
    serde_json::from_value(json!({"kind": "create_incident", "incident_id": id,
        "title": format!("井盖缺失 {n}"), "class": "accident", "grade": grade,
        "lon": 9.52 + (n % 100) as f64 * 0.0005, "lat": 47.14 + (n / 100 % 100) as f64 * 0.0005,
        "source": "bench"}))
    .expect("a create op")
}

fn stage(id: uuid::Uuid, from: Stage, to: Stage) -> Op {
    Op::ChangeStage {
        incident_id: id,
        from: Some(from),
        to,
    }
}

fn assign(id: uuid::Uuid, dept: &str) -> Op {
    Op::Assign {
        incident_id: id,
        assignee: format!("{dept}-duty"),
        department: Some(dept.to_string()),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let work = PathBuf::from(
        args.get(1)
            .map(String::as_str)
            .unwrap_or("/tmp/citydeck-bench-loop"),
    );
    let open: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let closed: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let path = work.join("hub.sqlite");
    let db = Db::open(&path)?;
    let city = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/city/liechtenstein.toml");
    let departments = citydeck_hub::read_city(&city)?.departments;
    // grade I waits 2 s in 采集 (the 100 that will be due), every other grade an hour
    db.set_loop_rules(citydeck_domain::stage_clock::LoopRules {
        limits: citydeck_domain::stage_clock::StageLimits::parse(
            "[stages]\ncollected = \"1h\"\nidentified = \"1h\"\nassigned = \"1h\"\n[grade.I]\ncollected = \"2s\"\n",
        )?,
        departments,
    });
    let depts = ["fire", "health", "police", "emergency"];
    let mut p = Pusher {
        db: &db,
        client: uuid::Uuid::now_v7(),
        seq: 0,
        batch: Vec::new(),
    };
    let started = Instant::now();
    for n in 0..closed {
        let id = uuid::Uuid::now_v7();
        p.op(create(id, n, "III"))?;
        p.op(stage(id, Stage::Collected, Stage::Identified))?;
        p.op(assign(id, depts[n % depts.len()]))?;
        p.op(stage(id, Stage::Identified, Stage::Assigned))?;
        p.op(stage(id, Stage::Assigned, Stage::Handling))?;
        p.op(stage(id, Stage::Handling, Stage::Feedback))?;
        p.op(stage(id, Stage::Feedback, Stage::Closed))?;
    }
    for n in 0..open {
        let id = uuid::Uuid::now_v7();
        p.op(create(id, n, "III"))?;
        p.op(stage(id, Stage::Collected, Stage::Identified))?;
        p.op(assign(id, depts[n % depts.len()]))?;
    }
    p.flush()?;
    let head = db.head()?;
    eprintln!(
        "setup: {head} events ({open} open incidents, {closed} closed) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let raw = rusqlite::Connection::open(&path)?;
    let select = |now: chrono::DateTime<Utc>| -> anyhow::Result<(usize, Duration)> {
        let t = Instant::now();
        let mut st = raw.prepare_cached(
            "SELECT id, body FROM incidents WHERE due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at LIMIT 1000",
        )?;
        let rows: Vec<(String, String)> = st
            .query_map([ts(now)], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok((rows.len(), t.elapsed()))
    };

    // a tick with nothing due
    let now = Utc::now();
    let mut base = Vec::new();
    let mut tick = Vec::new();
    for _ in 0..21 {
        let (n, d) = select(now)?;
        anyhow::ensure!(n == 0, "nothing is due yet ({n})");
        base.push(d);
        let t = Instant::now();
        let marked = db.mark_overdue(now, 1000, |_, _| {})?;
        tick.push(t.elapsed());
        anyhow::ensure!(marked.is_empty());
    }
    let (b, t) = (median(base), median(tick));
    let ratio = t.as_secs_f64() / b.as_secs_f64();
    println!(
        "tick, none due among {open} open incidents: {} (median of 21) | indexed SELECT of the due rows: {} | ratio tick/SELECT = {ratio:.2}× (target ≤ 2×: {})",
        ms(t),
        ms(b),
        if ratio <= 2.0 { "met" } else { "NOT met" }
    );

    // a tick with 100 due: 100 grade-I incidents created now, due in 2 s
    for n in 0..100 {
        p.op(create(uuid::Uuid::now_v7(), n, "I"))?;
    }
    p.flush()?;
    std::thread::sleep(Duration::from_millis(2100));
    let now = Utc::now();
    let mut base = Vec::new();
    for _ in 0..21 {
        let (n, d) = select(now)?;
        anyhow::ensure!(n == 100, "100 due ({n})");
        base.push(d);
    }
    let b = median(base);
    let t0 = Instant::now();
    let marked = db.mark_overdue(now, 1000, |_, _| {})?;
    let t = t0.elapsed();
    anyhow::ensure!(marked.len() == 100, "100 marked ({})", marked.len());
    let ratio = t.as_secs_f64() / b.as_secs_f64();
    println!(
        "tick, 100 due among {} open incidents: {} (find + 100 incident_overdue events, one write transaction) | indexed SELECT of the same 100 rows: {} | ratio tick/SELECT = {ratio:.1}× (target ≤ 2×: {}; {:.3} ms per event written)",
        open + 100,
        ms(t),
        ms(b),
        if ratio <= 2.0 { "met" } else { "NOT met" },
        t.as_secs_f64() * 1000.0 / 100.0
    );

    // 考核 over the whole log
    let head = db.head()?;
    let from = Utc::now() - chrono::Duration::days(1);
    let to = Utc::now() + chrono::Duration::minutes(1);
    let mut eval = Vec::new();
    let mut scan = Vec::new();
    let mut closed_seen = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let scores = db.evaluation(from, to)?;
        eval.push(t.elapsed());
        closed_seen = scores.iter().map(|s| s.closed).sum::<u64>();
        let t = Instant::now();
        let kinds: Vec<(String, i64)> = raw
            .prepare_cached("SELECT kind, COUNT(*) FROM events GROUP BY kind")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        scan.push(t.elapsed());
        anyhow::ensure!(!kinds.is_empty());
    }
    anyhow::ensure!(
        closed_seen as usize == closed,
        "every closed case scored ({closed_seen})"
    );
    let (e, s) = (median(eval), median(scan));
    println!(
        "evaluation over {head} events: {} (median of 5; {closed_seen} closed cases scored) | raw scan of the events table (GROUP BY kind): {} | ratio = {:.2}× | target ≤ 2 s: {}",
        ms(e),
        ms(s),
        e.as_secs_f64() / s.as_secs_f64(),
        if e <= Duration::from_secs(2) { "met" } else { "NOT met" }
    );
    Ok(())
}
