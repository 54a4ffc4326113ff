//! `citydeck-city --pbf FILE --out DIR --district-level N [--street-level M] [--id ID]`: a city from any OSM
//! extract (`cargo xtask city` runs this, then builds the basemap). Writes `DIR/areas.geojson` (districts and
//! streets from the `boundary=administrative` relations at those admin levels) and `DIR/<id>.toml`, a city file
//! whose data paths are absolute. Boundaries that do not close and streets in no district are named on stderr
//! and left out. Exit status 1 when no district closes (nothing is written then), 2 on bad arguments.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use citydeck_sim::areas::{areas_geojson, city_areas, districts_bbox, read_boundaries, CityAreas};

const USAGE: &str =
    "usage: citydeck-city --pbf <file.osm.pbf> --out <dir> --district-level <N> [--street-level <M>] [--id <id>]";

struct Args {
    pbf: PathBuf,
    out: PathBuf,
    district_level: u8,
    street_level: Option<u8>,
    id: Option<String>,
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

/// The map zoom at which `bbox` fits a 1920×1080 screen.
fn fit_zoom(b: [f64; 4]) -> f64 {
    let lat = ((b[1] + b[3]) / 2.0).to_radians();
    let w = (b[2] - b[0]).max(1e-6);
    let h = ((b[3] - b[1]) / lat.cos().max(0.01)).max(1e-6);
    let z = (360.0 * 1920.0 / (256.0 * w))
        .log2()
        .min((360.0 * 1080.0 / (256.0 * h)).log2());
    z.floor().clamp(0.0, 22.0)
}

fn city_toml(id: &str, city: &CityAreas, pbf: &Path, areas: &Path) -> Option<String> {
    let b = districts_bbox(city)?;
    let (local, zh, en) = match &city.enclosing {
        Some(e) => (
            e.name.clone(),
            e.name_zh.clone().unwrap_or_else(|| e.name.clone()),
            e.name_en.clone().unwrap_or_else(|| e.name.clone()),
        ),
        None => (id.to_owned(), id.to_owned(), id.to_owned()),
    };
    let centre = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    Some(format!(
        "# Built by `cargo xtask city` from {pbf}: the city is the union of its {n} districts.\n\
         id = {id}\nzoom = {zoom:.1}\n\n[name]\nlocal = {local}\nzh = {zh}\nen = {en}\n\n\
         [centre]\nlon = {clon:.7}\nlat = {clat:.7}\n\n\
         [bbox]\nmin_lon = {:.7}\nmin_lat = {:.7}\nmax_lon = {:.7}\nmax_lat = {:.7}\n\n\
         [data]\nosm_pbf = {pbf_s}\nareas = {areas_s}\n",
        b[0],
        b[1],
        b[2],
        b[3],
        pbf = pbf.display(),
        n = city.districts.len(),
        id = toml_str(id),
        zoom = fit_zoom(b),
        local = toml_str(&local),
        zh = toml_str(&zh),
        en = toml_str(&en),
        clon = centre.0,
        clat = centre.1,
        pbf_s = toml_str(&pbf.display().to_string()),
        areas_s = toml_str(&areas.display().to_string()),
    ))
}

fn run(args: Args) -> Result<ExitCode, String> {
    let (boundaries, broken) = read_boundaries(&args.pbf).map_err(|e| e.to_string())?;
    let city = city_areas(boundaries, broken, args.district_level, args.street_level);
    for b in &city.left_out {
        eprintln!("citydeck-city: left out {b}");
    }
    if city.districts.is_empty() {
        eprintln!(
            "citydeck-city: no boundary at admin_level {} closes in {}; nothing written",
            args.district_level,
            args.pbf.display()
        );
        return Ok(ExitCode::from(1));
    }
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
    write(&areas, &areas_geojson(&city))?;
    let toml = city_toml(&id, &city, &pbf, &areas).ok_or("the districts have no points")?;
    let city_file = out.join(format!("{id}.toml"));
    write(&city_file, &toml)?;
    println!(
        "citydeck-city: {} districts (admin_level {}), {} streets{}, {} left out; wrote {} and {}",
        city.districts.len(),
        args.district_level,
        city.streets.len(),
        args.street_level
            .map(|l| format!(" (admin_level {l})"))
            .unwrap_or_default(),
        city.left_out.len(),
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
    let args = match parse_args(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("citydeck-city: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("citydeck-city: {e}");
            ExitCode::from(2)
        }
    }
}
