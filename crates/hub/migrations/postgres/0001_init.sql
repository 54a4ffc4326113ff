-- citydeck hub, PostgreSQL backend (scale-out: several hub replicas on one database): schema version 1.
-- The same tables and columns as the SQLite schema (migrations/0001..0005), so the hub's storage logic is one:
-- timestamps are RFC 3339 text (UTC, microseconds: they sort as text), ids are UUID text, bodies are the
-- client-visible JSON text. Ordered and compared text columns use the "C" collation, i.e. byte order as SQLite.

CREATE TABLE users (
    username   TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    pw_hash    TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Bearer tokens are stored hashed (sha256), never in clear; shared by every replica.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users(username),
    role       TEXT NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
);

-- The one append-only log. server_seq is head + 1, assigned while the writing transaction holds the hub's
-- transaction-scoped advisory lock (every replica takes it before writing): gap-free across replicas.
CREATE TABLE events (
    server_seq BIGINT PRIMARY KEY CHECK (server_seq > 0),
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    body       TEXT NOT NULL
);

CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    external_id TEXT,
    status      TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    body        TEXT NOT NULL
);
CREATE UNIQUE INDEX incidents_source_external ON incidents(source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX incidents_seq ON incidents(seq);

-- Facts about the hub itself: log_id, realm ('real' | 'exercise').
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE mode (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
);

CREATE TABLE mode_proposals (
    id         TEXT PRIMARY KEY,
    proposer   TEXT NOT NULL,
    request    TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    status     TEXT NOT NULL
);

CREATE TABLE screen_acks (
    screen TEXT COLLATE "C" PRIMARY KEY,
    epoch  BIGINT NOT NULL,
    "by"   TEXT NOT NULL,
    at     TEXT NOT NULL
);

CREATE TABLE mode_audit (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       TEXT NOT NULL,
    username TEXT NOT NULL,
    role     TEXT NOT NULL,
    action   TEXT NOT NULL,
    request  TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    detail   TEXT NOT NULL
);

CREATE TABLE screens (
    name          TEXT COLLATE "C" PRIMARY KEY,
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL
);

-- Exactly once per (client_id, op_id), whichever replica the push reached.
CREATE TABLE client_ops (
    client_id  TEXT NOT NULL,
    op_id      TEXT NOT NULL,
    client_seq BIGINT NOT NULL,
    status     TEXT NOT NULL,
    reason     TEXT,
    server_seq BIGINT,
    at         TEXT NOT NULL,
    PRIMARY KEY (client_id, op_id)
);
CREATE UNIQUE INDEX client_ops_client_seq ON client_ops (client_id, client_seq);
