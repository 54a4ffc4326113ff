-- version 10 (SQLite's 14): reports of one event merge (issue 22). See migrations/0014_merge.sql; the spatial
-- index `merge_rtree` is a GiST index on the point as a box.
CREATE TABLE merge_candidates (
    rid         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id TEXT COLLATE "C" NOT NULL,
    class       TEXT COLLATE "C" NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    at          TEXT COLLATE "C" NOT NULL,
    sources     TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX merge_candidates_incident ON merge_candidates(incident_id);
CREATE INDEX merge_rtree ON merge_candidates USING gist (box(point(lon, lat), point(lon, lat)));
CREATE TABLE incident_reports (
    incident_id TEXT COLLATE "C" NOT NULL,
    n           BIGINT NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    external_id TEXT COLLATE "C",
    received_at TEXT COLLATE "C" NOT NULL,
    body        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (incident_id, n)
);
CREATE INDEX incident_reports_source ON incident_reports(source, external_id);

INSERT INTO merge_candidates (incident_id, class, lon, lat, at, sources)
    SELECT id, body::jsonb->>'class', (body::jsonb->'location'->>'lon')::float8,
           (body::jsonb->'location'->>'lat')::float8, body::jsonb->>'occurred_at', json_build_array(source)::text
    FROM incidents WHERE status <> 'closed';
