//! Scoped accounts (三级贯通): an account may be scoped to one area (a district, a street); it sees and acts
//! only on the incidents lying in it. An unscoped account sees and acts everywhere. The hub applies these rules
//! (and filters its reads by the same test in SQL); a desktop may preview them.

use citydeck_protocol::Refusal;

/// Whether an account scoped to `scope` (`None`: the whole city) covers an incident lying in `area_ids` (its
/// `Incident::area_ids`): the incident must lie in the scope's area.
pub fn covers(scope: Option<&str>, area_ids: &[String]) -> bool {
    scope.is_none_or(|s| area_ids.iter().any(|a| a == s))
}

/// Whether an event reaches an account scoped to `scope`: an event about an incident (its `area_ids` given)
/// when the scope covers the incident; an event that concerns no incident (`None`: the mode, screens) always.
pub fn reaches(scope: Option<&str>, incident_areas: Option<&[String]>) -> bool {
    incident_areas.is_none_or(|areas| covers(scope, areas))
}

/// [`covers`] as a refusal: acting on (or reporting) an incident outside the scope is `out_of_scope`.
pub fn check(scope: Option<&str>, area_ids: &[String]) -> Result<(), Refusal> {
    match scope {
        Some(s) if !covers(scope, area_ids) => Err(Refusal::OutOfScope { scope: s.to_string() }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_scope_covers_exactly_the_incidents_in_its_area() {
        let vaduz = ids(&["city", "osm-r50", "osm-r1155955"]);
        assert!(covers(None, &vaduz));
        assert!(
            covers(None, &[]),
            "an unscoped account sees incidents outside every area"
        );
        assert!(covers(Some("osm-r50"), &vaduz));
        assert!(covers(Some("city"), &vaduz));
        assert!(!covers(Some("osm-r49"), &vaduz));
        assert!(
            !covers(Some("osm-r50"), &[]),
            "outside every area is outside every scope"
        );
        assert_eq!(
            check(Some("osm-r49"), &vaduz),
            Err(Refusal::OutOfScope {
                scope: "osm-r49".into()
            })
        );
        assert_eq!(check(Some("osm-r50"), &vaduz), Ok(()));
        assert_eq!(check(None, &[]), Ok(()));
    }

    #[test]
    fn events_about_no_incident_reach_everyone() {
        let schaan = ids(&["city", "osm-r49"]);
        assert!(reaches(Some("osm-r50"), None));
        assert!(reaches(None, Some(&schaan)));
        assert!(reaches(Some("osm-r49"), Some(&schaan)));
        assert!(!reaches(Some("osm-r50"), Some(&schaan)));
    }
}
