//! Scenario packs (业务小脑): each business scenario declares its vital-sign indicators (数字体征), their
//! warning thresholds in the national colours, and the map layers and panels its screens show. A pack is a TOML
//! file (`data/scenarios/*.toml`); this module reads one from its text and checks a set of them together. No
//! file system here: the caller reads the files and passes their names, which errors are prefixed with.
//!
//! ```toml
//! id = "lifeline"
//! name = { zh = "城市生命线", en = "City lifelines" }
//! layers = ["incidents", "resources", "sensors"]
//! panels = ["power_load", "water_flow"]        # indicator ids, of this pack or another
//!
//! [[indicators]]
//! id = "power_load"
//! name = { zh = "电力负荷", en = "Power load" }
//! unit = "MW"
//! direction = "above"                            # above: higher is worse; below: lower is worse
//! class = "accident"                             # the class of the incident a crossing raises
//! normal_readings_to_end = 4                     # consecutive normal readings that end an episode
//! thresholds = { blue = 35880, yellow = 36900, orange = 37300, red = 37700 }
//! replay = { series = "load-taylor.csv", column = "demand_mw" }   # optional: the simulator's real series
//! ```
//!
//! Every error names the key at fault (`indicators[2].thresholds.red`); unknown keys are errors too, so a typo
//! never silently drops a threshold.

use citydeck_protocol::IncidentClass;
use toml::{Table, Value};

use crate::indicators::{Direction, Level};

/// The map layers a pack may show (the cockpit's layer switcher).
pub const MAP_LAYERS: [&str; 5] = ["incidents", "resources", "sensors", "districts", "heat"];
pub const MAX_ID_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_UNIT_CHARS: usize = 24;
pub const MAX_NORMAL_READINGS_TO_END: i64 = 10_000;

/// Text in the UI's languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

/// The thresholds of an indicator, strictly ordered in its direction (for `above`: blue < yellow < orange <
/// red; for `below`: blue > yellow > orange > red). A reading at a threshold has reached it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub blue: Option<f64>,
    pub yellow: f64,
    pub orange: f64,
    pub red: f64,
}

impl Thresholds {
    /// The threshold of a warning level (`None` for normal, and for blue when the pack has none).
    pub fn of(&self, level: Level) -> Option<f64> {
        match level {
            Level::Normal => None,
            Level::Blue => self.blue,
            Level::Yellow => Some(self.yellow),
            Level::Orange => Some(self.orange),
            Level::Red => Some(self.red),
        }
    }
}

/// Where the simulator replays an indicator's readings from: a real series file and its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub series: String,
    pub column: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: String,
    pub name: Text,
    pub unit: String,
    pub direction: Direction,
    pub thresholds: Thresholds,
    /// The class of the incident a crossing into yellow/orange/red raises.
    pub class: IncidentClass,
    /// How many consecutive normal readings end an episode (at least 1).
    pub normal_readings_to_end: u32,
    pub replay: Option<Replay>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    pub id: String,
    pub name: Text,
    pub indicators: Vec<Indicator>,
    /// Of [`MAP_LAYERS`], no repeats.
    pub layers: Vec<String>,
    /// Indicator ids shown as panels, of any pack of the set.
    pub panels: Vec<String>,
}

impl Indicator {
    /// The indicator as `GET /api/v1/indicators` lists it, in pack `scenario`, with its latest reading if any.
    pub fn view(
        &self,
        scenario: &str,
        latest: Option<citydeck_protocol::indicators::LatestReading>,
    ) -> citydeck_protocol::indicators::IndicatorView {
        use citydeck_protocol::indicators as wire;
        wire::IndicatorView {
            id: self.id.clone(),
            name: wire::LocalizedName {
                zh: self.name.zh.clone(),
                en: self.name.en.clone(),
            },
            unit: self.unit.clone(),
            scenario: scenario.to_owned(),
            direction: match self.direction {
                Direction::Above => wire::IndicatorDirection::Above,
                Direction::Below => wire::IndicatorDirection::Below,
            },
            thresholds: wire::IndicatorThresholds {
                blue: self.thresholds.blue,
                yellow: self.thresholds.yellow,
                orange: self.thresholds.orange,
                red: self.thresholds.red,
            },
            latest,
        }
    }
}

