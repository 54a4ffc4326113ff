-- schema version 11: the closed loop's accountability on the desktop (issue 24), so the 交办 form, the 督办 list
-- and the departments' backlog work offline too.
-- `departments`: the hub's `GET /api/v1/departments`, one row per department in the hub's order (parents first),
-- its body the wire JSON, replaced whole at every fetch.
CREATE TABLE departments (
    id         TEXT PRIMARY KEY,
    ord        INTEGER NOT NULL,
    body       TEXT NOT NULL,
    fetched_at TEXT NOT NULL
) WITHOUT ROWID;
-- What the 督办 list and the backlog ask of the incidents, in columns (kept by every write of an incident):
-- the department it is routed to, whether it is overdue (0/1), its stage's deadline (RFC 3339 UTC, fixed width)
-- and the escalation rung (0: not escalated). A body that is not JSON leaves them at their defaults.
ALTER TABLE incidents ADD COLUMN department TEXT;
ALTER TABLE incidents ADD COLUMN overdue INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN stage_due_at TEXT;
ALTER TABLE incidents ADD COLUMN rung INTEGER NOT NULL DEFAULT 0;

UPDATE incidents SET
    department   = json_extract(body, '$.department'),
    overdue      = COALESCE(json_extract(body, '$.overdue'), 0) != 0,
    stage_due_at = json_extract(body, '$.stage_due_at'),
    rung         = COALESCE(json_extract(body, '$.escalation.rung'), 0)
WHERE json_valid(body);

CREATE INDEX incidents_overdue ON incidents(rung DESC, stage_due_at) WHERE overdue = 1 AND status != 'closed';
CREATE INDEX incidents_department ON incidents(department) WHERE status != 'closed';
