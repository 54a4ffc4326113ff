//! The city's departments (issue 24): who 交办 routes an incident to, and the tree 督办 climbs. Declared in the
//! city file:
//!
//! ```toml
//! [[departments]]
//! id = "emergency"
//! name = { zh = "应急管理局", en = "Emergency Management Bureau" }
//! kinds = ["natural_disaster", "accident"]
//!
//! [[departments]]
//! id = "fire"
//! name = { zh = "消防救援支队", en = "Fire and Rescue" }
//! parent = "emergency"
//! kinds = ["accident"]
//! teams = ["rescue"]
//! ```
//!
//! Ids are lowercase letters, digits and `_`; every parent is declared (in any order) and the tree has no cycle;
//! `kinds` are incident classes; `teams` the groups of response teams (`domain::teams`: `rescue`, `medical`,
//! `police`) that belong to it — a group belongs to one department at most. Pure: the hub reads the file and asks these rules.

use citydeck_protocol::IncidentClass;
use toml::Value;

/// One department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: String,
    pub zh: String,
    pub en: String,
    pub parent: Option<String>,
    /// The incident classes it handles.
    pub kinds: Vec<IncidentClass>,
    /// The groups of response teams that belong to it (`rescue`, `medical`, `police`).
    pub teams: Vec<String>,
}

/// The groups of response teams (`domain::teams`).
pub const TEAM_GROUPS: [&str; 3] = ["rescue", "medical", "police"];

/// What is wrong with the departments: the key (`departments[2].parent`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct DepartmentError {
    pub key: String,
    pub problem: String,
}

fn err(key: String, problem: impl Into<String>) -> DepartmentError {
    DepartmentError {
        key,
        problem: problem.into(),
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn string<'a>(t: &'a toml::Table, key: &str, at: &str) -> Result<Option<&'a str>, DepartmentError> {
    match t.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(err(
            format!("{at}.{key}"),
            format!("must be a string, found {}", v.type_str()),
        )),
    }
}