/// Every indicator of `packs` as the catalogue lists them: pack by pack, each in its pack's order.
pub fn catalogue(packs: &[Pack]) -> Vec<citydeck_protocol::indicators::IndicatorView> {
    packs
        .iter()
        .flat_map(|p| p.indicators.iter().map(|i| i.view(&p.id, None)))
        .collect()
}

/// What is wrong with a pack: the key (`indicators[2].thresholds.red`; empty for the TOML syntax) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}", if key.is_empty() { String::new() } else { format!("{key}: ") })]
pub struct PackError {
    pub key: String,
    pub problem: String,
}

impl PackError {
    fn new(key: &str, problem: impl Into<String>) -> Self {
        PackError {
            key: key.to_owned(),
            problem: problem.into(),
        }
    }
}

/// A pack error in a file of a set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {error}")]
pub struct PackFileError {
    pub file: String,
    pub error: PackError,
}

/// Reads one pack from its TOML text and checks everything that does not depend on the other packs (panels
/// naming indicators of other packs and ids unique across packs are [`parse_packs`]' business).
pub fn parse_pack(text: &str) -> Result<Pack, PackError> {
    let table: Table = text.parse().map_err(|e: toml::de::Error| {
        PackError::new("", format!("not valid TOML: {}", e.to_string().trim_end()))
    })?;
    let root = Obj::new("", &table, &["id", "name", "indicators", "layers", "panels"])?;
    let id = root.id("id")?;
    let name = root.text("name")?;
    let mut indicators = Vec::new();
    match table.get("indicators") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let key = format!("indicators[{i}]");
                let ind = indicator(&key, item)?;
                if let Some(j) = indicators.iter().position(|o: &Indicator| o.id == ind.id) {
                    return Err(PackError::new(
                        &format!("{key}.id"),
                        format!("`{}` is already the id of indicators[{j}]", ind.id),
                    ));
                }
                indicators.push(ind);
            }
        }
        Some(other) => return Err(wrong_type("indicators", "an array of tables", other)),
    }
    let layers = root.strings("layers")?;
    for (i, layer) in layers.iter().enumerate() {
        let key = format!("layers[{i}]");
        if !MAP_LAYERS.contains(&layer.as_str()) {
            return Err(PackError::new(
                &key,
                format!("unknown map layer `{layer}` (one of {})", MAP_LAYERS.join(", ")),
            ));
        }
        if layers[..i].contains(layer) {
            return Err(PackError::new(&key, format!("`{layer}` is listed twice")));
        }
    }
    let panels = root.strings("panels")?;
    if panels.is_empty() {
        return Err(PackError::new("panels", "must name at least one indicator"));
    }
    for (i, panel) in panels.iter().enumerate() {
        if panels[..i].contains(panel) {
            return Err(PackError::new(
                &format!("panels[{i}]"),
                format!("`{panel}` is listed twice"),
            ));
        }
    }
    Ok(Pack {
        id,
        name,
        indicators,
        layers,
        panels,
    })
}

/// Reads a set of packs from `(file name, TOML text)` pairs and checks them together: pack ids and indicator
/// ids unique across the set, every panel an indicator of the set. An error names the file and the key.
pub fn parse_packs<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<Pack>, PackFileError> {
    let mut packs: Vec<(String, Pack)> = Vec::new();
    for (file, text) in files {
        let err = |error| PackFileError {
            file: file.to_owned(),
            error,
        };
        let pack = parse_pack(text).map_err(err)?;
        if let Some((other, _)) = packs.iter().find(|(_, p)| p.id == pack.id) {
            return Err(err(PackError::new(
                "id",
                format!("pack `{}` is already defined in {other}", pack.id),
            )));
        }
        for (i, ind) in pack.indicators.iter().enumerate() {
            if let Some((other, _)) = packs
                .iter()
                .find(|(_, p)| p.indicators.iter().any(|o| o.id == ind.id))
            {
                return Err(err(PackError::new(
                    &format!("indicators[{i}].id"),
                    format!("indicator `{}` is already defined in {other}", ind.id),
                )));
            }
        }
        packs.push((file.to_owned(), pack));
    }
    for (file, pack) in &packs {
        for (i, panel) in pack.panels.iter().enumerate() {
            if !packs
                .iter()
                .any(|(_, p)| p.indicators.iter().any(|ind| &ind.id == panel))
            {
                return Err(PackFileError {
                    file: file.clone(),
                    error: PackError::new(
                        &format!("panels[{i}]"),
                        format!("no pack defines an indicator `{panel}`"),
                    ),
                });
            }
        }
    }
    Ok(packs.into_iter().map(|(_, p)| p).collect())
}

