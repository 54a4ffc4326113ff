//! The parser never panics: on random bytes, and on a valid alert cut, spliced and sprinkled with markup.
//! (Run longer with `PROPTEST_CASES=100000 cargo test -p citydeck-ingest --test cap_fuzz`.)

use citydeck_ingest::{cap, map};
use proptest::prelude::*;

const SEED: &str = include_str!("samples/valid/02-valid-spec-a2-thunderstorm-polygon-geocode.xml");

/// Fragments that exercise the parser's corners when dropped into an alert.
const SPLICES: &[&str] = &[
    "<",
    ">",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?pi?>",
    "<!DOCTYPE a>",
    "<!ENTITY e \"x\">",
    "<info>",
    "</info>",
    "<area>",
    "<polygon>1,2 3,4</polygon>",
    "<circle>1,2 nan</circle>",
    "<circle>91,2 1e308</circle>",
    "xmlns=\"urn:oasis:names:tc:emergency:cap:1.1\"",
    "cap:",
    "\u{0}",
    "\u{feff}",
    "<sent>9999-99-99T99:99:99+99:99</sent>",
    "<references> </references>",
    "<size>-1</size>",
    "é",
    "中",
];

fn check(bytes: &[u8]) {
    // whatever the outcome, no panic; a parsed alert also maps without one
    if let Ok(alert) = cap::parse(bytes) {
        for m in map::incidents(&alert) {
            let n = m.new_incident((0.0, 0.0));
            assert!(n.lon.is_finite() && n.lat.is_finite());
            for ring in &m.outline {
                assert!(ring.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn a_cut_alert(cut in 0usize..SEED.len()) {
        check(&SEED.as_bytes()[..cut]);
    }

    #[test]
    fn a_spliced_alert(edits in proptest::collection::vec((0usize..SEED.len(), 0usize..SPLICES.len(), 0usize..8), 1..6)) {
        let mut bytes = SEED.as_bytes().to_vec();
        for (at, splice, drop) in edits {
            let at = at.min(bytes.len());
            let end = (at + drop).min(bytes.len());
            bytes.splice(at..end, SPLICES[splice].bytes());
        }
        check(&bytes);
    }
}
