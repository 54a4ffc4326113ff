-- citydeck desktop cache, schema version 2: the outbox of user actions taken on this desktop.
-- Kept apart from the confirmed state (incidents, meta): the hub decides; until it has, an action is pending.
CREATE TABLE outbox (
    client_seq  INTEGER PRIMARY KEY,   -- this client's order of actions, from 1
    op_id       TEXT NOT NULL UNIQUE,  -- UUIDv7; the hub applies each (client_id, op_id) once
    op          TEXT NOT NULL,         -- the Op as JSON
    created_at  TEXT NOT NULL,
    state       TEXT NOT NULL,         -- pending | applied | rejected | dropped
    reason      TEXT,                  -- the hub's reason when rejected
    conflict    INTEGER NOT NULL DEFAULT 0,  -- rejected because someone else changed the incident meanwhile
    server_seq  INTEGER,               -- the event that applied it
    settled_at  TEXT
);
CREATE INDEX outbox_state ON outbox (state, client_seq);