fn indicator(key: &str, value: &Value) -> Result<Indicator, PackError> {
    let Value::Table(table) = value else {
        return Err(wrong_type(key, "a table", value));
    };
    let obj = Obj::new(
        key,
        table,
        &[
            "id",
            "name",
            "unit",
            "direction",
            "class",
            "normal_readings_to_end",
            "thresholds",
            "replay",
        ],
    )?;
    let id = obj.id("id")?;
    let name = obj.text("name")?;
    let unit = obj.string("unit")?;
    check_len(&obj.key("unit"), &unit, MAX_UNIT_CHARS)?;
    let direction = match obj.string("direction")?.as_str() {
        "above" => Direction::Above,
        "below" => Direction::Below,
        other => {
            return Err(PackError::new(
                &obj.key("direction"),
                format!("unknown direction `{other}` (above or below)"),
            ))
        }
    };
    let class_name = obj.string("class")?;
    let class = IncidentClass::parse(&class_name).ok_or_else(|| {
        let all: Vec<&str> = IncidentClass::ALL.iter().map(|c| c.as_str()).collect();
        PackError::new(
            &obj.key("class"),
            format!(
                "unknown incident class `{class_name}` (one of {})",
                all.join(", ")
            ),
        )
    })?;
    let end_key = obj.key("normal_readings_to_end");
    let normal_readings_to_end = match obj.get("normal_readings_to_end")? {
        Value::Integer(n) if (1..=MAX_NORMAL_READINGS_TO_END).contains(n) => *n as u32,
        Value::Integer(n) => {
            return Err(PackError::new(
                &end_key,
                format!("{n} is out of range (1 to {MAX_NORMAL_READINGS_TO_END})"),
            ))
        }
        other => return Err(wrong_type(&end_key, "an integer", other)),
    };
    let thresholds = thresholds(&obj.key("thresholds"), obj.get("thresholds")?, direction)?;
    let replay = match table.get("replay") {
        None => None,
        Some(Value::Table(t)) => {
            let r = Obj::new(&obj.key("replay"), t, &["series", "column"])?;
            Some(Replay {
                series: r.string("series")?,
                column: r.string("column")?,
            })
        }
        Some(other) => return Err(wrong_type(&obj.key("replay"), "a table", other)),
    };
    Ok(Indicator {
        id,
        name,
        unit,
        direction,
        thresholds,
        class,
        normal_readings_to_end,
        replay,
    })
}

fn thresholds(key: &str, value: &Value, direction: Direction) -> Result<Thresholds, PackError> {
    let Value::Table(table) = value else {
        return Err(wrong_type(key, "a table", value));
    };
    let obj = Obj::new(key, table, &["blue", "yellow", "orange", "red"])?;
    let blue = match table.get("blue") {
        None => None,
        Some(_) => Some(obj.number("blue")?),
    };
    let t = Thresholds {
        blue,
        yellow: obj.number("yellow")?,
        orange: obj.number("orange")?,
        red: obj.number("red")?,
    };
    let (word, worse): (&str, fn(f64, f64) -> bool) = match direction {
        Direction::Above => ("above", |a, b| a > b),
        Direction::Below => ("below", |a, b| a < b),
    };
    let chain = [
        ("blue", t.blue),
        ("yellow", Some(t.yellow)),
        ("orange", Some(t.orange)),
        ("red", Some(t.red)),
    ];
    let mut prev: Option<(&str, f64)> = None;
    for (name, v) in chain {
        let Some(v) = v else { continue };
        if let Some((prev_name, p)) = prev {
            if !worse(v, p) {
                return Err(PackError::new(
                    &format!("{key}.{name}"),
                    format!(
                        "{v} must be strictly {word} {prev_name} ({p}): direction is `{word}`, so the thresholds \
                         go blue → yellow → orange → red in that direction"
                    ),
                ));
            }
        }
        prev = Some((name, v));
    }
    Ok(t)
}

