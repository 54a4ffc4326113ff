//! The cockpit's drill-down (三级贯通: 全市 › 区 › 街道): where a cockpit may go among the city's areas, the
//! breadcrumb to an area, the areas one level below it, and how the map shades them (the choropleth's measure
//! and classes). Pure rules over the area list as `GET /api/v1/areas` gives it (each area names its parent).

use citydeck_protocol::ipc::AreaMeasure;
use citydeck_protocol::AreaSummary;

/// The deepest chain the rules follow (city › district › street is 3; a broken list that loops stops here).
const MAX_DEPTH: usize = 8;

fn find<'a>(areas: &'a [AreaSummary], id: &str) -> Option<&'a AreaSummary> {
    areas.iter().find(|a| a.id == id)
}

/// The breadcrumb to `id`: the top area first (the city), `id` last. Empty when `id` is unknown.
pub fn path<'a>(areas: &'a [AreaSummary], id: &str) -> Vec<&'a AreaSummary> {
    let mut out = Vec::new();
    let mut at = find(areas, id);
    while let Some(a) = at {
        if out.len() == MAX_DEPTH || out.iter().any(|b: &&AreaSummary| b.id == a.id) {
            break;
        }
        out.push(a);
        at = a.parent.as_deref().and_then(|p| find(areas, p));
    }
    out.reverse();
    out
}

/// The top of the list: the area without a parent (the city), if any.
pub fn top(areas: &[AreaSummary]) -> Option<&AreaSummary> {
    areas.iter().find(|a| a.parent.is_none())
}

/// The areas one level below `id` (a city's districts, a district's streets), in list order; `None`: below the
/// top (the city's districts).
pub fn children<'a>(areas: &'a [AreaSummary], id: Option<&str>) -> Vec<&'a AreaSummary> {
    let Some(id) = id.or_else(|| top(areas).map(|a| a.id.as_str())) else {
        return Vec::new();
    };
    areas.iter().filter(|a| a.parent.as_deref() == Some(id)).collect()
}

/// Whether `id` is `ancestor` or lies below it.
pub fn within(areas: &[AreaSummary], ancestor: &str, id: &str) -> bool {
    path(areas, id).iter().any(|a| a.id == ancestor)
}

/// Where a cockpit scoped to `scope` (None: the whole city) shows when it asks for `want` (None: the top it may
/// see): `want` if known and at or below the scope, else the scope itself. `None` means the whole city. A scope
/// the list does not hold yet is kept (a scoped cockpit never opens above its scope).
pub fn clamp(areas: &[AreaSummary], scope: Option<&str>, want: Option<&str>) -> Option<String> {
    let known = want.filter(|w| find(areas, w).is_some());
    match (scope, known) {
        (None, Some(w)) if top(areas).is_some_and(|t| t.id == w) => None,
        (None, w) => w.map(str::to_string),
        (Some(s), Some(w)) if within(areas, s, w) => Some(w.to_string()),
        (Some(s), _) => Some(s.to_string()),
    }
}

/// The area one level up from `id` that a cockpit scoped to `scope` may go to (None at the top or at its
/// scope). `Some(None)` is the whole city.
pub fn up(areas: &[AreaSummary], scope: Option<&str>, id: &str) -> Option<Option<String>> {
    if scope == Some(id) {
        return None;
    }
    let parent = find(areas, id)?.parent.as_deref()?;
    Some(clamp(areas, scope, Some(parent)))
}

/// What the map shades the areas by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Measure {
    /// Open incidents.
    #[default]
    Open,
    /// Open incidents under supervision (督办: overdue or contested).
    Overdue,
    /// Open incidents of grade I.
    GradeI,
}

impl Measure {
    pub const ALL: [Measure; 3] = [Measure::Open, Measure::Overdue, Measure::GradeI];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Open => "open",
            Measure::Overdue => "overdue",
            Measure::GradeI => "grade_i",
        }
    }

    pub fn of(self, m: &AreaMeasure) -> u64 {
        match self {
            Measure::Open => m.open,
            Measure::Overdue => m.overdue,
            Measure::GradeI => m.grade_i,
        }
    }

    /// The measure of area `id` among `measures` (0 when it has no open incident).
    pub fn value(self, measures: &[AreaMeasure], id: &str) -> u64 {
        measures
            .iter()
            .find(|m| m.area_id == id)
            .map_or(0, |m| self.of(m))
    }
}

/// At most this many shaded classes (plus "none" for 0).
pub const MAX_CLASSES: u64 = 5;

/// The choropleth's classes for values up to `max`: equal ranges `(low, high)` of whole counts from 1 to `max`,
/// at most [`MAX_CLASSES`] of them (fewer when `max` is small: every count its own class), so a legend can say
/// "1–3, 4–6, …". Empty when `max` is 0 (nothing to shade).
pub fn classes(max: u64) -> Vec<(u64, u64)> {
    if max == 0 {
        return Vec::new();
    }
    let k = max.min(MAX_CLASSES);
    let step = max.div_ceil(k);
    (0..k)
        .map(|i| (i * step + 1, ((i + 1) * step).min(max)))
        .take_while(|(lo, hi)| lo <= hi)
        .collect()
}

