//! Local-time formatting through the browser's `Date` (chrono's clock is not available on wasm32 without
//! `wasmbind`, and the machine's time zone is what the hall expects anyway).

use chrono::{DateTime, Utc};
use js_sys::Date;

use crate::i18n::{self, Lang};

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

/// "03-21 14:03:27" for a past instant, shortened to "14:03:27" when it is today.
pub fn short_stamp(now_ms: f64, ms: f64) -> String {
    let d = date(ms);
    let n = date(now_ms);
    let same_day = d.get_full_year() == n.get_full_year()
        && d.get_month() == n.get_month()
        && d.get_date() == n.get_date();
    if same_day {
        hms(ms)
    } else {
        format!("{:02}-{:02} {}", d.get_month() + 1, d.get_date(), hms(ms))
    }
}
