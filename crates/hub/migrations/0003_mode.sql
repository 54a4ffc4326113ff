-- schema version 3: the city's mode (平战转换), level-I proposals, screen acknowledgements, switch audit.

-- One row: the current mode record (ModeState JSON without acks).
CREATE TABLE mode (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
);

-- Switches waiting for a second commander (two-person rule).
CREATE TABLE mode_proposals (
    id         TEXT PRIMARY KEY,
    proposer   TEXT NOT NULL,
    request    TEXT NOT NULL,      -- {"mode","level","reason","incident_ids"}
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    status     TEXT NOT NULL       -- pending | applied | refused
);

-- Latest acknowledgement per screen.
CREATE TABLE screen_acks (
    screen TEXT PRIMARY KEY,
    epoch  INTEGER NOT NULL,
    by     TEXT NOT NULL,
    at     TEXT NOT NULL
);

-- Every switch attempt, accepted or refused.
CREATE TABLE mode_audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    username TEXT NOT NULL,
    role     TEXT NOT NULL,
    action   TEXT NOT NULL,        -- switch | confirm
    request  TEXT NOT NULL,
    outcome  TEXT NOT NULL,        -- applied | pending_confirmation | refused
    detail   TEXT NOT NULL
);
