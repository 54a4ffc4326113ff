-- schema version 2: facts about the hub itself, e.g. the identity of its log (log_id).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
