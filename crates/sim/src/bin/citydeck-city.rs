//! `citydeck-city --pbf FILE --out DIR --district-level N [--street-level M] [--id ID]`: a city from any OSM
//! extract (`cargo xtask city` runs this, then builds the basemap). Writes `DIR/areas.geojson` (districts and
//! streets from the `boundary=administrative` relations at those admin levels) and `DIR/<id>.toml`, a city file
//! whose data paths are relative to `DIR` (`areas.geojson`, `basemap.mbtiles`, and the extract's path from
//! there), so the folder can be moved with the extract.
//!
//! `citydeck-city --city FILE`: builds the areas a city file describes (`cargo xtask data` runs it for the
//! committed cities): its `[data] osm_pbf` at its `[areas]` levels, with the zh / en names of its
//! `[areas.names]`, into its `[data] areas`.
//!
//! Boundaries that do not close and streets in no district are named on stderr and left out. Exit status 1 when
//! no district closes (nothing is written then), 2 on bad arguments.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use citydeck_sim::areas::{
    apply_names, areas_geojson, city_areas, districts_bbox, enclosing_name, read_boundaries, CityAreas,
};
use citydeck_sim::CityConfig;

const USAGE: &str = "usage: citydeck-city --pbf <file.osm.pbf> --out <dir> --district-level <N> [--street-level <M>] [--id <id>]\n       citydeck-city --city <city.toml>";

struct Args {
    pbf: PathBuf,
    out: PathBuf,
    district_level: u8,
    street_level: Option<u8>,
    id: Option<String>,
}

enum Task {
    /// A new city folder from an extract.
    New(Args),
    /// The areas of an existing city file.
    Areas(PathBuf),
}

