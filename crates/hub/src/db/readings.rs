//! The vital signs' readings (城市运行数字体征, issue 21): stored once per `(indicator, at)`, each indicator's
//! newest kept beside them in the same write transaction. A batch is stored whole or not at all.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use citydeck_protocol::indicators::{Reading, ReadingsResult};

use super::Db;
use crate::error::DbResult;
use crate::sql::{p, parse_ts, ts, Row};

impl Db {
    /// Stores `readings` in one write transaction: a reading whose `(indicator, at)` is already stored (or comes
    /// twice in the batch) is a duplicate and changes nothing; a newer reading becomes its indicator's latest.
    pub fn store_readings(&self, readings: &[Reading]) -> DbResult<ReadingsResult> {
        self.write(
            |tx| -> DbResult<ReadingsResult> {
                let mut result = ReadingsResult::default();
                for r in readings {
                    let at = ts(r.at);
                    let n = tx.exec(
                        "INSERT INTO readings (indicator, at, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (indicator, at) DO NOTHING",
                        p![&r.indicator, &at, r.value],
                    )?;
                    if n == 0 {
                        result.duplicates += 1;
                        continue;
                    }
                    result.accepted += 1;
                    tx.exec(
                        "INSERT INTO indicator_latest (indicator, at, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (indicator) DO UPDATE SET at = excluded.at, value = excluded.value
                         WHERE excluded.at > indicator_latest.at",
                        p![&r.indicator, &at, r.value],
                    )?;
                }
                Ok(result)
            },
            |_| {},
        )
    }

    /// Each indicator's newest reading (time, value), by indicator id.
    pub fn latest_readings(&self) -> DbResult<HashMap<String, (DateTime<Utc>, f64)>> {
        self.read(|c| {
            c.rows("SELECT indicator, at, value FROM indicator_latest", &[])?
                .iter_mut()
                .map(|r: &mut Row| Ok((r.text(0)?, (parse_ts(&r.text(1)?)?, r.real(2)?))))
                .collect()
        })
    }
}
