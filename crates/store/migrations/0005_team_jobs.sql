-- citydeck desktop cache, schema version 5: where each response team is follows from the open incident most
-- recently assigned to it. The map asks several times a second, per team; without this index each ask read
-- every open assigned incident (thousands after a busy day, or under a storm of assignments) and parsed its body.

CREATE INDEX incidents_open_assignee ON incidents(assignee, seq) WHERE assignee IS NOT NULL AND status != 'closed';
-- It replaces version 3's index on assignee alone (same rows, and a prefix of this one).
DROP INDEX IF EXISTS incidents_assigned;
