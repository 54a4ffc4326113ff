-- version 9 (SQLite's 13): CAP alerts taken (issue 22). See migrations/0013_cap_alerts.sql.
CREATE TABLE cap_alerts (
    sender     TEXT COLLATE "C" NOT NULL,
    identifier TEXT COLLATE "C" NOT NULL,
    sent_utc   TEXT COLLATE "C" NOT NULL,
    sent       TEXT COLLATE "C" NOT NULL,
    msg_type   TEXT COLLATE "C" NOT NULL,
    outcome    TEXT COLLATE "C" NOT NULL,
    incidents  TEXT COLLATE "C" NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (sender, identifier, sent_utc)
);