fn parse_task(args: &[String]) -> Result<Task, String> {
    match args {
        [flag, file] if flag == "--city" => Ok(Task::Areas(PathBuf::from(file))),
        _ if args.iter().any(|a| a == "--city") => Err("--city takes a city file and nothing else".into()),
        _ => parse_args(args).map(Task::New),
    }
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let (mut pbf, mut out, mut district, mut street, mut id) = (None, None, None, None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        let level = |v: String| {
            v.parse::<u8>()
                .map_err(|_| format!("{a}: not an admin level: {v:?}"))
        };
        match a.as_str() {
            "--pbf" => pbf = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--district-level" => district = Some(level(value()?)?),
            "--street-level" => street = Some(level(value()?)?),
            "--id" => id = Some(value()?),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    match (pbf, out, district) {
        (Some(pbf), Some(out), Some(district_level)) => {
            if street.is_some_and(|s| s <= district_level) {
                return Err("--street-level must be above --district-level".into());
            }
            Ok(Args {
                pbf,
                out,
                district_level,
                street_level: street,
                id,
            })
        }
        _ => Err("--pbf, --out and --district-level are required".into()),
    }
}

fn toml_str(s: &str) -> String {
    // a JSON string is a TOML basic string
    serde_json::Value::String(s.to_owned()).to_string()
}

/// The city id: `--id`, else the extract's file name up to its first `-` or `.`, lowercased.
fn city_id(args: &Args) -> String {
    if let Some(id) = &args.id {
        return id.clone();
    }
    let stem = args.pbf.file_name().and_then(|n| n.to_str()).unwrap_or("city");
    let id: String = stem
        .split(['-', '.'])
        .next()
        .unwrap_or("city")
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if id.is_empty() {
        "city".into()
    } else {
        id
    }
}

/// The map zoom (MapLibre's: 512 px tiles) at which `bbox` fits a 1920×1080 screen.
fn fit_zoom(b: [f64; 4]) -> f64 {
    let lat = ((b[1] + b[3]) / 2.0).to_radians();
    let w = (b[2] - b[0]).max(1e-6);
    let h = ((b[3] - b[1]) / lat.cos().max(0.01)).max(1e-6);
    let z = (360.0 * 1920.0 / (512.0 * w))
        .log2()
        .min((360.0 * 1080.0 / (512.0 * h)).log2());
    z.floor().clamp(0.0, 22.0)
}

/// `target` as a path relative to the folder `base` (both absolute); `target` itself when they share no root.
fn relative_to(base: &Path, target: &Path) -> PathBuf {
    let b: Vec<Component> = base.components().collect();
    let t: Vec<Component> = target.components().collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return target.to_path_buf();
    }
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    rel
}

/// The city file of a new city folder `out` (paths relative to it, see the module docs).
fn city_toml(id: &str, city: &CityAreas, args: &Args, pbf: &Path, out: &Path) -> Option<String> {
    let b = districts_bbox(city)?;
    let name = enclosing_name(city, id);
    let (local, zh, en) = (name.local, name.zh, name.en);
    let centre = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    let street = args
        .street_level
        .map(|l| format!("street_level = {l}\n"))
        .unwrap_or_default();
    Some(format!(
        "# Built by `cargo xtask city` from {pbf}: the city is the union of its {n} districts.\n\
         id = {id}\nzoom = {zoom:.1}\n\n[name]\nlocal = {local}\nzh = {zh}\nen = {en}\n\n\
         [centre]\nlon = {clon:.7}\nlat = {clat:.7}\n\n\
         [bbox]\nmin_lon = {:.7}\nmin_lat = {:.7}\nmax_lon = {:.7}\nmax_lat = {:.7}\n\n\
         # Paths relative to this file's folder.\n\
         [data]\nosm_pbf = {pbf_s}\nareas = \"areas.geojson\"\nbasemap = \"basemap.mbtiles\"\n\n\
         [areas]\ndistrict_level = {district}\n{street}",
        b[0],
        b[1],
        b[2],
        b[3],
        pbf = pbf.file_name().unwrap_or_default().to_string_lossy(),
        n = city.districts.len(),
        id = toml_str(id),
        zoom = fit_zoom(b),
        local = toml_str(&local),
        zh = toml_str(&zh),
        en = toml_str(&en),
        clon = centre.0,
        clat = centre.1,
        pbf_s = toml_str(&relative_to(out, pbf).display().to_string()),
        district = args.district_level,
    ))
}

/// The areas of `pbf` at those levels, the left-out ones named on stderr; `None` (said on stderr) when no
/// district closes.
fn build_areas(
    pbf: &Path,
    district_level: u8,
    street_level: Option<u8>,
) -> Result<Option<CityAreas>, String> {
    let (boundaries, broken) = read_boundaries(pbf).map_err(|e| e.to_string())?;
    let city = city_areas(boundaries, broken, district_level, street_level);
    for b in &city.left_out {
        eprintln!("citydeck-city: left out {b}");
    }
    if city.districts.is_empty() {
        eprintln!(
            "citydeck-city: no boundary at admin_level {district_level} closes in {}; nothing written",
            pbf.display()
        );
        return Ok(None);
    }
    Ok(Some(city))
}

fn summary(city: &CityAreas, district_level: u8, street_level: Option<u8>) -> String {
    format!(
        "{} districts (admin_level {district_level}), {} streets{}, {} left out",
        city.districts.len(),
        city.streets.len(),
        street_level
            .map(|l| format!(" (admin_level {l})"))
            .unwrap_or_default(),
        city.left_out.len(),
    )
}

/// `--city FILE`: the city file's areas, named as it says.
fn run_city_file(file: &Path) -> Result<ExitCode, String> {
    let cfg = CityConfig::load(file).map_err(|e| e.to_string())?;
    let (Some(settings), Some(out)) = (&cfg.areas, &cfg.data.areas) else {
        return Err(format!(
            "{} has no [areas] (the admin levels to build its areas from)",
            file.display()
        ));
    };
    let Some(mut city) = build_areas(&cfg.data.osm_pbf, settings.district_level, settings.street_level)?
    else {
        return Ok(ExitCode::from(1));
    };
    apply_names(&mut city, &settings.names);
    let known: Vec<&str> = city
        .districts
        .iter()
        .chain(city.streets.iter().map(|(s, _)| s))
        .map(|b| b.name.as_str())
        .collect();
    for name in settings.names.keys().filter(|n| !known.contains(&n.as_str())) {
        eprintln!(
            "citydeck-city: {}: [areas.names] {name:?} is no area of the city",
            file.display()
        );
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    write(out, &areas_geojson(&city, &cfg.name))?;
    println!(
        "citydeck-city: {}; wrote {}",
        summary(&city, settings.district_level, settings.street_level),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn run(args: Args) -> Result<ExitCode, String> {
    let Some(city) = build_areas(&args.pbf, args.district_level, args.street_level)? else {
        return Ok(ExitCode::from(1));
    };
    std::fs::create_dir_all(&args.out).map_err(|e| format!("creating {}: {e}", args.out.display()))?;
    let out = args
        .out
        .canonicalize()
        .map_err(|e| format!("resolving {}: {e}", args.out.display()))?;
    let pbf = args
        .pbf
        .canonicalize()
        .map_err(|e| format!("resolving {}: {e}", args.pbf.display()))?;
    let id = city_id(&args);
    let areas = out.join("areas.geojson");
    write(&areas, &areas_geojson(&city, &enclosing_name(&city, &id)))?;
    let toml = city_toml(&id, &city, &args, &pbf, &out).ok_or("the districts have no points")?;
    let city_file = out.join(format!("{id}.toml"));
    write(&city_file, &toml)?;
    println!(
        "citydeck-city: {}; wrote {} and {}",
        summary(&city, args.district_level, args.street_level),
        areas.display(),
        city_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `path` whole or not at all (`<path>.part`, then renamed).
fn write(path: &Path, text: &str) -> Result<(), String> {
    let part = path.with_extension("part");
    std::fs::write(&part, text).map_err(|e| format!("writing {}: {e}", part.display()))?;
    std::fs::rename(&part, path).map_err(|e| format!("writing {}: {e}", path.display()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = match parse_task(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("citydeck-city: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match task {
        Task::New(args) => run(args),
        Task::Areas(file) => run_city_file(&file),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("citydeck-city: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_relative_to_the_city_folder() {
        let rel = |b: &str, t: &str| relative_to(Path::new(b), Path::new(t));
        assert_eq!(
            rel("/r/data/cache/li", "/r/data/cache/li.pbf"),
            Path::new("../li.pbf")
        );
        assert_eq!(rel("/r/out", "/r/out/x.pbf"), Path::new("x.pbf"));
        assert_eq!(rel("/a/b", "/c/d.pbf"), Path::new("../../c/d.pbf"));
    }

    #[test]
    fn the_tasks_are_told_apart() {
        let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert!(matches!(parse_task(&args("--city c.toml")), Ok(Task::Areas(p)) if p == Path::new("c.toml")));
        assert!(parse_task(&args("--city c.toml --pbf x")).is_err());
        assert!(matches!(
            parse_task(&args("--pbf x --out d --district-level 6 --street-level 8")),
            Ok(Task::New(Args {
                district_level: 6,
                street_level: Some(8),
                ..
            }))
        ));
        assert!(parse_task(&args("--pbf x --out d --district-level 8 --street-level 6")).is_err());
    }

    #[test]
    fn the_zoom_fits_the_screen_in_maplibre_units() {
        // Liechtenstein's districts, ~12 km x 25 km, fit a 1920x1080 screen at zoom 11
        assert_eq!(fit_zoom([9.4716, 47.0484, 9.6356, 47.2705]), 11.0);
        // central Helsinki's extract, ~1 km x 1.7 km: street level
        assert_eq!(fit_zoom([24.9352, 60.1642, 24.9534, 60.1791]), 14.0);
    }
}
