//! The field bundle (离线包): everything a desktop needs to open the cockpit for an area with no network,
//! prepared while online and carried to the field on a laptop or a USB stick.
//!
//! A bundle is a folder:
//!
//! | file | what |
//! |---|---|
//! | `manifest.json` | format, the hub and log position, the area, counts, and every file's size and SHA-256 |
//! | `cache.sqlite` | a consistent copy of the confirmed cache (all incidents, mode, data age), without the preparing desktop's identity, account or outbox |
//! | `basemap.mbtiles` | the basemap tiles covering the area, every zoom |
//! | `map/…` | glyphs and district boundaries |
//!
//! The whole cache is kept (not only the area's incidents): the copy claims to have applied the hub's log up to
//! `last_seq`, so on reconnect it pulls only what came after; dropping rows would leave it silently incomplete.
//! The area narrows the basemap and is counted in the manifest. A desktop of a scoped account (issue 20) holds
//! only its scope's incidents already, so its bundle holds only its scope; with no area given, the area is then
//! the scope's bounding box.
//!
//! [`prepare`] writes into a hidden staging folder next to `out` and renames it into place, so a bundle is never
//! half-written (disk full, crash): `out` is the old bundle or the new one. [`verify`] checks every file against
//! the manifest; [`install`] puts the bundle's cache where a desktop looks for it, never over a cache holding
//! actions that have not reached the hub.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use citydeck_store::{Cache, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const FORMAT: &str = "citydeck-field-bundle/1";
pub const MANIFEST: &str = "manifest.json";
pub const CACHE: &str = "cache.sqlite";
pub const BASEMAP: &str = "basemap.mbtiles";
pub const MAP_ASSETS: &str = "map";

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("area: {0}")]
    Area(String),
    #[error("the cache: {0}")]
    Store(#[from] StoreError),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the basemap: {0}")]
    Basemap(String),
    #[error("{} is not a citydeck field bundle: {why}", path.display())]
    NotABundle { path: PathBuf, why: String },
    #[error("the bundle's {file} is damaged ({why}): copy the bundle again")]
    Damaged { file: String, why: String },
    #[error("the bundle was prepared from hub {bundle}, but this desktop syncs with {desktop}")]
    OtherHub { bundle: String, desktop: String },
}

pub type Result<T> = std::result::Result<T, BundleError>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FileEntry {
    /// Relative to the bundle folder, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ZoomTiles {
    pub zoom: u8,
    pub tiles: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub created_at: DateTime<Utc>,
    /// The hub the cache follows (its URL, or `embedded:<file>` for a desktop's embedded hub).
    pub hub: String,
    pub log_id: Option<String>,
    /// The hub log position the cache has applied.
    pub last_seq: u64,
    /// When the preparing desktop last heard from the hub: the data's age in the field counts from here.
    pub data_as_of: Option<DateTime<Utc>>,
    /// west, south, east, north
    pub area: [f64; 4],
    pub incidents: u64,
    pub open_incidents: u64,
    pub area_incidents: u64,
    pub area_open_incidents: u64,
    pub tiles: Vec<ZoomTiles>,
    pub files: Vec<FileEntry>,
}

impl Manifest {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// What the cockpit shows of a bundle in `dir`.
    pub fn info(&self, dir: &Path) -> citydeck_protocol::ipc::BundleInfo {
        citydeck_protocol::ipc::BundleInfo {
            path: dir.display().to_string(),
            created_at: self.created_at,
            data_as_of: self.data_as_of,
            last_seq: self.last_seq,
            incidents: self.incidents,
            open_incidents: self.open_incidents,
            area_incidents: self.area_incidents,
            area: self.area,
            tiles: self.tiles.iter().map(|t| t.tiles).sum(),
            bytes: self.bytes(),
        }
    }
}

/// Reads the manifest of the bundle at `dir` without checking its files (for showing what is there).
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let mpath = dir.join(MANIFEST);
    let text = std::fs::read(&mpath).map_err(|e| BundleError::NotABundle {
        path: dir.to_path_buf(),
        why: format!("{MANIFEST}: {e}"),
    })?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| BundleError::NotABundle {
        path: dir.to_path_buf(),
        why: format!("{MANIFEST}: {e}"),
    })?;
    if manifest.format != FORMAT {
        return Err(BundleError::NotABundle {
            path: dir.to_path_buf(),
            why: format!("format {:?}, this build reads {FORMAT:?}", manifest.format),
        });
    }
    Ok(manifest)
}

/// Where the desktop's offline map comes from.
#[derive(Clone, Copy, Debug)]
pub struct MapSources<'a> {
    pub mbtiles: &'a Path,
    pub assets: &'a Path,
    /// The city's areas file the map serves as its districts (`MapServer::with_districts`); the bundle's
    /// `map/districts.geojson` is then a copy of it instead of the asset folder's.
    pub districts: Option<&'a Path>,
}

/// Parses `west,south,east,north` (degrees).
pub fn parse_area(s: &str) -> Result<[f64; 4]> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| BundleError::Area(format!("{s:?}: expected west,south,east,north in degrees")))?;
    let area: [f64; 4] = v
        .try_into()
        .map_err(|_| BundleError::Area(format!("{s:?}: expected four numbers west,south,east,north")))?;
    check_area(area)?;
    Ok(area)
}

