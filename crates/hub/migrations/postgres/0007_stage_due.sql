-- version 7 (SQLite's 11): the closed loop's clock. See migrations/0011_stage_due.sql.
ALTER TABLE incidents ADD COLUMN due_at TEXT COLLATE "C";
CREATE INDEX incidents_due ON incidents(due_at) WHERE due_at IS NOT NULL;
