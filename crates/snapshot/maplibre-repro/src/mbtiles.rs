//! Reading vector tiles out of an MBTiles file (rusqlite), for the maplibre-rs renderer.
//!
//! maplibre-rs 0.0.3 cannot read MBTiles at run time (its `HeadlessEnvironment` fixes the HTTP client to
//! `ReqwestHttpClient`), so the tiles are read here and handed to `HeadlessMap::process_tile` as bytes.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// An open MBTiles file with the metadata the renderer needs.
pub struct MbTiles {
    conn: Connection,
    pub min_zoom: u8,
    pub max_zoom: u8,
}

impl MbTiles {
    /// Opens read-only; refuses files that are not MBTiles or not vector (`pbf`) tiles.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.is_file() {
            bail!("MBTiles file {} does not exist", path.display());
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("opening {}", path.display()))?;
        let meta = |name: &str| -> Result<Option<String>> {
            conn.query_row("SELECT value FROM metadata WHERE name = ?1", [name], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .with_context(|| format!("{} is not an MBTiles file (reading metadata)", path.display()))
        };
        let format = meta("format")?.unwrap_or_else(|| "pbf".into());
        if format != "pbf" {
            bail!(
                "{} holds {format:?} tiles; the snapshot renderer needs vector tiles (pbf)",
                path.display()
            );
        }
        let zoom = |name: &str, default: u8| -> Result<u8> {
            Ok(meta(name)?
                .and_then(|v| v.trim().parse::<u8>().ok())
                .unwrap_or(default))
        };
        let min_zoom = zoom("minzoom", 0)?;
        let max_zoom = zoom("maxzoom", 14)?;
        Ok(Self {
            conn,
            min_zoom,
            max_zoom,
        })
    }

    /// The tile at XYZ (`y` from the north), gunzipped; `None` when the file has no such tile.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>> {
        let tms_y = (1u32 << z) - 1 - y;
        let data: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                (z, x, tms_y),
                |r| r.get(0),
            )
            .optional()
            .with_context(|| format!("reading tile {z}/{x}/{y}"))?;
        match data {
            Some(d) if d.starts_with(&[0x1f, 0x8b]) => {
                let mut out = Vec::with_capacity(d.len() * 4);
                flate2::read::GzDecoder::new(&d[..])
                    .read_to_end(&mut out)
                    .with_context(|| format!("gunzipping tile {z}/{x}/{y}"))?;
                Ok(Some(out))
            }
            other => Ok(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;

    fn mbtiles_with(dir: &Path, meta: &[(&str, &str)], tiles: &[(u8, u32, u32, Vec<u8>)]) -> PathBuf {
        let path = dir.join("t.mbtiles");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);",
        )
        .unwrap();
        for (k, v) in meta {
            c.execute("INSERT INTO metadata VALUES (?1, ?2)", (k, v)).unwrap();
        }
        for (z, x, row, data) in tiles {
            c.execute("INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)", (z, x, row, data))
                .unwrap();
        }
        path
    }

    #[test]
    fn tiles_are_read_with_the_tms_row_flipped_and_gunzipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"vector tile bytes").unwrap();
        // XYZ 14/9326/4742 is TMS row 2^14 - 1 - 4742 = 11641.
        let path = mbtiles_with(
            dir.path(),
            &[("format", "pbf"), ("minzoom", "0"), ("maxzoom", "14")],
            &[
                (14, 9326, 11641, gz.finish().unwrap()),
                (14, 9327, 11641, b"plain".to_vec()),
            ],
        );
        let mb = MbTiles::open(&path).unwrap();
        assert_eq!((mb.min_zoom, mb.max_zoom), (0, 14));
        assert_eq!(mb.tile(14, 9326, 4742).unwrap().unwrap(), b"vector tile bytes");
        assert_eq!(mb.tile(14, 9327, 4742).unwrap().unwrap(), b"plain");
        assert_eq!(mb.tile(14, 9326, 11641).unwrap(), None);
    }

    #[test]
    fn bad_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = MbTiles::open(&dir.path().join("none.mbtiles")).err().unwrap();
        assert!(err.to_string().contains("does not exist"), "{err}");
        let raster = mbtiles_with(dir.path(), &[("format", "png")], &[]);
        let err = MbTiles::open(&raster).err().unwrap();
        assert!(err.to_string().contains("needs vector tiles"), "{err}");
        let junk = dir.path().join("junk.mbtiles");
        std::fs::write(&junk, b"not sqlite at all, just some bytes that are long enough").unwrap();
        let err = MbTiles::open(&junk).err().unwrap();
        assert!(format!("{err:#}").contains("not an MBTiles file"), "{err:#}");
    }
}