fn wrong_type(key: &str, expected: &str, got: &Value) -> PackError {
    PackError::new(key, format!("must be {expected}, not {}", got.type_str()))
}

fn check_len(key: &str, s: &str, max: usize) -> Result<(), PackError> {
    if s.trim().is_empty() {
        return Err(PackError::new(key, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(PackError::new(key, format!("is longer than {max} characters")));
    }
    if s.contains('\0') {
        return Err(PackError::new(key, "must not contain the NUL character"));
    }
    Ok(())
}

/// A TOML table at `prefix` whose keys are checked against `allowed`.
struct Obj<'a> {
    prefix: String,
    table: &'a Table,
}

impl<'a> Obj<'a> {
    fn new(prefix: &str, table: &'a Table, allowed: &[&str]) -> Result<Self, PackError> {
        let obj = Obj {
            prefix: prefix.to_owned(),
            table,
        };
        if let Some(k) = table.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(PackError::new(
                &obj.key(k),
                format!("unknown key (expected one of {})", allowed.join(", ")),
            ));
        }
        Ok(obj)
    }

    fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn get(&self, name: &str) -> Result<&'a Value, PackError> {
        self.table
            .get(name)
            .ok_or_else(|| PackError::new(&self.key(name), "is missing"))
    }

    fn string(&self, name: &str) -> Result<String, PackError> {
        match self.get(name)? {
            Value::String(s) => {
                check_len(&self.key(name), s, MAX_NAME_CHARS)?;
                Ok(s.clone())
            }
            other => Err(wrong_type(&self.key(name), "a string", other)),
        }
    }

    fn id(&self, name: &str) -> Result<String, PackError> {
        let s = self.string(name)?;
        let ok = s.chars().count() <= MAX_ID_CHARS
            && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(PackError::new(
                &self.key(name),
                format!(
                    "`{s}` is not an id (a lowercase letter, then lowercase letters, digits or _; at most \
                     {MAX_ID_CHARS})"
                ),
            ));
        }
        Ok(s)
    }

    fn number(&self, name: &str) -> Result<f64, PackError> {
        let v = match self.get(name)? {
            Value::Integer(i) => *i as f64,
            Value::Float(f) => *f,
            other => return Err(wrong_type(&self.key(name), "a number", other)),
        };
        if !v.is_finite() {
            return Err(PackError::new(&self.key(name), "must be a finite number"));
        }
        Ok(v)
    }

    fn text(&self, name: &str) -> Result<Text, PackError> {
        match self.get(name)? {
            Value::Table(t) => {
                let obj = Obj::new(&self.key(name), t, &["zh", "en"])?;
                Ok(Text {
                    zh: obj.string("zh")?,
                    en: obj.string("en")?,
                })
            }
            other => Err(wrong_type(&self.key(name), "a table {zh, en}", other)),
        }
    }

    fn strings(&self, name: &str) -> Result<Vec<String>, PackError> {
        match self.get(name)? {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(wrong_type(&format!("{}[{i}]", self.key(name)), "a string", other)),
                })
                .collect(),
            other => Err(wrong_type(&self.key(name), "an array of strings", other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "lifeline"
name = { zh = "城市生命线", en = "City lifelines" }
layers = ["incidents", "sensors"]
panels = ["power_load", "water_flow"]

[[indicators]]
id = "power_load"
name = { zh = "电力负荷", en = "Power load" }
unit = "MW"
direction = "above"
class = "accident"
normal_readings_to_end = 4
thresholds = { blue = 35880, yellow = 36900, orange = 37300, red = 37700.5 }
replay = { series = "load-taylor.csv", column = "demand_mw" }

[[indicators]]
id = "water_flow"
name = { zh = "供水流量", en = "Water flow" }
unit = "l/s"
direction = "below"
class = "accident"
normal_readings_to_end = 3
thresholds = { yellow = 100, orange = 60, red = 30 }
"#;

    #[test]
    fn the_catalogue_lists_every_indicator_as_the_contract_says() {
        let p = parse_pack(GOOD).unwrap();
        let c = catalogue(std::slice::from_ref(&p));
        assert_eq!(c.len(), 2);
        let v = serde_json::to_value(&c[0]).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "id": "power_load", "name": {"zh": "电力负荷", "en": "Power load"}, "unit": "MW",
                "scenario": "lifeline", "direction": "above",
                "thresholds": {"blue": 35880.0, "yellow": 36900.0, "orange": 37300.0, "red": 37700.5},
                "latest": null,
            })
        );
        let water = serde_json::to_value(&c[1]).unwrap();
        assert_eq!(water["direction"], "below");
        assert!(
            water["thresholds"].get("blue").is_none(),
            "no blue: absent, not null"
        );
    }

    fn err_of(text: &str) -> PackError {
        parse_pack(text).expect_err("a bad pack was accepted")
    }

    #[test]
    fn a_good_pack_is_read_whole() {
        let p = parse_pack(GOOD).unwrap();
        assert_eq!(p.id, "lifeline");
        assert_eq!(p.name.zh, "城市生命线");
        assert_eq!(p.layers, ["incidents", "sensors"]);
        assert_eq!(p.panels, ["power_load", "water_flow"]);
        assert_eq!(p.indicators.len(), 2);
        let power = &p.indicators[0];
        assert_eq!(power.direction, Direction::Above);
        assert_eq!(power.class, IncidentClass::Accident);
        assert_eq!(power.normal_readings_to_end, 4);
        assert_eq!(
            power.thresholds,
            Thresholds {
                blue: Some(35880.0),
                yellow: 36900.0,
                orange: 37300.0,
                red: 37700.5
            }
        );
        assert_eq!(power.replay.as_ref().unwrap().column, "demand_mw");
        let water = &p.indicators[1];
        assert_eq!(water.direction, Direction::Below);
        assert_eq!(water.thresholds.blue, None);
        assert_eq!(water.replay, None);
    }

    #[test]
    fn bad_toml_is_refused_with_the_parser_words() {
        let e = err_of("id = \"x\"\nname = { zh = \"a\", en = ");
        assert_eq!(e.key, "");
        assert!(e.problem.starts_with("not valid TOML"), "{e}");
    }

    #[test]
    fn a_missing_key_is_named() {
        let e = err_of(&GOOD.replace("unit = \"l/s\"\n", ""));
        assert_eq!(
            (e.key.as_str(), e.problem.as_str()),
            ("indicators[1].unit", "is missing")
        );
        let e = err_of(&GOOD.replace(", red = 37700.5", ""));
        assert_eq!(e.key, "indicators[0].thresholds.red");
        let e = err_of(&GOOD.replace(", en = \"City lifelines\"", ""));
        assert_eq!(e.key, "name.en");
        let e = err_of(&GOOD.replace("panels = [\"power_load\", \"water_flow\"]\n", ""));
        assert_eq!(e.key, "panels");
    }

    #[test]
    fn unordered_thresholds_name_the_first_one_out_of_order() {
        // above: red must be above orange
        let e = err_of(&GOOD.replace("red = 37700.5", "red = 37300"));
        assert_eq!(e.key, "indicators[0].thresholds.red");
        assert!(e.problem.contains("strictly above orange"), "{e}");
        let e = err_of(&GOOD.replace("blue = 35880", "blue = 36900"));
        assert_eq!(e.key, "indicators[0].thresholds.yellow");
        // below: orange must be below yellow
        let e = err_of(&GOOD.replace("yellow = 100, orange = 60", "yellow = 100, orange = 160"));
        assert_eq!(e.key, "indicators[1].thresholds.orange");
        assert!(e.problem.contains("strictly below yellow"), "{e}");
        // the same numbers are fine the other way round
        let flipped = GOOD
            .replace("direction = \"below\"", "direction = \"above\"")
            .replace(
                "yellow = 100, orange = 60, red = 30",
                "yellow = 30, orange = 60, red = 100",
            );
        parse_pack(&flipped).unwrap();
    }

    #[test]
    fn an_unknown_direction_class_layer_or_key_is_named() {
        let e = err_of(&GOOD.replace("direction = \"below\"", "direction = \"down\""));
        assert_eq!(e.key, "indicators[1].direction");
        assert!(e.problem.contains("`down`"), "{e}");
        let e = err_of(&GOOD.replacen("class = \"accident\"", "class = \"fire\"", 1));
        assert_eq!(e.key, "indicators[0].class");
        let e = err_of(&GOOD.replace("\"sensors\"]", "\"sensors\", \"satellite\"]"));
        assert_eq!(e.key, "layers[2]");
        let e = err_of(&GOOD.replace("\"sensors\"]", "\"sensors\", \"incidents\"]"));
        assert_eq!(e.key, "layers[2]");
        let e = err_of(&GOOD.replace("red = 37700.5", "red = 37700.5, purple = 40000"));
        assert_eq!(e.key, "indicators[0].thresholds.purple");
        let e = err_of(&format!("colour = \"red\"\n{GOOD}"));
        assert_eq!(e.key, "colour");
    }

    #[test]
    fn wrong_types_and_values_are_named() {
        let e = err_of(&GOOD.replace("red = 37700.5", "red = \"high\""));
        assert_eq!(e.key, "indicators[0].thresholds.red");
        assert!(e.problem.contains("a number"), "{e}");
        let e = err_of(&GOOD.replace("red = 37700.5", "red = inf"));
        assert_eq!(e.key, "indicators[0].thresholds.red");
        let e = err_of(&GOOD.replace("normal_readings_to_end = 3", "normal_readings_to_end = 0"));
        assert_eq!(e.key, "indicators[1].normal_readings_to_end");
        let e = err_of(&GOOD.replace("id = \"water_flow\"", "id = \"Water-Flow\""));
        assert_eq!(e.key, "indicators[1].id");
        let e = err_of(&GOOD.replace("id = \"water_flow\"", "id = \"power_load\""));
        assert_eq!(e.key, "indicators[1].id");
        let e = err_of(&GOOD.replace("unit = \"MW\"", "unit = \" \""));
        assert_eq!(e.key, "indicators[0].unit");
        let e = err_of(&GOOD.replace(
            "\"power_load\", \"water_flow\"]",
            "\"power_load\", \"power_load\"]",
        ));
        assert_eq!(e.key, "panels[1]");
        let e = err_of(&GOOD.replace("replay = { series = \"load-taylor.csv\", ", "replay = { "));
        assert_eq!(e.key, "indicators[0].replay.series");
    }

    const OVERVIEW: &str = r#"
