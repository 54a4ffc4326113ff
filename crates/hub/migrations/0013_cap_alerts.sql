-- schema version 13: CAP alerts taken (issue 22). One row per message `(sender, identifier, sent)`, its `sent`
-- normalised to UTC in `sent_utc` (the key: the same instant written with another offset is the same message)
-- and kept as written in `sent`; what the hub did with it (`outcome`: created, updated, cancelled, ignored),
-- the incidents it raised or acted on (a JSON array of ids, in order) and the head of the log after its write.
-- A repeat finds its row and answers `duplicate`; an Update or Cancel finds here the incidents of the messages
-- its `references` name.
CREATE TABLE cap_alerts (
    sender     TEXT NOT NULL,
    identifier TEXT NOT NULL,
    sent_utc   TEXT NOT NULL,
    sent       TEXT NOT NULL,
    msg_type   TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    incidents  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (sender, identifier, sent_utc)
);