/// Which of `classes` holds `v` (None for 0 or beyond the last).
pub fn class_of(classes: &[(u64, u64)], v: u64) -> Option<usize> {
    classes.iter().position(|(lo, hi)| (*lo..=*hi).contains(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use citydeck_protocol::AreaLevel;
    use proptest::prelude::*;

    fn a(id: &str, level: AreaLevel, parent: Option<&str>) -> AreaSummary {
        AreaSummary {
            id: id.into(),
            name: id.to_uppercase(),
            level,
            parent: parent.map(str::to_string),
            bbox: [9.47, 47.04, 9.64, 47.27],
            name_zh: None,
            name_en: None,
        }
    }

    fn liechtenstein() -> Vec<AreaSummary> {
        use AreaLevel::*;
        vec![
            a("city", City, None),
            a("oberland", District, Some("city")),
            a("unterland", District, Some("city")),
            a("vaduz", Street, Some("oberland")),
            a("triesen", Street, Some("oberland")),
            a("eschen", Street, Some("unterland")),
        ]
    }

    fn ids(v: &[&AreaSummary]) -> Vec<String> {
        v.iter().map(|a| a.id.clone()).collect()
    }

    #[test]
    fn the_breadcrumb_runs_from_the_city_down() {
        let l = liechtenstein();
        assert_eq!(ids(&path(&l, "vaduz")), ["city", "oberland", "vaduz"]);
        assert_eq!(ids(&path(&l, "city")), ["city"]);
        assert!(path(&l, "atlantis").is_empty());
        let mut looped = l.clone();
        looped[0].parent = Some("vaduz".into());
        assert_eq!(path(&looped, "vaduz").len(), 3, "a loop in a broken list ends");
    }

    #[test]
    fn children_are_one_level_down() {
        let l = liechtenstein();
        assert_eq!(ids(&children(&l, None)), ["oberland", "unterland"]);
        assert_eq!(ids(&children(&l, Some("city"))), ["oberland", "unterland"]);
        assert_eq!(ids(&children(&l, Some("oberland"))), ["vaduz", "triesen"]);
        assert!(children(&l, Some("vaduz")).is_empty());
        assert!(children(&[], None).is_empty());
        assert!(within(&l, "oberland", "vaduz") && within(&l, "vaduz", "vaduz"));
        assert!(!within(&l, "unterland", "vaduz") && !within(&l, "vaduz", "oberland"));
    }

    #[test]
    fn a_scoped_cockpit_opens_at_its_scope_and_never_above_it() {
        let l = liechtenstein();
        // unscoped: anywhere; the city itself is "the whole city" (None)
        assert_eq!(clamp(&l, None, None), None);
        assert_eq!(clamp(&l, None, Some("city")), None);
        assert_eq!(clamp(&l, None, Some("vaduz")).as_deref(), Some("vaduz"));
        assert_eq!(clamp(&l, None, Some("atlantis")), None, "unknown: the whole city");
        // a district account
        let s = Some("oberland");
        assert_eq!(
            clamp(&l, s, None).as_deref(),
            Some("oberland"),
            "opens at its scope"
        );
        assert_eq!(clamp(&l, s, Some("vaduz")).as_deref(), Some("vaduz"));
        assert_eq!(
            clamp(&l, s, Some("city")).as_deref(),
            Some("oberland"),
            "not above"
        );
        assert_eq!(
            clamp(&l, s, Some("eschen")).as_deref(),
            Some("oberland"),
            "not aside"
        );
        // a scope the cache has no areas for yet is still where it opens
        assert_eq!(clamp(&[], Some("vaduz"), None).as_deref(), Some("vaduz"));
        // going up
        assert_eq!(up(&l, None, "vaduz"), Some(Some("oberland".into())));
        assert_eq!(up(&l, None, "oberland"), Some(None), "up to the whole city");
        assert_eq!(up(&l, None, "city"), None);
        assert_eq!(up(&l, s, "vaduz"), Some(Some("oberland".into())));
        assert_eq!(up(&l, s, "oberland"), None, "a scoped cockpit stops at its scope");
        assert_eq!(up(&l, Some("vaduz"), "vaduz"), None);
    }

    #[test]
    fn measures_read_the_right_count() {
        let m = vec![AreaMeasure {
            area_id: "vaduz".into(),
            open: 7,
            overdue: 2,
            grade_i: 1,
        }];
        assert_eq!(Measure::Open.value(&m, "vaduz"), 7);
        assert_eq!(Measure::Overdue.value(&m, "vaduz"), 2);
        assert_eq!(Measure::GradeI.value(&m, "vaduz"), 1);
        assert_eq!(Measure::Open.value(&m, "eschen"), 0, "no open incident: 0");
    }

    #[test]
    fn classes_split_the_counts_into_at_most_five_ranges() {
        assert!(classes(0).is_empty());
        assert_eq!(classes(1), [(1, 1)]);
        assert_eq!(classes(3), [(1, 1), (2, 2), (3, 3)]);
        assert_eq!(classes(10), [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]);
        assert_eq!(classes(12), [(1, 3), (4, 6), (7, 9), (10, 12)]);
        assert_eq!(class_of(&classes(10), 0), None);
        assert_eq!(class_of(&classes(10), 4), Some(1));
        assert_eq!(class_of(&classes(10), 11), None);
    }

    proptest! {
        #[test]
        fn every_count_up_to_the_max_has_exactly_one_class(max in 0u64..100_000) {
            let c = classes(max);
            prop_assert!(c.len() as u64 <= MAX_CLASSES);
            if max > 0 {
                prop_assert_eq!(c[0].0, 1);
                prop_assert_eq!(c.last().unwrap().1, max);
            }
            for w in c.windows(2) {
                prop_assert_eq!(w[0].1 + 1, w[1].0, "contiguous, no overlap");
            }
            for v in [1, max / 2, max].into_iter().filter(|v| (1..=max).contains(v)) {
                prop_assert!(class_of(&c, v).is_some());
            }
        }
    }
}
