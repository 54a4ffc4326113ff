use super::*;
use citydeck_protocol::{fixtures, Event, EventBody, Grade, NewIncident, Stage};

const HUB: &str = "http://hub.test:8640";

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/cache")
}

fn map() -> (PathBuf, PathBuf) {
    let d = data();
    (d.join("helsinki.mbtiles"), d.join("map"))
}

fn sources<'a>(m: &'a (PathBuf, PathBuf)) -> MapSources<'a> {
    MapSources {
        mbtiles: &m.0,
        assets: &m.1,
        districts: None,
    }
}

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

fn event(seq: u64, lon: f64, lat: f64, status: Stage) -> Event {
    let incident = fixtures::incident(seq)
        .id(uuid::Uuid::now_v7())
        .title(format!("事件 {seq}"))
        .grade(Grade::II)
        .lon_lat(lon, lat)
        .status(status)
        .at(t(seq as i64))
        .build();
    Event {
        server_seq: seq,
        at: t(seq as i64),
        actor: "operator".into(),
        body: EventBody::IncidentCreated { incident },
    }
}

/// A synced cache of hub `HUB`: two incidents in the city centre (one closed), one far outside, and one
/// action of this desktop still pending.
fn source_cache(path: &Path) -> std::sync::Mutex<Cache> {
    let mut c = Cache::open(path).unwrap();
    c.set_hub_identity(HUB).unwrap();
    c.bind_log("log-A").unwrap();
    c.apply_events(
        &[
            event(1, 24.944, 60.171, Stage::Collected),
            event(2, 24.945, 60.170, Stage::Closed),
            event(3, 25.300, 60.400, Stage::Collected),
        ],
        t(100),
    )
    .unwrap();
    c.enqueue(
        &fixtures::create(
            uuid::Uuid::now_v7(),
            NewIncident {
                title: "离线上报".into(),
                grade: Grade::III,
                lon: 24.94,
                ..fixtures::new_incident()
            },
        ),
        t(101),
    )
    .unwrap();
    std::sync::Mutex::new(c)
}

const CENTRE: [f64; 4] = [24.940, 60.168, 24.950, 60.175];

#[test]
fn a_bundle_carries_the_districts_the_map_serves() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_cache(&dir.path().join("cache.sqlite"));
    let m = map();
    let areas = dir.path().join("areas.geojson");
    std::fs::write(&areas, br#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    let out = dir.path().join("field");
    let sources = MapSources {
        districts: Some(&areas),
        ..sources(&m)
    };
    let manifest = prepare(&src, sources, Some(CENTRE), &out, t(200)).unwrap();
    let copied = out.join(MAP_ASSETS).join("districts.geojson");
    assert_eq!(std::fs::read(&copied).unwrap(), std::fs::read(&areas).unwrap());
    assert_eq!(verify(&out).unwrap(), manifest, "the manifest checks the copy");
}

#[test]
fn a_bundle_carries_the_confirmed_cache_and_the_areas_tiles_and_installs_once() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_cache(&dir.path().join("cache.sqlite"));
    let m = map();
    let out = dir.path().join("field");
    let manifest = prepare(&src, sources(&m), Some(CENTRE), &out, t(200)).unwrap();

    assert_eq!(manifest.format, FORMAT);
    assert_eq!(manifest.hub, HUB);
    assert_eq!(manifest.log_id.as_deref(), Some("log-A"));
    assert_eq!(manifest.last_seq, 3);
    assert_eq!(manifest.data_as_of, Some(t(100)));
    assert_eq!((manifest.incidents, manifest.open_incidents), (3, 2));
    assert_eq!((manifest.area_incidents, manifest.area_open_incidents), (2, 1));
    assert_eq!(manifest.area, CENTRE, "inside the basemap: kept as asked");

    // The area's tiles: one per low zoom, a subset of the basemap's at z14 but not none.
    let full = citydeck_tiles::MapServer::open(&m.0, &m.1, "x")
        .unwrap()
        .tile_counts()
        .unwrap();
    let z = |zoom: u8| manifest.tiles.iter().find(|t| t.zoom == zoom).unwrap().tiles;
    assert_eq!(z(0), 1);
    let full14 = full.iter().find(|(zz, _)| *zz == 14).unwrap().1;
    assert!(z(14) >= 1 && z(14) <= full14, "z14: {} of {full14}", z(14));
    let served = citydeck_tiles::MapServer::open(&out.join(BASEMAP), &out.join(MAP_ASSETS), "x").unwrap();
    assert_eq!(
        served.tile_counts().unwrap().iter().map(|(_, n)| n).sum::<u64>(),
        manifest.tiles.iter().map(|t| t.tiles).sum::<u64>()
    );
    assert_eq!(served.handle("/districts.geojson").status, 200);
    assert_eq!(
        served.handle("/districts.geojson").body,
        std::fs::read(m.1.join("districts.geojson")).unwrap(),
        "without a city areas file, the asset folder's districts"
    );

    let names: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for want in [CACHE, BASEMAP, "map/districts.geojson"] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    assert!(names.iter().any(|n| n.starts_with("map/glyphs/")));
    assert_eq!(verify(&out).unwrap(), manifest);
    // Nothing left from the staging.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // The copy: confirmed state, not this desktop's identity or its pending action.
    // (opened from a copy: opening a cache writes to it, and the bundle is checksummed)
    std::fs::copy(out.join(CACHE), dir.path().join("copy.sqlite")).unwrap();
    let copy = Cache::open(&dir.path().join("copy.sqlite")).unwrap();
    assert_eq!(copy.incident_count().unwrap(), 3);
    assert_eq!(copy.last_seq().unwrap(), 3);
    assert_eq!(copy.outbox_counts().unwrap().pending, 0);
    assert_ne!(
        copy.client_id().unwrap(),
        src.lock().unwrap().client_id().unwrap()
    );
    assert_eq!(
        src.lock().unwrap().outbox_counts().unwrap().pending,
        1,
        "the source keeps its action"
    );
    drop(copy);

    // Installing on a field desktop: once; a second time the cache is as new.
    let field = dir.path().join("field-desktop");
    std::fs::create_dir(&field).unwrap();
    let target = field.join("cache-x.sqlite");
    assert_eq!(
        install(&out, &target, HUB).unwrap().1,
        Installed::Installed { last_seq: 3 }
    );
    let installed = Cache::open(&target).unwrap();
    assert_eq!(installed.incident_count().unwrap(), 3);
    assert_eq!(installed.log_id().unwrap().as_deref(), Some("log-A"));
    assert_eq!(
        installed.last_sync_at().unwrap(),
        Some(t(100)),
        "the data's age travels"
    );
    drop(installed);
    assert!(matches!(
        install(&out, &target, HUB).unwrap().1,
        Installed::Kept { .. }
    ));
}

