-- schema version 4: the screens the commander expects to follow the mode, and the realm marker.

-- Every screen the hub knows: registered (PUT /api/v1/screens/{name}, `citydeck-hub --screen`) or ever acked.
CREATE TABLE screens (
    name          TEXT PRIMARY KEY,
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL
);
INSERT INTO screens (name, registered_at, registered_by) SELECT screen, at, by FROM screen_acks;

-- meta 'realm' ('real' | 'exercise') is written by the hub the first time it opens the file (see db.rs), so a
-- drill database can never be served as the real one, nor the other way round.
