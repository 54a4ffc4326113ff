//! TEMPORARY, until `HubClient::series` (the lead's `GET /api/v1/indicators/{id}/series`) is on main: the same
//! signature answering "not in this build", so the poller and the large chart compile and fall back to the
//! cache. Once the inherent method exists it takes precedence; delete this file and its `use` then.

use chrono::{DateTime, Utc};
use citydeck_protocol::indicators::IndicatorSeries;
use citydeck_sync::{ClientError, HubClient};

pub trait SeriesShim {
    fn series(
        &self,
        id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step_secs: u64,
    ) -> impl std::future::Future<Output = Result<IndicatorSeries, ClientError>> + Send;
}

impl SeriesShim for HubClient {
    async fn series(
        &self,
        _id: &str,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
        _step_secs: u64,
    ) -> Result<IndicatorSeries, ClientError> {
        Err(ClientError::Protocol(
            "the series endpoint is not in this build".into(),
        ))
    }
}
