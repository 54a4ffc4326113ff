//! A minimal Mapbox Vector Tile (protobuf) reader: enough to check that a tile decodes and to list its layers.
//! It walks the whole message, so a truncated or corrupt tile is an error.

/// One layer of a tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub name: String,
    pub version: u32,
    pub extent: u32,
    pub features: usize,
    pub keys: Vec<String>,
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

/// Walks one protobuf message, calling `f(field, wire_type, varint_value, bytes)` for each field.
fn walk(buf: &[u8], mut f: impl FnMut(u64, u8, u64, &[u8]) -> Result<(), String>) -> Result<(), String> {
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let (field, wt) = (key >> 3, (key & 7) as u8);
        if field == 0 {
            return Err("field number 0".into());
        }
        match wt {
            0 => {
                let v = varint(buf, &mut pos)?;
                f(field, wt, v, &[])?;
            }
            1 | 5 => {
                let n = if wt == 1 { 8 } else { 4 };
                let bytes = buf.get(pos..pos + n).ok_or("truncated fixed field")?;
                pos += n;
                f(field, wt, 0, bytes)?;
            }
            2 => {
                let len = varint(buf, &mut pos)? as usize;
                let end = pos.checked_add(len).ok_or("length overflow")?;
                let bytes = buf.get(pos..end).ok_or("truncated length-delimited field")?;
                pos = end;
                f(field, wt, 0, bytes)?;
            }
            other => return Err(format!("unsupported wire type {other}")),
        }
    }
    Ok(())
}

/// Decodes the layers of an (uncompressed) MVT tile.
pub fn layers(tile: &[u8]) -> Result<Vec<Layer>, String> {
    let mut out = Vec::new();
    walk(tile, |field, wt, _, bytes| {
        if field != 3 || wt != 2 {
            return Ok(());
        }
        let mut layer = Layer {
            name: String::new(),
            version: 1,
            extent: 4096,
            features: 0,
            keys: Vec::new(),
        };
        walk(bytes, |field, wt, v, bytes| {
            match (field, wt) {
                (1, 2) => layer.name = String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())?,
                (2, 2) => {
                    // a feature: check it parses (id, tags, type, geometry)
                    walk(bytes, |_, _, _, _| Ok(()))?;
                    layer.features += 1;
                }
                (3, 2) => layer
                    .keys
                    .push(String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())?),
                (4, 2) => walk(bytes, |_, _, _, _| Ok(()))?,
                (5, 0) => layer.extent = v as u32,
                (15, 0) => layer.version = v as u32,
                _ => {}
            }
            Ok(())
        })?;
        if layer.name.is_empty() {
            return Err("a layer without a name".into());
        }
        out.push(layer);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_handmade_tile_and_refuses_a_truncated_one() {
        // layer { version 2, name "water", feature { type 3, geometry [9, 0, 0] }, keys "class", extent 4096 }
        let feature = [0x18, 0x03, 0x22, 0x03, 0x09, 0x00, 0x00];
        let mut layer = vec![0x78, 0x02, 0x0a, 0x05];
        layer.extend_from_slice(b"water");
        layer.push(0x12);
        layer.push(feature.len() as u8);
        layer.extend_from_slice(&feature);
        layer.extend_from_slice(&[0x1a, 0x05]);
        layer.extend_from_slice(b"class");
        layer.extend_from_slice(&[0x28, 0x80, 0x20]);
        let mut tile = vec![0x1a, layer.len() as u8];
        tile.extend_from_slice(&layer);
        let l = layers(&tile).unwrap();
        assert_eq!(
            l,
            vec![Layer {
                name: "water".into(),
                version: 2,
                extent: 4096,
                features: 1,
                keys: vec!["class".into()]
            }]
        );
        assert!(layers(&tile[..tile.len() - 2]).is_err());
        assert!(layers(b"\x1f\x8b\x08\x00garbage").is_err());
    }
}
