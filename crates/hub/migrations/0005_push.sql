-- schema version 5: what the hub applied per desktop client (offline outbox pushes), so a retried, duplicated
-- or concurrent push applies each op exactly once, across restarts.
CREATE TABLE client_ops (
    client_id  TEXT NOT NULL,
    op_id      TEXT NOT NULL,
    client_seq INTEGER NOT NULL,
    status     TEXT NOT NULL,      -- applied | rejected
    reason     TEXT,
    server_seq INTEGER,
    at         TEXT NOT NULL,
    PRIMARY KEY (client_id, op_id)
);
CREATE UNIQUE INDEX client_ops_client_seq ON client_ops (client_id, client_seq);