fn check_area(a: [f64; 4]) -> Result<()> {
    let [w, s, e, n] = a;
    if !a.iter().all(|v| v.is_finite()) {
        return Err(BundleError::Area(format!("{a:?} is not a number")));
    }
    if !(-180.0..=180.0).contains(&w) || !(-180.0..=180.0).contains(&e) {
        return Err(BundleError::Area(format!(
            "longitudes {w}, {e} must lie in -180..180"
        )));
    }
    if !(-90.0..=90.0).contains(&s) || !(-90.0..=90.0).contains(&n) {
        return Err(BundleError::Area(format!(
            "latitudes {s}, {n} must lie in -90..90"
        )));
    }
    if w >= e || s >= n {
        return Err(BundleError::Area(format!(
            "{a:?} is empty: it must be west < east and south < north"
        )));
    }
    Ok(())
}

fn sha256_file(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(io(path))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex::encode(h.finalize())))
}

/// Every regular file under `dir`, relative, sorted (symlinks are not followed: a bundle holds what it names).
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = dir.join(&rel);
        for entry in std::fs::read_dir(&abs).map_err(io(&abs))? {
            let entry = entry.map_err(io(&abs))?;
            let kind = entry.file_type().map_err(io(&entry.path()))?;
            let r = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(r);
            } else if kind.is_file() {
                out.push(r);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn rel_string(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for rel in files_under(from)? {
        let dst = to.join(&rel);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::copy(from.join(&rel), &dst).map_err(io(&dst))?;
    }
    Ok(())
}

/// The bounding box of the cache's scope, when it has a scope and that area (a valid box; a bad one is ignored).
fn scope_bbox(cache: &std::sync::Mutex<Cache>) -> Result<Option<[f64; 4]>> {
    let c = cache.lock().unwrap_or_else(|p| p.into_inner());
    let Some(scope) = c.scope()? else {
        return Ok(None);
    };
    Ok(c.area(&scope)?
        .map(|a| a.area.bbox)
        .filter(|b| check_area(*b).is_ok()))
}

fn staging_for(out: &Path, what: &str) -> Result<PathBuf> {
    let name = out
        .file_name()
        .ok_or_else(|| BundleError::Area(format!("{} names no folder", out.display())))?;
    Ok(out.with_file_name(format!(".{}.{what}", name.to_string_lossy())))
}

/// Prepares a bundle of `cache` and the map for `area` in the folder `out`, replacing an earlier bundle there.
/// `area` is cut to the basemap's bounds; an area outside them is refused. With no `area`: the bounding box of
/// the cache's scope when it has one and holds that area (cut to the basemap the same way; a scope outside the
/// basemap, or a scope the cache has no outline of, gets the whole basemap), else the whole basemap.
/// The cache is locked only while it is copied (the sync engine shares it); tiles, assets and checksums are
/// done without it.
pub fn prepare(
    cache: &std::sync::Mutex<Cache>,
    map: MapSources<'_>,
    area: Option<[f64; 4]>,
    out: &Path,
    now: DateTime<Utc>,
) -> Result<Manifest> {
    if out.exists() && !out.join(MANIFEST).is_file() {
        return Err(BundleError::Area(format!(
            "{} exists and is not a bundle: not writing over it",
            out.display()
        )));
    }
    let server = citydeck_tiles::MapServer::open(map.mbtiles, map.assets, "citydeck-map://localhost")
        .map_err(|e| BundleError::Basemap(format!("{e:#}")))?;
    let [bw, bs, be, bn] = server.info().bounds;
    let cut_to_basemap = |a: [f64; 4]| {
        let cut = [a[0].max(bw), a[1].max(bs), a[2].min(be), a[3].min(bn)];
        (cut[0] < cut[2] && cut[1] < cut[3]).then_some(cut)
    };
    let area = match area {
        None => scope_bbox(cache)?
            .and_then(cut_to_basemap)
            .unwrap_or([bw, bs, be, bn]),
        Some(a) => {
            check_area(a)?;
            cut_to_basemap(a).ok_or_else(|| {
                BundleError::Area(format!(
                    "{a:?} lies outside the basemap, which covers {:?}",
                    [bw, bs, be, bn]
                ))
            })?
        }
    };
    drop(server);
    let staging = staging_for(out, "partial")?;
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    if let Some(parent) = staging.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::create_dir(&staging).map_err(io(&staging))?;
    let made = (|| -> Result<Manifest> {
        cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .export_confirmed(&staging.join(CACHE))?;
        let tiles = citydeck_tiles::extract_area(map.mbtiles, area, &staging.join(BASEMAP))
            .map_err(|e| BundleError::Basemap(format!("{e:#}")))?;
        copy_tree(map.assets, &staging.join(MAP_ASSETS))?;
        if let Some(districts) = map.districts {
            let to = staging.join(MAP_ASSETS).join("districts.geojson");
            std::fs::copy(districts, &to).map_err(io(districts))?;
        }
        let copy = Cache::open(&staging.join(CACHE))?;
        let summary = copy.summary(now)?;
        let (area_incidents, area_open_incidents) = copy.counts_in_area(area)?;
        let mut manifest = Manifest {
            format: FORMAT.into(),
            created_at: now,
            hub: copy.hub_identity()?.unwrap_or_default(),
            log_id: copy.log_id()?,
            last_seq: copy.last_seq()?,
            data_as_of: copy.last_sync_at()?,
            area,
            incidents: copy.incident_count()?,
            open_incidents: summary.total_open,
            area_incidents,
            area_open_incidents,
            tiles: tiles
                .into_iter()
                .map(|(zoom, tiles)| ZoomTiles { zoom, tiles })
                .collect(),
            files: Vec::new(),
        };
        drop(copy);
        // Opening the copy made WAL side files; the checksummed file must be all there is.
        for side in ["-wal", "-shm"] {
            let p = staging.join(format!("{CACHE}{side}"));
            if p.exists() {
                std::fs::remove_file(&p).map_err(io(&p))?;
            }
        }
        for rel in files_under(&staging)? {
            let (bytes, sha256) = sha256_file(&staging.join(&rel))?;
            manifest.files.push(FileEntry {
                path: rel_string(&rel),
                bytes,
                sha256,
            });
        }
        let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
        let mpath = staging.join(MANIFEST);
        std::fs::write(&mpath, json).map_err(io(&mpath))?;
        Ok(manifest)
    })();
    let manifest = match made {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let old = staging_for(out, "old")?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    if out.exists() {
        std::fs::rename(out, &old).map_err(io(out))?;
    }
    std::fs::rename(&staging, out).map_err(io(out))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(manifest)
}

/// Reads the manifest of the bundle at `dir` and checks every file it names (size and SHA-256).
pub fn verify(dir: &Path) -> Result<Manifest> {
    let manifest = read_manifest(dir)?;
    for f in &manifest.files {
        if f.path.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            return Err(BundleError::Damaged {
                file: f.path.clone(),
                why: "the manifest names a path outside the bundle".into(),
            });
        }
        let p = dir.join(&f.path);
        let (bytes, sha) = sha256_file(&p).map_err(|e| BundleError::Damaged {
            file: f.path.clone(),
            why: e.to_string(),
        })?;
        if bytes != f.bytes || sha != f.sha256 {
            return Err(BundleError::Damaged {
                file: f.path.clone(),
                why: format!(
                    "{bytes} bytes, SHA-256 {sha}; the manifest says {} bytes, {}",
                    f.bytes, f.sha256
                ),
            });
        }
    }
    for required in [CACHE, BASEMAP] {
        if !manifest.files.iter().any(|f| f.path == required) {
            return Err(BundleError::NotABundle {
                path: dir.to_path_buf(),
                why: format!("the manifest lists no {required}"),
            });
        }
    }
    Ok(manifest)
}

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Installed {
    /// The bundle's cache is now the desktop's cache.
    Installed { last_seq: u64 },
    /// The desktop's own cache was kept, and why.
    Kept { why: String },
}

/// Makes the verified bundle at `dir` the cache at `cache_path` of a desktop syncing with `hub`, unless that
/// cache already holds as much of the same log, or holds actions not yet on the hub (they are never dropped).
/// The desktop must not have the cache open.
pub fn install(dir: &Path, cache_path: &Path, hub: &str) -> Result<(Manifest, Installed)> {
    let manifest = verify(dir)?;
    if manifest.hub != hub {
        return Err(BundleError::OtherHub {
            bundle: manifest.hub.clone(),
            desktop: hub.to_string(),
        });
    }
    if cache_path.exists() {
        let mine = Cache::open(cache_path)?;
        let counts = mine.outbox_counts()?;
        let same_log = mine.log_id()? == manifest.log_id;
        let seq = mine.last_seq()?;
        if counts.pending > 0 || counts.rejected > 0 {
            return Ok((
                manifest,
                Installed::Kept {
                    why: format!(
                        "this desktop's cache holds {} pending and {} rejected actions",
                        counts.pending, counts.rejected
                    ),
                },
            ));
        }
        if same_log && seq >= manifest.last_seq {
            return Ok((
                manifest,
                Installed::Kept {
                    why: format!("this desktop's cache is as new (up to event {seq})"),
                },
            ));
        }
    }
    let tmp = cache_path.with_extension("bundle-tmp");
    std::fs::copy(dir.join(CACHE), &tmp).map_err(io(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(&tmp))?;
    // The replaced cache's WAL must not be replayed into the new file.
    for side in ["-wal", "-shm"] {
        let mut name = cache_path.as_os_str().to_owned();
        name.push(side);
        let p = PathBuf::from(name);
        if p.exists() {
            std::fs::remove_file(&p).map_err(io(&p))?;
        }
    }
    std::fs::rename(&tmp, cache_path).map_err(io(cache_path))?;
    let last_seq = manifest.last_seq;
    Ok((manifest, Installed::Installed { last_seq }))
}

#[cfg(test)]
mod tests;
