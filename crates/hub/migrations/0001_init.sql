-- citydeck hub, embedded SQLite backend: schema version 1.

CREATE TABLE users (
    username   TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    pw_hash    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Bearer tokens are stored hashed (sha256), never in clear.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users(username),
    role       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- The one append-only log. server_seq is assigned by the single writer as head + 1: gap-free.
CREATE TABLE events (
    server_seq INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    body       TEXT NOT NULL            -- the full client-visible event JSON
);

-- Current state of each incident (a projection of the log, written in the same transaction).
CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT,
    status      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    body        TEXT NOT NULL
);
CREATE UNIQUE INDEX incidents_source_external ON incidents(source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX incidents_seq ON incidents(seq);
