-- citydeck desktop cache, schema version 3: the incident fields the map asks about on every refresh, as columns.
-- (Reading them with json_extract parsed every incident's body several times a second: with 10,000 incidents
-- under live updates that was a third of a core.)

ALTER TABLE incidents ADD COLUMN source TEXT;
ALTER TABLE incidents ADD COLUMN assignee TEXT;
ALTER TABLE incidents ADD COLUMN lon REAL;
ALTER TABLE incidents ADD COLUMN lat REAL;

UPDATE incidents SET
    source   = json_extract(body, '$.source'),
    assignee = json_extract(body, '$.assignee'),
    lon      = json_extract(body, '$.location.lon'),
    lat      = json_extract(body, '$.location.lat');

-- Open incidents someone is assigned to (where the response teams are).
CREATE INDEX incidents_assigned ON incidents(assignee) WHERE assignee IS NOT NULL AND status != 'closed';
-- Sensor reports (source = 'iot-sensor').
CREATE INDEX incidents_source ON incidents(source);