/// The departments of the city file's `[[departments]]` array (`None`: the file declares none).
pub fn parse(value: Option<&Value>) -> Result<Vec<Department>, DepartmentError> {
    let items = match value {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(v) => {
            return Err(err(
                "departments".into(),
                format!(
                    "must be an array of tables ([[departments]]), found {}",
                    v.type_str()
                ),
            ))
        }
    };
    let mut out: Vec<Department> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("departments[{i}]");
        let Value::Table(t) = item else {
            return Err(err(at, "must be a table"));
        };
        if let Some(k) = t
            .keys()
            .find(|k| !["id", "name", "parent", "kinds", "teams"].contains(&k.as_str()))
        {
            return Err(err(
                format!("{at}.{k}"),
                "unknown key (id, name, parent, kinds, teams)",
            ));
        }
        let id = string(t, "id", &at)?.ok_or_else(|| err(format!("{at}.id"), "missing"))?;
        if !valid_id(id) {
            return Err(err(
                format!("{at}.id"),
                format!("`{id}`: lowercase letters, digits and _, starting with a letter, at most 64"),
            ));
        }
        if let Some(j) = out.iter().position(|d| d.id == id) {
            return Err(err(
                format!("{at}.id"),
                format!("`{id}` is already departments[{j}]"),
            ));
        }
        let (zh, en) = match t.get("name") {
            Some(Value::Table(n)) => {
                let get = |l: &str| -> Result<String, DepartmentError> {
                    match n.get(l) {
                        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                        _ => Err(err(format!("{at}.name.{l}"), "missing or blank")),
                    }
                };
                (get("zh")?, get("en")?)
            }
            _ => return Err(err(format!("{at}.name"), "must be { zh = \"…\", en = \"…\" }")),
        };
        let parent = string(t, "parent", &at)?.map(str::to_owned);
        let kinds = match t.get("kinds") {
            None => Vec::new(),
            Some(Value::Array(ks)) => ks
                .iter()
                .enumerate()
                .map(|(k, v)| {
                    v.as_str().and_then(IncidentClass::parse).ok_or_else(|| {
                        err(
                            format!("{at}.kinds[{k}]"),
                            format!(
                                "not an incident class ({})",
                                IncidentClass::ALL.map(|c| c.as_str()).join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(v) => {
                return Err(err(
                    format!("{at}.kinds"),
                    format!("must be an array, found {}", v.type_str()),
                ))
            }
        };
        let teams = match t.get("teams") {
            None => Vec::new(),
            Some(Value::Array(gs)) => gs
                .iter()
                .enumerate()
                .map(|(k, v)| {
                    let key = format!("{at}.teams[{k}]");
                    let g = v.as_str().filter(|g| TEAM_GROUPS.contains(g)).ok_or_else(|| {
                        err(
                            key.clone(),
                            format!("not a team group ({})", TEAM_GROUPS.join(", ")),
                        )
                    })?;
                    match out.iter().position(|d| d.teams.iter().any(|t| t == g)) {
                        Some(j) => Err(err(
                            key,
                            format!("`{g}` teams belong to departments[{j}] already"),
                        )),
                        None => Ok(g.to_owned()),
                    }
                })
                .collect::<Result<_, _>>()?,
            Some(v) => {
                return Err(err(
                    format!("{at}.teams"),
                    format!("must be an array, found {}", v.type_str()),
                ))
            }
        };
        out.push(Department {
            id: id.to_owned(),
            zh,
            en,
            parent,
            kinds,
            teams,
        });
    }
    for (i, d) in out.iter().enumerate() {
        if let Some(p) = &d.parent {
            if !out.iter().any(|o| &o.id == p) {
                return Err(err(
                    format!("departments[{i}].parent"),
                    format!("no department `{p}`"),
                ));
            }
        }
        // walking up from every department ends at a root within as many steps as there are departments
        let mut at = d;
        for _ in 0..=out.len() {
            match at.parent.as_ref().and_then(|p| out.iter().find(|o| &o.id == p)) {
                Some(up) if up.id == d.id => {
                    return Err(err(
                        format!("departments[{i}].parent"),
                        format!("`{}` is its own ancestor", d.id),
                    ))
                }
                Some(up) => at = up,
                None => break,
            }
        }
    }
    Ok(out)
}

/// The departments as `GET /api/v1/departments` lists them: parents before children (a tree walked depth
/// first from its roots, each level in the file's order).
pub fn views(departments: &[Department]) -> Vec<citydeck_protocol::closed_loop::DepartmentView> {
    fn walk<'a>(all: &'a [Department], parent: Option<&str>, out: &mut Vec<&'a Department>) {
        for d in all.iter().filter(|d| d.parent.as_deref() == parent) {
            out.push(d);
            walk(all, Some(&d.id), out);
        }
    }
    let mut order = Vec::with_capacity(departments.len());
    walk(departments, None, &mut order);
    order
        .into_iter()
        .map(|d| citydeck_protocol::closed_loop::DepartmentView {
            id: d.id.clone(),
            name: citydeck_protocol::indicators::LocalizedName {
                zh: d.zh.clone(),
                en: d.en.clone(),
            },
            parent: d.parent.clone(),
            kinds: d.kinds.clone(),
        })
        .collect()
}

/// The department 交办 routes an incident of `class` to: the deepest one declaring the class (the most
/// specific), the first in the file among equals; None when none declares it.
pub fn for_class(departments: &[Department], class: IncidentClass) -> Option<&Department> {
    departments
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kinds.contains(&class))
        .max_by_key(|(i, d)| (ladder(departments, &d.id).len(), std::cmp::Reverse(*i)))
        .map(|(_, d)| d)
}

/// The department a group of response teams belongs to.
pub fn of_team_group<'a>(departments: &'a [Department], group: &str) -> Option<&'a Department> {
    departments.iter().find(|d| d.teams.iter().any(|t| t == group))
}

/// The chain of `id` and its ancestors, nearest first (empty for an unknown id).
pub fn ladder<'a>(departments: &'a [Department], id: &str) -> Vec<&'a Department> {
    let mut out: Vec<&Department> = Vec::new();
    let mut next = departments.iter().find(|d| d.id == id);
    while let Some(d) = next {
        if out.iter().any(|o| o.id == d.id) {
            break;
        }
        out.push(d);
        next = d
            .parent
            .as_ref()
            .and_then(|p| departments.iter().find(|o| &o.id == p));
    }
    out
}

