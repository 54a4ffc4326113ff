//! `cargo xtask basemap --pbf <file.osm.pbf> --out <file.mbtiles>`: the offline vector basemap.
//!
//! 1. The input must be an OSM PBF: its first blob header is read here and must say `OSMHeader`, otherwise
//!    the task fails naming the file (before any tool runs).
//! 2. Cut-off ways are repaired: an extract cut by a bounding box keeps ways whose nodes lie outside it.
//!    `osmium check-refs -i` lists the missing nodes and the ways using them; `osmium removeid` drops those
//!    ways (tilemaker cannot build a geometry from a way with missing nodes).
//! 3. `tilemaker` (Debian 2.2) writes the MBTiles: OpenMapTiles-schema layers, z0–14, gzip-compressed MVT,
//!    with Debian's `process-openmaptiles.lua` patched so that labels are written to `name` (the OSM `name`
//!    tag, i.e. the local script) instead of `name:latin`, and with [`CONFIG`] (Debian's
//!    `config-openmaptiles.json` without the layers that need Natural Earth / coastline shapefiles, which no
//!    package ships here).
//! 4. The tiles are rewritten in a canonical order ([`CANONICALIZE_PY`], python3), so the file is
//!    byte-for-byte reproducible.
//!
//! Scratch files live in a temporary folder next to the output, removed whether or not the build worked; the
//! output appears only when complete (written as `<out>.part`, then renamed).
//!
//! Needs `osmium` (Debian `osmium-tool`), `tilemaker` (Debian `tilemaker`) and `python3`; `cargo xtask setup`
//! installs the first two.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Debian's tilemaker example Lua profile for the OpenMapTiles schema.
pub const PROCESS_LUA: &str = "/usr/share/doc/tilemaker/examples/process-openmaptiles.lua";
/// The line of [`PROCESS_LUA`] choosing the label attribute, and what it becomes.
const LUA_NAME_LINE: &str = "preferred_language_attribute = \"name:latin\"";
const LUA_NAME_LINE_LOCAL: &str = "preferred_language_attribute = \"name\"";

/// tilemaker layer config: Debian's `config-openmaptiles.json` (tilemaker 2.2) minus the shapefile-sourced
/// layers (`ocean`, `urban_areas`, `ice_shelf`, `glacier`). The `json` metadata is what tilemaker writes.
pub const CONFIG: &str = r#"{
	"layers": {
		"place":            { "minzoom":  0, "maxzoom": 14 },
		"boundary":         { "minzoom":  0, "maxzoom": 14, "simplify_below": 12, "simplify_level": 0.0003, "simplify_ratio": 2 },
		"poi":              { "minzoom": 12, "maxzoom": 14 },
		"poi_detail":       { "minzoom": 14, "maxzoom": 14, "write_to": "poi"},
		"housenumber":      { "minzoom": 14, "maxzoom": 14 },
		"waterway":         { "minzoom":  8,  "maxzoom": 14, "simplify_below": 12, "simplify_level": 0.0003, "simplify_ratio": 2 },
		"waterway_detail":  { "minzoom": 12,  "maxzoom": 14, "write_to": "waterway" },
		"transportation":             { "minzoom": 4,  "maxzoom": 14, "simplify_below": 13, "simplify_level": 0.0003 },
		"transportation_name":        { "minzoom": 8,  "maxzoom": 14 },
		"transportation_name_mid":    { "minzoom": 12, "maxzoom": 14, "write_to": "transportation_name" },
		"transportation_name_detail": { "minzoom": 14, "maxzoom": 14, "write_to": "transportation_name" },
		"building":          { "minzoom": 13, "maxzoom": 14 },
		"water":             { "minzoom": 6,  "maxzoom": 14, "simplify_below": 12, "simplify_level": 0.0003, "simplify_ratio": 2},
		"water_name":        { "minzoom": 14, "maxzoom": 14 },
		"water_name_detail": { "minzoom": 14, "maxzoom": 14, "write_to": "water_name" },
		"aeroway":           { "minzoom": 11, "maxzoom": 14 },
		"aerodrome_label":   { "minzoom": 10, "maxzoom": 14 },
		"park":              { "minzoom": 11, "maxzoom": 14 },
		"landuse":           { "minzoom":  4, "maxzoom": 14, "simplify_below": 13, "simplify_level": 0.0003, "simplify_ratio": 2 },
		"landcover":         { "minzoom":  0, "maxzoom": 14, "simplify_below": 13, "simplify_level": 0.0003, "simplify_ratio": 2 },
		"mountain_peak":     { "minzoom": 11, "maxzoom": 14 }
	},
	"settings": {
		"minzoom": 0,
		"maxzoom": 14,
		"basezoom": 14,
		"include_ids": false,
		"combine_below": 14,
		"name": "citydeck offline basemap (OpenMapTiles schema)",
		"version": "3.0",
		"description": "OpenStreetMap (c) OpenStreetMap contributors, ODbL; built by cargo xtask basemap with tilemaker",
		"compress": "gzip",
		"filemetadata": {
			"tilejson": "2.0.0",
			"scheme": "tms",
			"type": "baselayer",
			"format": "pbf",
			"attribution": "© OpenStreetMap contributors"
		}
	}
}
"#;

