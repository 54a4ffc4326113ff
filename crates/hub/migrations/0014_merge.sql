-- schema version 14: reports of one event merge (issue 22). `merge_candidates` holds one row per open incident a
-- new report may join: its point, class, time (`occurred_at`) and the sources of its reports (a JSON array of
-- strings), written with the incident and deleted when it closes. `merge_rtree` is its spatial index (PostgreSQL:
-- a GiST index of the same name), so a report looks at the incidents within its radius, never at all of them.
-- `incident_reports` keeps every report that joined an incident after its origin (the origin is the incident
-- row): its `(source, external_id)`, so a re-delivery of a joined report finds its incident, and the request it
-- came as (`body`, a new-incident JSON).
CREATE TABLE merge_candidates (
    rid         INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL,
    class       TEXT NOT NULL,
    lon         REAL NOT NULL,
    lat         REAL NOT NULL,
    at          TEXT NOT NULL,
    sources     TEXT NOT NULL
);
CREATE UNIQUE INDEX merge_candidates_incident ON merge_candidates(incident_id);
CREATE VIRTUAL TABLE merge_rtree USING rtree(rid, min_lon, max_lon, min_lat, max_lat);
CREATE TABLE incident_reports (
    incident_id TEXT NOT NULL,
    n           INTEGER NOT NULL,
    source      TEXT NOT NULL,
    external_id TEXT,
    received_at TEXT NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (incident_id, n)
);
CREATE INDEX incident_reports_source ON incident_reports(source, external_id);

-- the open incidents of an existing log are candidates already
INSERT INTO merge_candidates (incident_id, class, lon, lat, at, sources)
    SELECT id, json_extract(body, '$.class'), json_extract(body, '$.location.lon'),
           json_extract(body, '$.location.lat'), json_extract(body, '$.occurred_at'), json_array(source)
    FROM incidents WHERE status <> 'closed';
INSERT INTO merge_rtree (rid, min_lon, max_lon, min_lat, max_lat)
    SELECT rid, lon, lon, lat, lat FROM merge_candidates;