/// Who holds a case on `rung` of the escalation ladder (`stage_clock::rung`): its own department on rungs 0
/// and 1, then one parent up per rung, the top of the tree from there on.
pub fn holder<'a>(departments: &'a [Department], assigned: &str, rung: u32) -> Option<&'a Department> {
    let chain = ladder(departments, assigned);
    let up = rung.saturating_sub(1) as usize;
    chain.get(up.min(chain.len().saturating_sub(1))).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Department>, DepartmentError> {
        let t: toml::Table = text.parse().unwrap();
        parse(t.get("departments"))
    }

    const CITY: &str = r#"
[[departments]]
id = "fire"
name = { zh = "消防救援支队", en = "Fire and Rescue" }
parent = "emergency"
kinds = ["accident"]
teams = ["rescue"]

[[departments]]
id = "emergency"
name = { zh = "应急管理局", en = "Emergency Management Bureau" }
parent = "city"
kinds = ["natural_disaster", "accident"]

[[departments]]
id = "city"
name = { zh = "市政府", en = "City Government" }
"#;

    #[test]
    fn a_tree_in_any_order_and_its_ladder() {
        let d = read(CITY).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].kinds, [IncidentClass::Accident]);
        let ids = |v: Vec<&Department>| v.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(ladder(&d, "fire")), ["fire", "emergency", "city"]);
        assert!(ladder(&d, "nope").is_empty());
        let h = |r| holder(&d, "fire", r).map(|d| d.id.as_str());
        assert_eq!(
            (h(0), h(1), h(2), h(3), h(9)),
            (
                Some("fire"),
                Some("fire"),
                Some("emergency"),
                Some("city"),
                Some("city")
            )
        );
        assert_eq!(read("").unwrap(), []);
    }

    #[test]
    fn listed_parents_first_and_routed_to_the_most_specific() {
        let d = read(CITY).unwrap();
        let v = views(&d);
        let ids: Vec<&str> = v.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["city", "emergency", "fire"]);
        assert_eq!(v[2].parent.as_deref(), Some("emergency"));
        assert_eq!(v[2].name.zh, "消防救援支队");
        let to = |c| for_class(&d, c).map(|d| d.id.as_str());
        assert_eq!(to(IncidentClass::Accident), Some("fire"));
        assert_eq!(to(IncidentClass::NaturalDisaster), Some("emergency"));
        assert_eq!(to(IncidentClass::PublicHealth), None);
        assert_eq!(of_team_group(&d, "rescue").map(|d| d.id.as_str()), Some("fire"));
        assert_eq!(of_team_group(&d, "police"), None);
    }

    #[test]
    fn bad_departments_name_the_key() {
        let e = |t: &str| read(t).unwrap_err().key;
        let one = |extra: &str| {
            format!("[[departments]]\nid = \"a\"\nname = {{ zh = \"甲\", en = \"A\" }}\n{extra}")
        };
        assert_eq!(e(&one("parent = \"b\"")), "departments[0].parent");
        assert_eq!(e(&one("parent = \"a\"")), "departments[0].parent");
        assert_eq!(e(&one("kinds = [\"fire\"]")), "departments[0].kinds[0]");
        assert_eq!(e(&one("colour = 1")), "departments[0].colour");
        assert_eq!(e(&one("teams = [\"navy\"]")), "departments[0].teams[0]");
        assert_eq!(e(&one("teams = \"rescue\"")), "departments[0].teams");
        let twice = "[[departments]]\nid = \"a\"\nname = { zh = \"甲\", en = \"A\" }\nteams = [\"police\"]\n\
                     [[departments]]\nid = \"b\"\nname = { zh = \"乙\", en = \"B\" }\nteams = [\"police\"]";
        assert_eq!(e(twice), "departments[1].teams[0]");
        assert_eq!(e(&format!("{}\n{}", one(""), one(""))), "departments[1].id");
        assert_eq!(
            e("[[departments]]\nid = \"Fire\"\nname = { zh = \"x\", en = \"y\" }"),
            "departments[0].id"
        );
        assert_eq!(
            e("[[departments]]\nid = \"a\"\nname = { zh = \" \", en = \"y\" }"),
            "departments[0].name.zh"
        );
        assert_eq!(e("departments = 3"), "departments");
        // a cycle of two
        let cycle = "[[departments]]\nid = \"a\"\nname = { zh = \"甲\", en = \"A\" }\nparent = \"b\"\n\
                     [[departments]]\nid = \"b\"\nname = { zh = \"乙\", en = \"B\" }\nparent = \"a\"";
        assert_eq!(e(cycle), "departments[0].parent");
    }
}
