-- schema version 11: the closed loop's clock (issue 24). `due_at` is when the hub's clock must look at an
-- incident again: its `stage_due_at` (RFC 3339, UTC) until the `incident_overdue` event of this stay in its stage
-- is appended, NULL after that, for a stage without a limit and for a closed incident. The clock reads the due
-- rows from the partial index, so a tick costs the due incidents, not the open ones.
ALTER TABLE incidents ADD COLUMN due_at TEXT;
CREATE INDEX incidents_due ON incidents(due_at) WHERE due_at IS NOT NULL;
