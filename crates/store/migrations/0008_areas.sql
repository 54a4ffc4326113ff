-- schema version 8: the city's areas (issue 20: city, districts, streets) as the hub lists them, each with its
-- outline, so the cockpit drills down offline. `ord` keeps the hub's order (city, then districts, then streets);
-- `summary` is the area's `AreaSummary` JSON, `geometry` its GeoJSON MultiPolygon. Refreshed whole when the
-- hub's list changes. The account's scope lives in `meta` (key `scope`, absent = the whole city).
CREATE TABLE areas (
    id       TEXT PRIMARY KEY,
    ord      INTEGER NOT NULL,
    level    TEXT NOT NULL,
    parent   TEXT,
    summary  TEXT NOT NULL,
    geometry TEXT NOT NULL
);
CREATE INDEX areas_ord ON areas(ord);
