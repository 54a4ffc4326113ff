//! The clock and local-time formatting, through the browser's `Date` (chrono's clock is not available on wasm32
//! without `wasmbind`, and the machine's time zone is what the hall expects anyway). The only module that reads
//! the clock.

use chrono::{DateTime, Utc};
use js_sys::Date;

use crate::i18n::{self, Lang};

/// Now, in ms since the epoch (wall clock).
pub fn now_ms() -> f64 {
    Date::now()
}

/// Now, as a timestamp.
pub fn now_utc() -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(now_ms() as i64)
}

/// A monotonic clock in ms for measuring durations on the page (`performance.now()`; the wall clock where the
/// page has none).
pub fn monotonic_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(now_ms)
}

pub fn epoch_ms(t: &DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64
}

/// Whole seconds from `t` to `now_ms` (negative clock skew is shown as 0).
pub fn age_secs(now_ms: f64, t: &DateTime<Utc>) -> i64 {
    ((now_ms - epoch_ms(t)) / 1000.0).floor().max(0.0) as i64
}

fn date(ms: f64) -> Date {
    Date::new(&ms.into())
}

/// "14:03:27" (local, 24 h).
pub fn hms(ms: f64) -> String {
    let d = date(ms);
    format!(
        "{:02}:{:02}:{:02}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

/// "2026-03-21 星期六" / "2026-03-21 Sat" (local).
pub fn ymd_weekday(lang: Lang, ms: f64) -> String {
    let d = date(ms);
    format!(
        "{:04}-{:02}-{:02} {}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        i18n::weekday(lang, d.get_day())
    )
}

fn same_day(a: &Date, b: &Date) -> bool {
    a.get_full_year() == b.get_full_year() && a.get_month() == b.get_month() && a.get_date() == b.get_date()
}

/// "03-21 14:03:27" for a past instant, shortened to "14:03:27" when it is today.
pub fn short_stamp(now_ms: f64, ms: f64) -> String {
    let d = date(ms);
    if same_day(&d, &date(now_ms)) {
        hms(ms)
    } else {
        format!("{:02}-{:02} {}", d.get_month() + 1, d.get_date(), hms(ms))
    }
}

/// "14:03:27 · 2 分钟前": [`short_stamp`] of `t` and how long before `now_ms` it was.
pub fn stamp_and_age(lang: Lang, now_ms: f64, t: &DateTime<Utc>) -> String {
    format!(
        "{} · {}",
        short_stamp(now_ms, epoch_ms(t)),
        i18n::age_ago(lang, age_secs(now_ms, t))
    )
}

/// "14:02" (local), with the date when it is not today: "03-21 14:02".
pub fn short_hm(now_ms: f64, ms: f64) -> String {
    let d = date(ms);
    let t = format!("{:02}:{:02}", d.get_hours(), d.get_minutes());
    if same_day(&d, &date(now_ms)) {
        t
    } else {
        format!("{:02}-{:02} {t}", d.get_month() + 1, d.get_date())
    }
}
