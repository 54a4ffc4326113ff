-- citydeck desktop cache, schema version 1.

-- Small key/value facts about the cache: last_seq, last_sync_at, hub_url.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Confirmed state of incidents as last received from the hub.
CREATE TABLE incidents (
    id         TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    status     TEXT NOT NULL,
    class      TEXT NOT NULL,
    grade      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX incidents_seq ON incidents(seq);
CREATE INDEX incidents_status ON incidents(status);
