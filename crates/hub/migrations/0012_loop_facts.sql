-- schema version 12: 考核 (issue 24). `incidents.department` is the department the incident is routed to (also
-- in its body), read by each write to tell a new assignment. `loop_facts` holds what each incident write made
-- true for the department holding the case (`domain::evaluation::facts`: assigned, a stay left with its minutes,
-- closed, closed on time, overdue, reopened), at the write's event time and seq, so `GET /api/v1/evaluation`
-- aggregates a window instead of replaying the log. Facts start with this version: older events are not scored.
ALTER TABLE incidents ADD COLUMN department TEXT;
CREATE TABLE loop_facts (
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    department  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    stage       TEXT,
    minutes     REAL
);
CREATE INDEX loop_facts_at ON loop_facts(at);
CREATE INDEX loop_facts_incident ON loop_facts(incident_id, kind, department);