/// Rewrites tilemaker's MBTiles canonically (python3 standard library only). tilemaker 2.2 orders features
/// and each layer's value table differently from run to run when the machine is busy (its reader thread and
/// the main thread allocate concurrently and it sorts by address), so its raw output is not reproducible. The
/// rewrite keeps every feature, geometry and attribute and fixes the order: layers by name, keys and values
/// sorted, features by (type, geometry, attributes, id), gzip with mtime 0, a fresh SQLite file filled in
/// (z, x, y) order.
const CANONICALIZE_PY: &str = r#"# Rewrites an MBTiles file canonically: every tile's layers sorted by name, each layer's keys and values
# tables sorted and deduplicated, features sorted by (type, geometry, resolved tags, id), gzip with mtime 0,
# and a fresh SQLite file with metadata and tiles inserted in sorted order. argv: <in.mbtiles> <out.mbtiles>
import gzip, sqlite3, sys

def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1; v |= (x & 0x7f) << s; s += 7
        if x < 0x80:
            return v, i

def fields(b):
    i = 0
    while i < len(b):
        k, i = varint(b, i); f, wt = k >> 3, k & 7
        if wt == 0:
            v, i = varint(b, i); yield f, wt, v
        elif wt == 2:
            n, i = varint(b, i); yield f, wt, b[i:i + n]; i += n
        elif wt == 5:
            yield f, wt, b[i:i + 4]; i += 4
        elif wt == 1:
            yield f, wt, b[i:i + 8]; i += 8
        else:
            raise ValueError('wire type %d' % wt)

def enc_varint(v):
    out = bytearray()
    while True:
        x = v & 0x7f; v >>= 7
        if v:
            out.append(x | 0x80)
        else:
            out.append(x); return bytes(out)

def enc_field(f, wt, v):
    key = enc_varint((f << 3) | wt)
    if wt == 0:
        return key + enc_varint(v)
    if wt == 2:
        return key + enc_varint(len(v)) + bytes(v)
    return key + bytes(v)

def packed(b):
    i = 0; out = []
    while i < len(b):
        v, i = varint(b, i); out.append(v)
    return out

