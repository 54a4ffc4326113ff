//! The vital-sign feed: every replayed series' readings, the last day back-filled first, then whatever falls due
//! each tick, posted in batches to a sink (the hub's `POST /api/v1/readings` once it has one; a vector in
//! tests). A batch the sink refuses is kept and sent again with the next one: the hub stores an
//! `(indicator, at)` once and counts a repeat as a duplicate, so resending is always safe.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::series::{Reading, Replay};

/// Where readings go.
pub trait ReadingSink {
    fn post(&self, readings: &[Reading]) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The hub: readings go to `POST /api/v1/readings` (as an account that may post them: `feed`).
impl ReadingSink for citydeck_client::HubClient {
    async fn post(&self, readings: &[Reading]) -> anyhow::Result<()> {
        self.post_readings(readings).await?;
        Ok(())
    }
}

/// How far back the vital signs are filled when the feed starts (the cockpit's sparklines show the last day).
pub const BACKFILL: chrono::Duration = chrono::Duration::hours(24);

/// Posts the vital signs of `city` (its scenario packs' real series, replayed shifted to now: the last
/// [`BACKFILL`] first — or one cadence of the slowest series, if longer —, then what falls due) to `sink` every `every`, for `ticks` ticks (`None`: until the task
/// is dropped). A city without packs or series posts nothing.
pub async fn run_vital_signs<S: ReadingSink + Sync>(
    city: &crate::CityConfig,
    sink: &S,
    every: std::time::Duration,
    ticks: Option<u64>,
) -> anyhow::Result<FeedStats> {
    let (Some(packs_dir), Some(series_dir)) = (&city.data.scenarios, &city.data.series) else {
        tracing::info!(city = %city.id, "no scenario packs or series: no vital signs");
        return Ok(FeedStats::default());
    };
    let now = Utc::now();
    let packs = crate::scenarios::load_scenarios(packs_dir)?;
    let replays = crate::scenarios::replays(&packs, series_dir, now)?;
    // At least one cadence of the slowest series, so a monthly indicator has its latest reading at once.
    let backfill = replays
        .iter()
        .map(|r| r.series.cadence)
        .max()
        .map_or(BACKFILL, |c| c.max(BACKFILL));
    tracing::info!(indicators = replays.len(), "replaying the vital signs");
    let mut feed = ReadingFeed::new(replays, now, backfill);
    Ok(run_readings(&mut feed, sink, every, 500, ticks, Utc::now).await)
}

/// The most readings kept for a sink that keeps failing; the oldest are dropped beyond it (and counted).
pub const MAX_PENDING: usize = 100_000;

/// The replays and how far they have been sent.
#[derive(Debug, Clone)]
pub struct ReadingFeed {
    replays: Vec<Replay>,
    sent_to: DateTime<Utc>,
    pending: Vec<Reading>,
    /// Readings dropped because the sink kept failing.
    pub dropped: u64,
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Readings the sink took.
    pub sent: u64,
    /// Batches the sink refused (their readings are sent again).
    pub failed_batches: u64,
    pub dropped: u64,
}

impl ReadingFeed {
    /// A feed whose first [`due`](Self::due) returns the readings of `(start - backfill, now]`.
    pub fn new(replays: Vec<Replay>, start: DateTime<Utc>, backfill: chrono::Duration) -> Self {
        ReadingFeed {
            replays,
            sent_to: start - backfill,
            pending: Vec::new(),
            dropped: 0,
        }
    }

