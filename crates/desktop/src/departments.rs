//! The city's departments on the desktop (分流交办, issue 24): the shell keeps the list the hub serves in the cache
//! (`Cache::store_departments`, replaced whole) so the 交办 form names them offline too; the snapshot carries it
//! (`cockpit::snapshot`). Here: when the shell fetches it again.

use std::time::Duration;

/// How often a desktop that has the list asks for it again (departments change with the city file, rarely).
pub const REFRESH_EVERY: Duration = Duration::from_secs(300);
/// How soon it asks again after a failed fetch (the hub not reachable yet, or a hub without the endpoint).
pub const RETRY_EVERY: Duration = Duration::from_secs(15);

/// How long the shell waits before the next fetch: [`REFRESH_EVERY`] after one that succeeded,
/// [`RETRY_EVERY`] after one that failed.
pub fn next_fetch(fetched: bool) -> Duration {
    if fetched {
        REFRESH_EVERY
    } else {
        RETRY_EVERY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cache_with, now};
    use citydeck_protocol::closed_loop::{DepartmentList, DepartmentView};
    use citydeck_protocol::indicators::LocalizedName;
    use citydeck_protocol::IncidentClass;

    fn dept(id: &str, parent: Option<&str>) -> DepartmentView {
        DepartmentView {
            id: id.into(),
            name: LocalizedName {
                zh: format!("{id}局"),
                en: id.into(),
            },
            parent: parent.map(str::to_owned),
            kinds: vec![IncidentClass::Accident],
        }
    }

    #[test]
    fn the_fetched_list_replaces_the_cached_one() {
        let mut c = cache_with(vec![]);
        let list = DepartmentList {
            departments: vec![dept("command", None), dept("fire", Some("command"))],
        };
        c.store_departments(&list.departments, now()).unwrap();
        assert_eq!(c.cached_departments().unwrap(), list.departments);
        c.store_departments(&DepartmentList::default().departments, now())
            .unwrap();
        assert!(c.cached_departments().unwrap().is_empty());
    }

    #[test]
    fn a_failed_fetch_is_retried_sooner_than_a_good_one_is_refreshed() {
        assert!(next_fetch(false) < next_fetch(true));
        assert_eq!(next_fetch(true), REFRESH_EVERY);
    }
}