def canon_layer(l):
    name = b''; feats = []; keys = []; vals = []; extent = None; version = None
    for f, wt, v in fields(l):
        if f == 1: name = bytes(v)
        elif f == 2: feats.append(v)
        elif f == 3: keys.append(bytes(v))
        elif f == 4: vals.append(bytes(v))
        elif f == 5: extent = v
        elif f == 15: version = v
    out_feats = []
    for ft in feats:
        fid = None; tags = []; gtype = 0; geom = b''
        for f, wt, v in fields(ft):
            if f == 1: fid = v
            elif f == 2: tags = packed(v)
            elif f == 3: gtype = v
            elif f == 4: geom = bytes(v)
        pairs = tuple((keys[tags[i]], vals[tags[i + 1]]) for i in range(0, len(tags), 2))
        out_feats.append((gtype, geom, pairs, -1 if fid is None else fid))
    out_feats.sort()
    k_sorted = sorted({k for ft in out_feats for k, _ in ft[2]})
    v_sorted = sorted({v for ft in out_feats for _, v in ft[2]})
    ki = {k: i for i, k in enumerate(k_sorted)}; vi = {v: i for i, v in enumerate(v_sorted)}
    body = bytearray(enc_field(15, 0, 2 if version is None else version))
    body += enc_field(1, 2, name)
    for gtype, geom, pairs, fid in out_feats:
        fb = bytearray()
        if fid >= 0: fb += enc_field(1, 0, fid)
        if pairs:
            fb += enc_field(2, 2, b''.join(enc_varint(ki[k]) + enc_varint(vi[v]) for k, v in pairs))
        fb += enc_field(3, 0, gtype)
        fb += enc_field(4, 2, geom)
        body += enc_field(2, 2, fb)
    for k in k_sorted: body += enc_field(3, 2, k)
    for v in v_sorted: body += enc_field(4, 2, v)
    body += enc_field(5, 0, 4096 if extent is None else extent)
    return name, bytes(body)

def canon_tile(data):
    raw = gzip.decompress(data) if data[:2] == b'\x1f\x8b' else data
    layers = sorted(canon_layer(l) for f, wt, l in fields(raw) if f == 3)
    return gzip.compress(b''.join(enc_field(3, 2, b) for _, b in layers), compresslevel=9, mtime=0)

src = sqlite3.connect(sys.argv[1])
dst = sqlite3.connect(sys.argv[2])
dst.executescript('''
CREATE TABLE metadata (name TEXT, value TEXT, UNIQUE (name));
CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB,
                    UNIQUE (zoom_level, tile_column, tile_row));
''')
with dst:
    dst.executemany('INSERT INTO metadata VALUES (?, ?)',
                    src.execute('SELECT name, value FROM metadata ORDER BY name').fetchall())
    for z, x, y, d in src.execute('SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles ORDER BY 1, 2, 3'):
        dst.execute('INSERT INTO tiles VALUES (?, ?, ?, ?)', (z, x, y, canon_tile(d)))
dst.close()
"#;

/// Identifies how a basemap is built (config, label patch, canonicaliser): `cargo xtask data` rebuilds a city's
/// basemap when the stamp it left next to it differs.
pub fn recipe_id() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [CONFIG, LUA_NAME_LINE_LOCAL, CANONICALIZE_PY] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// `cargo xtask basemap --pbf X --out Y`.
pub fn task(args: &[String]) -> Result<()> {
    let mut pbf = None;
    let mut out = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--pbf" => pbf = it.next().map(PathBuf::from),
            "--out" => out = it.next().map(PathBuf::from),
            other => bail!("basemap: unexpected argument {other:?}; usage: cargo xtask basemap --pbf <file.osm.pbf> --out <file.mbtiles>"),
        }
    }
    let (Some(pbf), Some(out)) = (pbf, out) else {
        bail!("usage: cargo xtask basemap --pbf <file.osm.pbf> --out <file.mbtiles>");
    };
    build(&pbf, &out)
}

/// Fails, naming the file, unless `path` starts like an OSM PBF file (a blob header of type `OSMHeader`).
pub fn check_osm_pbf(path: &Path) -> Result<()> {
    let mut f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut head = [0u8; 64];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    let why = osm_pbf_header_problem(&head[..n]);
    if let Some(why) = why {
        bail!("{} is not an OSM PBF file ({why})", path.display());
    }
    Ok(())
}

