-- version 3 (SQLite's 7): the city's areas with a spatial index, the areas each incident lies in, the areas each
-- event concerns, and accounts scoped to an area. See migrations/0007_areas.sql.

CREATE TABLE areas (
    rid      BIGINT PRIMARY KEY,
    id       TEXT COLLATE "C" NOT NULL,
    name     TEXT NOT NULL,
    level    TEXT COLLATE "C" NOT NULL,
    parent   TEXT,
    min_lon  DOUBLE PRECISION NOT NULL,
    min_lat  DOUBLE PRECISION NOT NULL,
    max_lon  DOUBLE PRECISION NOT NULL,
    max_lat  DOUBLE PRECISION NOT NULL,
    geometry TEXT NOT NULL
);
CREATE UNIQUE INDEX areas_id ON areas(id);
-- The spatial index (SQLite: the R*Tree virtual table of the same name): GiST on the bbox as a box.
CREATE INDEX areas_rtree ON areas USING gist (box(point(min_lon, min_lat), point(max_lon, max_lat)));

CREATE TABLE incident_areas (
    incident_id TEXT NOT NULL,
    area_id     TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    PRIMARY KEY (incident_id, area_id)
);
CREATE INDEX incident_areas_area_seq ON incident_areas(area_id, seq);

CREATE TABLE event_areas (
    area_id    TEXT NOT NULL,
    server_seq BIGINT NOT NULL,
    PRIMARY KEY (area_id, server_seq)
);

ALTER TABLE events ADD COLUMN incident_id TEXT;
UPDATE events SET incident_id = body::jsonb -> 'incident' ->> 'id'
    WHERE kind IN ('incident_created', 'incident_updated');
CREATE INDEX events_global ON events(server_seq) WHERE incident_id IS NULL;

UPDATE incidents SET body = jsonb_set(body::jsonb, '{area_ids}', '[]')::text
    WHERE NOT (body::jsonb ? 'area_ids');
UPDATE events SET body = jsonb_set(body::jsonb, '{incident,area_ids}', '[]')::text
    WHERE incident_id IS NOT NULL AND NOT (body::jsonb -> 'incident' ? 'area_ids');

ALTER TABLE users ADD COLUMN scope TEXT;
