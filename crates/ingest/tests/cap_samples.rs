//! Real alerts (`samples/SOURCES.md`: the OASIS specification's examples and agencies' alerts kept as fixtures by
//! public CAP libraries, byte for byte): every valid one reads and maps; every invalid one is refused the way the
//! API answers it, naming the element.

use std::path::{Path, PathBuf};

use citydeck_ingest::cap::{self, CapError, MsgType};
use citydeck_ingest::map;

fn samples(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/samples")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

fn read(name: &str) -> cap::Alert {
    let path = samples("valid")
        .into_iter()
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(name));
    cap::parse(&std::fs::read(path.unwrap()).unwrap()).unwrap()
}

#[test]
fn every_valid_sample_reads_and_maps() {
    let files = samples("valid");
    assert_eq!(files.len(), 12);
    for f in files {
        let alert =
            cap::parse(&std::fs::read(&f).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let mapped = map::incidents(&alert);
        assert_eq!(mapped.is_empty(), alert.infos.is_empty(), "{}", f.display());
        for m in mapped {
            let n = m.new_incident((9.52, 47.14));
            // what the hub's own checks ask of a new incident
            let json = serde_json::to_value(&n).unwrap();
            citydeck_domain::parse_new_incident(&json).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        }
    }
}

#[test]
fn every_invalid_sample_is_refused_naming_the_element() {
    let expected: &[(&str, Option<&str>)] = &[
        ("13-", Some("scope")),
        ("14-", Some("alert")),
        ("15-", None), // refused markup
        ("16-", Some("references")),
        ("17-", Some("alert")),
        ("18-", Some("info[0].certainty")),
        ("19-", Some("info[0].certainty")),
        ("20-", Some("sent")),
        ("21-", Some("info[0].area[0].polygon[0]")),
    ];
    let files = samples("invalid");
    assert_eq!(files.len(), expected.len());
    for (f, (prefix, field)) in files.iter().zip(expected) {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(prefix), "{name}");
        let got = cap::parse(&std::fs::read(f).unwrap());
        match (field, got) {
            (Some(field), Err(CapError::Invalid { field: got, .. })) => assert_eq!(&got, field, "{name}"),
            (None, Err(CapError::Refused { .. })) => {}
            (_, other) => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn what_the_real_alerts_carry_is_read() {
    // 05: every element cap:-prefixed; two infos in one language make two incidents; a southern circle
    let au = read("05-");
    assert_eq!(au.infos.len(), 2);
    assert_eq!(map::incidents(&au).len(), 2);
    let c = &au.infos[0].areas[0].circles[0];
    assert!((c.lat + 35.3888).abs() < 1e-9 && (c.radius_km - 25.0).abs() < 1e-9);
    // 06: en-CA and fr-CA, an Update with two references, areas with polygons
    let ca = read("06-");
    assert_eq!(ca.msg_type, MsgType::Update);
    assert_eq!(ca.references.len(), 2);
    let m = map::incidents(&ca);
    assert_eq!(m.len(), 1, "the first info's language only");
    assert_eq!(m[0].record.texts.len(), 2);
    assert_eq!(
        m[0].outline.len(),
        ca.infos[0].areas.iter().map(|a| a.polygons.len()).sum::<usize>()
    );
    assert_eq!(m[0].outline.len(), 2, "the polygons of the followed info's areas");
    // 07 and 08, 11, 12 are signed; 02 is not
    for signed in ["07-", "08-", "11-", "12-"] {
        assert!(read(signed).signed, "{signed}");
    }
    assert!(!read("02-").signed);
    // 08: ISO-8859-1, the á of Usulután read as such
    let sv = read("08-");
    let text = format!("{:?}", sv.infos);
    assert!(text.contains("Usulután"), "{text}");
    // 11: a Cancel without an info
    let cancel = read("11-");
    assert_eq!(cancel.msg_type, MsgType::Cancel);
    assert!(cancel.infos.is_empty() && !cancel.references.is_empty());
}