#[test]
fn a_desktops_pending_actions_are_never_replaced_by_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let m = map();
    let src = source_cache(&dir.path().join("cache.sqlite"));
    let out = dir.path().join("field");
    prepare(&src, sources(&m), None, &out, t(200)).unwrap();
    // A desktop with an empty log position but one queued action.
    let target = dir.path().join("mine.sqlite");
    let mine = source_cache(&target);
    drop(mine);
    let (_, what) = install(&out, &target, HUB).unwrap();
    match what {
        Installed::Kept { why } => assert!(why.contains("1 pending"), "{why}"),
        other => panic!("replaced a cache with a pending action: {other:?}"),
    }
    assert_eq!(Cache::open(&target).unwrap().outbox_counts().unwrap().pending, 1);
    // A bundle of another hub is refused by name.
    let err = install(&out, &dir.path().join("other.sqlite"), "http://elsewhere:1").unwrap_err();
    assert!(
        err.to_string().contains(HUB) && err.to_string().contains("elsewhere"),
        "{err}"
    );
}

#[test]
fn a_damaged_or_foreign_bundle_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let m = map();
    let src = source_cache(&dir.path().join("cache.sqlite"));
    let out = dir.path().join("field");
    let manifest = prepare(&src, sources(&m), None, &out, t(200)).unwrap();
    assert_eq!(
        manifest.area,
        citydeck_tiles::MapServer::open(&m.0, &m.1, "x")
            .unwrap()
            .info()
            .bounds
    );

    // One byte changed in the basemap.
    let tiles = out.join(BASEMAP);
    let mut bytes = std::fs::read(&tiles).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x55;
    std::fs::write(&tiles, &bytes).unwrap();
    let err = verify(&out).unwrap_err();
    assert!(
        matches!(&err, BundleError::Damaged { file, .. } if file == BASEMAP),
        "{err}"
    );
    assert!(install(&out, &dir.path().join("c.sqlite"), HUB).is_err());
    assert!(
        !dir.path().join("c.sqlite").exists(),
        "nothing installed from a damaged bundle"
    );

    // A manifest naming a file outside the bundle.
    let mut evil = manifest.clone();
    evil.files[0].path = "../cache.sqlite".into();
    std::fs::write(out.join(MANIFEST), serde_json::to_vec(&evil).unwrap()).unwrap();
    assert!(matches!(verify(&out).unwrap_err(), BundleError::Damaged { .. }));

    // Not a bundle at all.
    std::fs::write(out.join(MANIFEST), b"{not json").unwrap();
    assert!(matches!(
        verify(&out).unwrap_err(),
        BundleError::NotABundle { .. }
    ));
    let err = verify(dir.path()).unwrap_err();
    assert!(err.to_string().contains("manifest.json"), "{err}");
}