id = "overview"
name = { zh = "城市运行总览", en = "City overview" }
layers = ["incidents"]
panels = ["power_load"]
"#;

    #[test]
    fn a_set_of_packs_is_checked_together_and_errors_name_the_file() {
        let packs = parse_packs([("overview.toml", OVERVIEW), ("lifeline.toml", GOOD)]).unwrap();
        assert_eq!(packs.len(), 2);
        assert!(packs[0].indicators.is_empty());

        let e = parse_packs([
            ("overview.toml", &*OVERVIEW.replace("power_load", "gas_load")),
            ("lifeline.toml", GOOD),
        ])
        .unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.error.key.as_str()),
            ("overview.toml", "panels[0]")
        );
        assert!(e.to_string().starts_with("overview.toml: panels[0]: "), "{e}");

        // the same indicator id in two packs
        let other = GOOD
            .replace("id = \"lifeline\"", "id = \"lifeline2\"")
            .replace("id = \"power_load\"", "id = \"grid\"");
        let e = parse_packs([("a.toml", GOOD), ("b.toml", &*other)]).unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.error.key.as_str()),
            ("b.toml", "indicators[1].id")
        );
        assert!(e.error.problem.contains("already defined in a.toml"), "{e}");

        // the same pack id in two files
        let e = parse_packs([("a.toml", OVERVIEW), ("b.toml", OVERVIEW), ("c.toml", GOOD)]).unwrap_err();
        assert_eq!((e.file.as_str(), e.error.key.as_str()), ("b.toml", "id"));

        // a file's own error is prefixed with its name
        let e = parse_packs([("bad.toml", "id = ")]).unwrap_err();
        assert_eq!(e.file, "bad.toml");
        assert!(e.to_string().starts_with("bad.toml: not valid TOML"), "{e}");
    }
}