    /// The readings of every replay due since the last call, up to `now`, oldest first (by time, then by
    /// indicator). A clock that went back yields nothing until it passes the last `now` again.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Reading> {
        if now <= self.sent_to {
            return Vec::new();
        }
        let from = self.sent_to;
        let mut out: Vec<Reading> = self.replays.iter().flat_map(|r| r.readings(from, now)).collect();
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.indicator.cmp(&b.indicator)));
        self.sent_to = now;
        out
    }

    /// One tick: what is due at `now` plus what the sink refused before, posted in batches of at most
    /// `batch`; a refused batch and everything after it are kept for the next tick.
    pub async fn tick<S: ReadingSink + Sync>(
        &mut self,
        sink: &S,
        now: DateTime<Utc>,
        batch: usize,
    ) -> FeedStats {
        let mut stats = FeedStats::default();
        let due = self.due(now);
        self.pending.extend(due);
        if self.pending.len() > MAX_PENDING {
            let over = self.pending.len() - MAX_PENDING;
            self.pending.drain(..over);
            self.dropped += over as u64;
            stats.dropped = over as u64;
            tracing::warn!(
                dropped = over,
                "the readings sink keeps failing; dropping the oldest readings"
            );
        }
        let batch = batch.max(1);
        let mut done = 0;
        while done < self.pending.len() {
            let end = (done + batch).min(self.pending.len());
            match sink.post(&self.pending[done..end]).await {
                Ok(()) => {
                    stats.sent += (end - done) as u64;
                    done = end;
                }
                Err(e) => {
                    tracing::warn!("posting readings failed: {e:#}");
                    stats.failed_batches += 1;
                    break;
                }
            }
        }
        self.pending.drain(..done);
        stats
    }

    /// Readings waiting for the sink.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// Ticks the feed every `every` (the first tick at once) with the time `clock` says, for `ticks` ticks or for