#[test]
fn areas_are_checked_and_a_folder_that_is_not_a_bundle_is_never_written_over() {
    assert_eq!(
        parse_area("24.9,60.1,25.0,60.2").unwrap(),
        [24.9, 60.1, 25.0, 60.2]
    );
    for bad in [
        "",
        "1,2,3",
        "a,b,c,d",
        "25,60,24,61",
        "24,61,25,60",
        "200,0,201,1",
        "0,-91,1,0",
        "NaN,0,1,1",
    ] {
        let err = parse_area(bad).unwrap_err();
        assert!(matches!(err, BundleError::Area(_)), "{bad}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let m = map();
    let src = source_cache(&dir.path().join("cache.sqlite"));
    // Outside the basemap (Tampere).
    let err = prepare(
        &src,
        sources(&m),
        Some([23.7, 61.4, 23.8, 61.5]),
        &dir.path().join("b"),
        t(1),
    )
    .unwrap_err();
    assert!(err.to_string().contains("outside the basemap"), "{err}");
    assert!(!dir.path().join("b").exists());
    // A folder of the user's.
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(docs.join("report.txt"), b"mine").unwrap();
    assert!(prepare(&src, sources(&m), None, &docs, t(1)).is_err());
    assert_eq!(std::fs::read(docs.join("report.txt")).unwrap(), b"mine");
    // A bundle is replaced by a newer one.
    let out = dir.path().join("field");
    prepare(&src, sources(&m), None, &out, t(1)).unwrap();
    let again = prepare(&src, sources(&m), Some(CENTRE), &out, t(2)).unwrap();
    assert_eq!(verify(&out).unwrap(), again);
    assert_eq!(again.created_at, t(2));
}

/// A synced cache of a street-scoped account: the cache holds the street's outline (`bbox`) and only its
/// incidents, at the seqs of its filtered log (gaps: the others' seqs).
fn scoped_cache(path: &Path, scope: &str, bbox: [f64; 4]) -> std::sync::Mutex<Cache> {
    let mut c = Cache::open(path).unwrap();
    c.set_hub_identity(HUB).unwrap();
    c.bind_log("log-A").unwrap();
    c.bind_scope(Some(scope)).unwrap();
    let [w, s, e, n] = bbox;
    c.replace_areas(&[citydeck_protocol::AreaDetail {
        area: citydeck_protocol::AreaSummary {
            id: "osm-r38".into(),
            name: "Kamppi".into(),
            level: citydeck_protocol::AreaLevel::Street,
            parent: Some("osm-r49".into()),
            bbox,
            name_zh: None,
            name_en: None,
        },
        geometry: serde_json::json!({
            "type": "MultiPolygon",
            "coordinates": [[[[w, s], [e, s], [e, n], [w, n], [w, s]]]],
        }),
    }])
    .unwrap();
    c.apply_page(
        &[
            event(5, 24.944, 60.171, Stage::Collected),
            event(9, 24.945, 60.170, Stage::Closed),
        ],
        12,
        t(100),
    )
    .unwrap();
    std::sync::Mutex::new(c)
}

#[test]
fn a_scoped_desktops_bundle_holds_its_scope_and_defaults_to_the_scopes_bbox() {
    let dir = tempfile::tempdir().unwrap();
    let m = map();
    let basemap = citydeck_tiles::MapServer::open(&m.0, &m.1, "x")
        .unwrap()
        .info()
        .bounds;
    let src = scoped_cache(&dir.path().join("cache.sqlite"), "osm-r38", CENTRE);
    let out = dir.path().join("field");
    let manifest = prepare(&src, sources(&m), None, &out, t(200)).unwrap();
    assert_eq!(manifest.area, CENTRE, "the scope's bbox, not the whole basemap");
    assert_ne!(manifest.area, basemap);
    assert_eq!(manifest.last_seq, 12, "the position the scoped feed reached");
    assert_eq!((manifest.incidents, manifest.area_incidents), (2, 2));
    let copy = Cache::open(&out.join(CACHE)).unwrap();
    assert_eq!(copy.scope().unwrap().as_deref(), Some("osm-r38"));
    assert_eq!(copy.incident_count().unwrap(), 2);
    drop(copy);
    // an area given still wins over the scope
    let given = [24.941, 60.169, 24.946, 60.172];
    assert_eq!(
        prepare(&src, sources(&m), Some(given), &out, t(201))
            .unwrap()
            .area,
        given
    );

    // a scope reaching past the basemap is cut to it
    let wide = [basemap[0] - 1.0, CENTRE[1], CENTRE[2], basemap[3] + 1.0];
    let src = scoped_cache(&dir.path().join("wide.sqlite"), "osm-r38", wide);
    let manifest = prepare(&src, sources(&m), None, &dir.path().join("wide"), t(200)).unwrap();
    assert_eq!(manifest.area, [basemap[0], CENTRE[1], CENTRE[2], basemap[3]]);

    // a scope the cache has no outline of (areas not fetched yet), or one outside the basemap: the whole basemap
    let src = scoped_cache(&dir.path().join("other.sqlite"), "osm-r99", CENTRE);
    let manifest = prepare(&src, sources(&m), None, &dir.path().join("other"), t(200)).unwrap();
    assert_eq!(manifest.area, basemap);
    let far = [9.47, 47.04, 9.64, 47.27];
    let src = scoped_cache(&dir.path().join("far.sqlite"), "osm-r38", far);
    let manifest = prepare(&src, sources(&m), None, &dir.path().join("far"), t(200)).unwrap();
    assert_eq!(manifest.area, basemap);
}
