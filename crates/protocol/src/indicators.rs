//! The wire types of the vital signs (数字体征, issue 21): indicators with their thresholds and latest reading,
//! readings posted in batches, and bucketed series. Field names are the contract's, exactly.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A name in the UI's languages.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LocalizedName {
    pub zh: String,
    pub en: String,
}

/// Which way an indicator gets worse: `above` (higher is worse) or `below`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IndicatorDirection {
    Above,
    Below,
}

/// A reading's warning level (the national warning colours), in increasing severity.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IndicatorLevel {
    Normal,
    Blue,
    Yellow,
    Orange,
    Red,
}

/// An indicator's thresholds; `blue` is optional.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IndicatorThresholds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue: Option<f64>,
    pub yellow: f64,
    pub orange: f64,
    pub red: f64,
}

/// The newest reading of an indicator and its level.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LatestReading {
    pub at: DateTime<Utc>,
    pub value: f64,
    pub level: IndicatorLevel,
}

/// One indicator of `GET /api/v1/indicators`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IndicatorView {
    pub id: String,
    pub name: LocalizedName,
    pub unit: String,
    /// The id of the scenario pack that defines it.
    pub scenario: String,
    pub direction: IndicatorDirection,
    pub thresholds: IndicatorThresholds,
    /// `null` until the first reading.
    pub latest: Option<LatestReading>,
}

/// `GET /api/v1/indicators`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IndicatorList {
    pub indicators: Vec<IndicatorView>,
}

/// One reading posted to `POST /api/v1/readings`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Reading {
    pub indicator: String,
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// `POST /api/v1/readings` body.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PostReadings {
    pub readings: Vec<Reading>,
}

/// `POST /api/v1/readings` answer: how many were stored, how many were already known (`(indicator, at)`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReadingsResult {
    pub accepted: u64,
    pub duplicates: u64,
}

/// One point of a series: a step's start, the mean, least and greatest reading in it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SeriesPoint {
    pub at: DateTime<Utc>,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

/// `GET /api/v1/indicators/{id}/series?from=&to=&step=`: one point per non-empty step.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IndicatorSeries {
    pub indicator: String,
    /// Seconds.
    pub step: u64,
    pub points: Vec<SeriesPoint>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_contract_field_names_are_exact() {
        let at: DateTime<Utc> = "2026-12-07T05:00:00Z".parse().unwrap();
        let view = IndicatorView {
            id: "power_load".into(),
            name: LocalizedName {
                zh: "电力负荷".into(),
                en: "Power load".into(),
            },
            unit: "MW".into(),
            scenario: "lifeline".into(),
            direction: IndicatorDirection::Above,
            thresholds: IndicatorThresholds {
                blue: None,
                yellow: 1.0,
                orange: 2.0,
                red: 3.5,
            },
            latest: None,
        };
        let v = serde_json::to_value(IndicatorList {
            indicators: vec![view.clone()],
        })
        .unwrap();
        assert_eq!(
            v,
            json!({"indicators": [{"id": "power_load", "name": {"zh": "电力负荷", "en": "Power load"}, "unit": "MW",
                "scenario": "lifeline", "direction": "above", "thresholds": {"yellow": 1.0, "orange": 2.0, "red": 3.5},
                "latest": null}]})
        );
        let with_latest = IndicatorView {
            latest: Some(LatestReading {
                at,
                value: 2.5,
                level: IndicatorLevel::Orange,
            }),
            thresholds: IndicatorThresholds {
                blue: Some(0.5),
                ..view.thresholds
            },
            ..view
        };
        let v = serde_json::to_value(&with_latest).unwrap();
        assert_eq!(
            v["latest"],
            json!({"at": "2026-12-07T05:00:00Z", "value": 2.5, "level": "orange"})
        );
        assert_eq!(v["thresholds"]["blue"], json!(0.5));
        assert_eq!(serde_json::from_value::<IndicatorView>(v).unwrap(), with_latest);

        let post: PostReadings = serde_json::from_value(
            json!({"readings": [{"indicator": "power_load", "at": "2026-12-07T05:00:00Z", "value": 37000}]}),
        )
        .unwrap();
        assert_eq!(post.readings[0].value, 37000.0);
        assert_eq!(
            serde_json::to_value(ReadingsResult {
                accepted: 3,
                duplicates: 1
            })
            .unwrap(),
            json!({"accepted": 3, "duplicates": 1})
        );
        let series = IndicatorSeries {
            indicator: "power_load".into(),
            step: 60,
            points: vec![SeriesPoint {
                at,
                value: 2.0,
                min: 1.0,
                max: 3.0,
            }],
        };
        assert_eq!(
            serde_json::to_value(series).unwrap(),
            json!({"indicator": "power_load", "step": 60, "points": [{"at": "2026-12-07T05:00:00Z", "value": 2.0, "min": 1.0, "max": 3.0}]})
        );
        let levels: Vec<String> = [
            IndicatorLevel::Normal,
            IndicatorLevel::Blue,
            IndicatorLevel::Yellow,
            IndicatorLevel::Orange,
            IndicatorLevel::Red,
        ]
        .iter()
        .map(|l| serde_json::to_value(l).unwrap().as_str().unwrap().to_owned())
        .collect();
        assert_eq!(levels, ["normal", "blue", "yellow", "orange", "red"]);
    }
}
