-- schema version 7: the city's areas (三级: the city, its districts, their streets) with a spatial index, the
-- areas each incident lies in, the areas each event concerns, and accounts scoped to an area.

-- Replaced from `--areas FILE` at start. `rid` keys the spatial index; the bbox is [min_lon, min_lat, max_lon,
-- max_lat]; `geometry` is a GeoJSON MultiPolygon.
CREATE TABLE areas (
    rid      INTEGER PRIMARY KEY,
    id       TEXT NOT NULL,
    name     TEXT NOT NULL,
    level    TEXT NOT NULL,            -- city | district | street
    parent   TEXT,
    min_lon  REAL NOT NULL,
    min_lat  REAL NOT NULL,
    max_lon  REAL NOT NULL,
    max_lat  REAL NOT NULL,
    geometry TEXT NOT NULL
);
CREATE UNIQUE INDEX areas_id ON areas(id);
-- The spatial index (PostgreSQL: a GiST index of the same name on the bbox as a box).
CREATE VIRTUAL TABLE areas_rtree USING rtree(rid, min_lon, max_lon, min_lat, max_lat);

-- Which areas each incident lies in (its `area_ids`, fixed at creation); `seq` follows incidents.seq, so a
-- scoped list is read newest first from the index.
CREATE TABLE incident_areas (
    incident_id TEXT NOT NULL,
    area_id     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (incident_id, area_id)
) WITHOUT ROWID;
CREATE INDEX incident_areas_area_seq ON incident_areas(area_id, seq);

-- Which areas each event about an incident concerns (the incident's areas): a scoped pull reads its area's
-- events in log order from the primary key.
CREATE TABLE event_areas (
    area_id    TEXT NOT NULL,
    server_seq INTEGER NOT NULL,
    PRIMARY KEY (area_id, server_seq)
) WITHOUT ROWID;

-- The incident an event is about; NULL for events that concern no incident (mode, screens), which reach every
-- account.
ALTER TABLE events ADD COLUMN incident_id TEXT;
UPDATE events SET incident_id = json_extract(body, '$.incident.id')
    WHERE kind IN ('incident_created', 'incident_updated');
CREATE INDEX events_global ON events(server_seq) WHERE incident_id IS NULL;

-- Incidents and events stored before areas existed lie in no area: say so in their JSON.
UPDATE incidents SET body = json_set(body, '$.area_ids', json('[]'))
    WHERE json_extract(body, '$.area_ids') IS NULL;
UPDATE events SET body = json_set(body, '$.incident.area_ids', json('[]'))
    WHERE incident_id IS NOT NULL AND json_extract(body, '$.incident.area_ids') IS NULL;

-- The area an account is scoped to (NULL: the whole city).
ALTER TABLE users ADD COLUMN scope TEXT;