/// ever; returns what it did.
pub async fn run_readings<S: ReadingSink + Sync>(
    feed: &mut ReadingFeed,
    sink: &S,
    every: std::time::Duration,
    batch: usize,
    ticks: Option<u64>,
    clock: impl Fn() -> DateTime<Utc>,
) -> FeedStats {
    let mut interval = tokio::time::interval(every.max(std::time::Duration::from_millis(1)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut total = FeedStats::default();
    let mut n = 0u64;
    while ticks.is_none_or(|t| n < t) {
        interval.tick().await;
        let s = feed.tick(sink, clock(), batch).await;
        total.sent += s.sent;
        total.failed_batches += s.failed_batches;
        total.dropped += s.dropped;
        n += 1;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::parse_series;
    use chrono::Duration;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn replays(now: DateTime<Utc>) -> Vec<Replay> {
        let load = "time,demand_mw\n2000-06-05T00:00:00+01:00,1\n2000-06-05T00:30:00+01:00,2\n\
                    2000-06-05T01:00:00+01:00,3\n";
        let flow = "Time,Water flow [l/s]\n2022-03-20T11:00:00+01:00,100\n2022-03-20T13:00:00+01:00,24\n";
        vec![
            Replay::new(
                "power_load",
                parse_series("load-taylor.csv", load, "demand_mw").unwrap(),
                now,
            ),
            Replay::new(
                "water_flow",
                parse_series("water-flow.csv", flow, "Water flow [l/s]").unwrap(),
                now,
            ),
        ]
    }

    #[derive(Default)]
    struct Sink {
        got: Mutex<Vec<Vec<Reading>>>,
        fail_next: AtomicUsize,
    }

    impl ReadingSink for Sink {
        async fn post(&self, readings: &[Reading]) -> anyhow::Result<()> {
            if self.fail_next.load(Ordering::SeqCst) > 0 {
                self.fail_next.fetch_sub(1, Ordering::SeqCst);
                anyhow::bail!("hub down");
            }
            self.got.lock().unwrap().push(readings.to_vec());
            Ok(())
        }
    }

    #[test]
    fn the_first_due_back_fills_then_only_new_readings_come() {
        let now = at("2026-12-07T05:10:00Z");
        let mut feed = ReadingFeed::new(replays(now), now, Duration::hours(3));
        let first = feed.due(now);
        // power: half-hours after 02:10 up to 05:00 (6); water: hours 03:00, 05:00 (04:00 is the record's gap)
        let power = first.iter().filter(|r| r.indicator == "power_load").count();
        let water: Vec<_> = first
            .iter()
            .filter(|r| r.indicator == "water_flow")
            .map(|r| r.at)
            .collect();
        assert_eq!(power, 6);
        assert_eq!(water, [at("2026-12-07T03:00:00Z"), at("2026-12-07T05:00:00Z")]);
        assert!(first
            .windows(2)
            .all(|w| (w[0].at, &w[0].indicator) <= (w[1].at, &w[1].indicator)));
        assert!(feed.due(now).is_empty(), "nothing twice");
        assert!(
            feed.due(now - Duration::hours(1)).is_empty(),
            "a clock going back yields nothing"
        );
        let next = feed.due(now + Duration::minutes(30));
        assert_eq!(next.len(), 1);
        assert_eq!(
            (next[0].indicator.as_str(), next[0].at),
            ("power_load", at("2026-12-07T05:30:00Z"))
        );
    }

    #[tokio::test]
    async fn batches_go_out_in_order_and_a_refused_one_is_sent_again() {
        let now = at("2026-12-07T05:10:00Z");
        let mut feed = ReadingFeed::new(replays(now), now, Duration::hours(3));
        let sink = Sink::default();
        sink.fail_next.store(1, Ordering::SeqCst);
        let s = feed.tick(&sink, now, 3).await;
        assert_eq!(
            s,
            FeedStats {
                sent: 0,
                failed_batches: 1,
                dropped: 0
            }
        );
        assert_eq!(feed.pending(), 8);
        let s = feed.tick(&sink, now + Duration::minutes(30), 3).await;
        assert_eq!(s.sent, 9);
        assert_eq!(feed.pending(), 0);
        let got = sink.got.lock().unwrap().clone();
        assert_eq!(got.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3]);
        let flat: Vec<&Reading> = got.iter().flatten().collect();
        assert!(flat.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(flat.last().unwrap().at, at("2026-12-07T05:30:00Z"));
        // a sink failing half-way keeps the rest, in order
        let mut feed = ReadingFeed::new(replays(now), now, Duration::hours(3));
        let sink = Sink::default();
        let _ = feed.tick(&sink, now - Duration::hours(2), 2).await;
        let before = sink.got.lock().unwrap().iter().flatten().count();
        sink.fail_next.store(1, Ordering::SeqCst);
        let s = feed.tick(&sink, now, 100).await;
        assert_eq!((s.sent, s.failed_batches), (0, 1));
        let kept = feed.pending();
        let s = feed.tick(&sink, now, 100).await;
        assert_eq!(s.sent as usize, kept);
        assert_eq!(sink.got.lock().unwrap().iter().flatten().count(), before + kept);
    }

    #[tokio::test(start_paused = true)]
    async fn the_run_paces_ticks_on_its_clock() {
        let start = at("2026-12-07T05:10:00Z");
        let t0 = tokio::time::Instant::now();
        let clock = move || start + Duration::from_std(t0.elapsed()).unwrap();
        let mut feed = ReadingFeed::new(replays(start), start, Duration::hours(3));
        let sink = Sink::default();
        // 5 ticks 15 minutes apart: the back-fill at 05:10, then 05:25 … 06:10
        let s = run_readings(
            &mut feed,
            &sink,
            std::time::Duration::from_secs(900),
            500,
            Some(5),
            clock,
        )
        .await;
        assert_eq!(t0.elapsed(), std::time::Duration::from_secs(3600));
        // back-fill 8; then power 05:30, 06:00; water 06:00 (the loop's first value)
        assert_eq!(
            s,
            FeedStats {
                sent: 11,
                failed_batches: 0,
                dropped: 0
            }
        );
        let got = sink.got.lock().unwrap().clone();
        assert_eq!(got.len(), 3, "a tick with nothing due posts nothing: {got:?}");
        let water_6 = got
            .iter()
            .flatten()
            .find(|r| r.indicator == "water_flow" && r.at == at("2026-12-07T06:00:00Z"));
        assert_eq!(water_6.map(|r| r.value), Some(100.0));
    }
}
