-- version 8 (SQLite's 12): 考核. See migrations/0012_loop_facts.sql.
ALTER TABLE incidents ADD COLUMN department TEXT COLLATE "C";
CREATE TABLE loop_facts (
    seq         BIGINT NOT NULL,
    at          TEXT COLLATE "C" NOT NULL,
    incident_id TEXT COLLATE "C" NOT NULL,
    department  TEXT COLLATE "C" NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    stage       TEXT COLLATE "C",
    minutes     DOUBLE PRECISION
);
CREATE INDEX loop_facts_at ON loop_facts(at);
CREATE INDEX loop_facts_incident ON loop_facts(incident_id, kind, department);
