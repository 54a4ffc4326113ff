-- schema version 9: which areas each incident lies in (its `area_ids`, issue 20), one row per (incident, area),
-- so the cockpit's panels filter to the area drilled into and the map shades the areas by a count without
-- parsing incident bodies: the panels are read with every snapshot, several a second. Kept by `apply_events`
-- with the incident; filled here from the bodies a version-8 cache already holds.
CREATE TABLE incident_areas (
    incident_id TEXT NOT NULL,
    area_id     TEXT NOT NULL,
    PRIMARY KEY (incident_id, area_id)
) WITHOUT ROWID;
CREATE INDEX incident_areas_area ON incident_areas(area_id, incident_id);
INSERT OR IGNORE INTO incident_areas (incident_id, area_id)
    SELECT incidents.id, j.value FROM incidents, json_each(incidents.body, '$.area_ids') AS j
    WHERE json_valid(incidents.body) AND j.type = 'text';