/// Why `head` (the first bytes of a file) is not the start of an OSM PBF file, or `None` if it is.
/// Format: 4-byte big-endian BlobHeader length, then the BlobHeader protobuf whose field 1 (`type`) is
/// `"OSMHeader"`.
fn osm_pbf_header_problem(head: &[u8]) -> Option<&'static str> {
    const TYPE: &[u8] = b"OSMHeader";
    if head.len() < 4 + 2 + TYPE.len() {
        return Some("too short");
    }
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if len == 0 || len > 64 * 1024 {
        return Some("no blob header length at the start");
    }
    // field 1, wire type 2 (length-delimited), one-byte length 9, "OSMHeader"
    if head[4] != 0x0A || head[5] as usize != TYPE.len() || &head[6..6 + TYPE.len()] != TYPE {
        return Some("the first blob is not an OSMHeader");
    }
    None
}

fn tool(name: &str) -> Result<()> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        bail!("`{name}` is not installed (Debian packages osmium-tool, tilemaker; `cargo xtask setup` installs them)");
    }
    Ok(())
}

fn run(cmd: &mut Command, what: &str) -> Result<std::process::Output> {
    let out = cmd
        .output()
        .with_context(|| format!("{what}: cannot start {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{what}: {cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out)
}

/// The ids (`w123`) of the ways that use a node missing from the file, sorted, from `osmium check-refs -i`.
pub fn cut_off_ways(check_refs_stdout: &str) -> Vec<String> {
    let mut ids: Vec<String> = check_refs_stdout
        .lines()
        .filter_map(|l| l.split_once(" in ").map(|(_, w)| w.trim()))
        .filter(|w| w.starts_with('w') && w[1..].bytes().all(|b| b.is_ascii_digit()) && w.len() > 1)
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Builds `out` from `pbf` (see the module docs).
pub fn build(pbf: &Path, out: &Path) -> Result<()> {
    check_osm_pbf(pbf)?;
    tool("osmium")?;
    tool("tilemaker")?;
    let lua = std::fs::read_to_string(PROCESS_LUA)
        .with_context(|| format!("reading {PROCESS_LUA} (Debian package tilemaker)"))?;
    if !lua.contains(LUA_NAME_LINE) {
        bail!("{PROCESS_LUA} has no line `{LUA_NAME_LINE}`: the tilemaker version is not the one this was written for");
    }
    let lua = lua.replacen(LUA_NAME_LINE, LUA_NAME_LINE_LOCAL, 1);

    let out_dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    // absolute: tilemaker runs inside the scratch folder
    let out_dir = out_dir
        .canonicalize()
        .with_context(|| format!("resolving {}", out_dir.display()))?;
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("basemap");
    let tmp = out_dir.join(format!(".tmp-basemap-{name}-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("removing stale {}", tmp.display()))?;
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let result = build_in(pbf, out, &tmp, &lua);
    let _ = std::fs::remove_dir_all(&tmp);
    result.with_context(|| format!("building the basemap {} from {}", out.display(), pbf.display()))
}

fn build_in(pbf: &Path, out: &Path, tmp: &Path, lua: &str) -> Result<()> {
    // check-refs exits 1 when references are missing, which is the case being repaired.
    let refs = Command::new("osmium")
        .args(["check-refs", "-i", "--no-progress"])
        .arg(pbf)
        .output()
        .context("cannot start osmium check-refs")?;
    if !matches!(refs.status.code(), Some(0 | 1)) {
        bail!(
            "osmium check-refs {} failed ({}): {}",
            pbf.display(),
            refs.status,
            String::from_utf8_lossy(&refs.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&refs.stdout);
    let ways = cut_off_ways(&stdout);
    let repaired = tmp.join("repaired.osm.pbf");
    if ways.is_empty() {
        std::fs::copy(pbf, &repaired).context("copying the extract")?;
    } else {
        let ids = tmp.join("cut-off-ways.txt");
        std::fs::write(&ids, ways.join("\n") + "\n")?;
        run(
            Command::new("osmium")
                .args(["removeid", "--no-progress", "-O", "-i"])
                .arg(&ids)
                .arg("-o")
                .arg(&repaired)
                .arg(pbf),
            "osmium removeid",
        )?;
    }
    eprintln!(
        "basemap: {}: dropped {} cut-off ways (nodes outside the extract)",
        pbf.display(),
        ways.len()
    );

    let config = tmp.join("config.json");
    let process = tmp.join("process.lua");
    std::fs::write(&config, CONFIG)?;
    std::fs::write(&process, lua)?;
    let part = tmp.join("out.mbtiles");
    run(
        Command::new("tilemaker")
            .arg("--input")
            .arg(&repaired)
            .arg("--output")
            .arg(&part)
            .arg("--config")
            .arg(&config)
            .arg("--process")
            .arg(&process)
            .args(["--skip-integrity", "--threads", "1"])
            .current_dir(tmp),
        "tilemaker",
    )?;
    if !part.exists() {
        bail!("tilemaker wrote no {}", part.display());
    }
    let script = tmp.join("canonicalize.py");
    std::fs::write(&script, CANONICALIZE_PY)?;
    let canonical = tmp.join("canonical.mbtiles");
    run(
        Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
            .arg(&script)
            .arg(&part)
            .arg(&canonical),
        "canonicalising the tiles (python3)",
    )?;
    let part = canonical;
    std::fs::rename(&part, out)
        .or_else(|_| std::fs::copy(&part, out).map(|_| ()))
        .with_context(|| format!("moving the tiles to {}", out.display()))?;
    eprintln!(
        "basemap: wrote {} ({} bytes)",
        out.display(),
        std::fs::metadata(out)?.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_file_is_not_osm_pbf_and_the_error_names_it() {
        let dir = std::env::temp_dir().join(format!("citydeck-basemap-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("not-a-map.osm.pbf");
        std::fs::write(&f, br#"{"type":"FeatureCollection","features":[]}"#).unwrap();
        let err = build(&f, &dir.join("x.mbtiles")).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("not-a-map.osm.pbf") && msg.contains("is not an OSM PBF file"),
            "{msg}"
        );
        assert!(!dir.join("x.mbtiles").exists());
        std::fs::write(&f, b"").unwrap();
        assert!(format!("{:#}", check_osm_pbf(&f).unwrap_err()).contains("too short"));
        let err = check_osm_pbf(&dir.join("missing.osm.pbf")).unwrap_err();
        assert!(format!("{err:#}").contains("missing.osm.pbf"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pbf_header_is_recognised() {
        let mut ok = vec![0, 0, 0, 14, 0x0A, 9];
        ok.extend_from_slice(b"OSMHeader");
        ok.extend_from_slice(&[0x18, 0x7B]);
        assert_eq!(osm_pbf_header_problem(&ok), None);
        let mut data = ok.clone();
        data[6..15].copy_from_slice(b"OSMData\0\0");
        assert!(osm_pbf_header_problem(&data).is_some());
        assert!(osm_pbf_header_problem(b"\x89PNG\r\n\x1a\n0000000000000").is_some());
    }

    #[test]
    fn cut_off_ways_are_parsed_sorted_and_unique() {
        let out = "n3 in w20\nn1 in w10\nn2 in w10\nThere are 3 nodes\nNodes in ways missing: 3\n";
        assert_eq!(cut_off_ways(out), ["w10", "w20"]);
        assert!(cut_off_ways("").is_empty());
    }

    #[test]
    fn the_lua_profile_has_the_label_line_to_patch() {
        if let Ok(lua) = std::fs::read_to_string(PROCESS_LUA) {
            assert!(lua.contains(LUA_NAME_LINE));
        }
    }
}
