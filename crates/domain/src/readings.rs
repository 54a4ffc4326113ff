//! `POST /api/v1/readings`: a batch of readings validated from raw JSON, naming the item at fault
//! (`readings[3].indicator`). A batch is all or nothing: the first bad item refuses the whole of it.

use chrono::{DateTime, Utc};
use citydeck_protocol::indicators::Reading;
use serde_json::Value;

use crate::incident::FieldError;

/// The most readings one request may carry.
pub const MAX_READINGS_PER_BATCH: usize = 10_000;

/// Validates a readings body: `{"readings": [{"indicator", "at", "value"}, …]}`. `known(id)` says whether an
/// indicator exists. An unknown indicator, a value that is not a finite number or a time that is not RFC 3339 is
/// refused naming the item's field; other keys of an item are ignored (the contract only ever grows).
pub fn parse_readings(body: &Value, known: impl Fn(&str) -> bool) -> Result<Vec<Reading>, FieldError> {
    let obj = body
        .as_object()
        .ok_or_else(|| FieldError::wrong_type("body", "object"))?;
    let items = match obj.get("readings") {
        None | Some(Value::Null) => return Err(FieldError::required("readings")),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(FieldError::wrong_type("readings", "array")),
    };
    if items.len() > MAX_READINGS_PER_BATCH {
        return Err(FieldError::new(
            "readings",
            format!("at most {MAX_READINGS_PER_BATCH} readings in one request"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let key = format!("readings[{i}]");
            match item.as_object() {
                Some(obj) => reading(obj, &known).map_err(|e| e.nested(&key)),
                None => Err(FieldError::wrong_type(&key, "object")),
            }
        })
        .collect()
}

fn reading(
    obj: &serde_json::Map<String, Value>,
    known: &impl Fn(&str) -> bool,
) -> Result<Reading, FieldError> {
    let indicator = match obj.get("indicator") {
        None | Some(Value::Null) => return Err(FieldError::required("indicator")),
        Some(Value::String(s)) => s,
        Some(_) => return Err(FieldError::wrong_type("indicator", "string")),
    };
    if !known(indicator) {
        return Err(FieldError::new(
            "indicator",
            format!("no indicator {indicator:?} in the scenario packs"),
        ));
    }
    let at: DateTime<Utc> = match obj.get("at") {
        None | Some(Value::Null) => return Err(FieldError::required("at")),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map_err(|_| FieldError::wrong_type("at", "timestamp"))?
            .with_timezone(&Utc),
        Some(_) => return Err(FieldError::wrong_type("at", "timestamp")),
    };
    let value = match obj.get("value") {
        None | Some(Value::Null) => return Err(FieldError::required("value")),
        Some(Value::Number(n)) => n.as_f64().filter(|v| v.is_finite()),
        Some(_) => return Err(FieldError::wrong_type("value", "number")),
    }
    .ok_or_else(|| FieldError::new("value", "must be a finite number"))?;
    Ok(Reading {
        indicator: indicator.clone(),
        at,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::Refusal;
    use serde_json::json;

    fn known(id: &str) -> bool {
        matches!(id, "power_load" | "water_flow")
    }

    fn field_of(body: Value) -> String {
        parse_readings(&body, known)
            .expect_err("a bad batch was accepted")
            .field
    }

    #[test]
    fn a_good_batch_is_read_in_order() {
        let body = json!({"readings": [
            {"indicator": "power_load", "at": "2026-12-07T05:00:00+01:00", "value": 37000},
            {"indicator": "water_flow", "at": "2026-12-07T04:00:00Z", "value": 24.24, "quality": "ok"},
        ]});
        let r = parse_readings(&body, known).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].at.to_rfc3339(), "2026-12-07T04:00:00+00:00");
        assert_eq!((r[0].value, r[1].value), (37000.0, 24.24));
        assert!(parse_readings(&json!({"readings": []}), known)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn the_bad_item_is_named() {
        let ok = json!({"indicator": "power_load", "at": "2026-12-07T05:00:00Z", "value": 1});
        let with = |i: usize, item: Value| {
            let mut items = vec![ok.clone(); 5];
            items[i] = item;
            json!({ "readings": items })
        };
        assert_eq!(
            field_of(with(
                3,
                json!({"indicator": "gas", "at": "2026-12-07T05:00:00Z", "value": 1})
            )),
            "readings[3].indicator"
        );
        assert_eq!(
            field_of(with(0, json!({"at": "2026-12-07T05:00:00Z", "value": 1}))),
            "readings[0].indicator"
        );
        assert_eq!(
            field_of(with(
                4,
                json!({"indicator": "power_load", "at": "yesterday", "value": 1})
            )),
            "readings[4].at"
        );
        assert_eq!(
            field_of(with(
                2,
                json!({"indicator": "power_load", "at": 1765083600, "value": 1})
            )),
            "readings[2].at"
        );
        assert_eq!(
            field_of(with(
                1,
                json!({"indicator": "power_load", "at": "2026-12-07T05:00:00Z", "value": "7"})
            )),
            "readings[1].value"
        );
        assert_eq!(
            field_of(with(
                1,
                json!({"indicator": "power_load", "at": "2026-12-07T05:00:00Z"})
            )),
            "readings[1].value"
        );
        assert_eq!(field_of(with(2, json!(7))), "readings[2]");
        assert_eq!(field_of(json!({"readings": {}})), "readings");
        assert_eq!(field_of(json!({})), "readings");
        assert_eq!(field_of(json!([])), "body");
        let too_many = json!({ "readings": vec![ok.clone(); MAX_READINGS_PER_BATCH + 1] });
        assert_eq!(field_of(too_many), "readings");
        // the refusal carries the same field, coded where it can be
        let e =
            parse_readings(&with(0, json!({"at": "2026-12-07T05:00:00Z", "value": 1})), known).unwrap_err();
        assert_eq!(
            e.refusal,
            Refusal::FieldRequired {
                field: "readings[0].indicator".into()
            }
        );
    }
}
