-- schema version 10: the vital signs (城市运行数字体征, issue 21) as the hub last served them, so the cockpit's
-- panels show the latest values and the last 24 h offline too, and say how old they are.
-- `indicators`: the hub's `GET /api/v1/indicators`, one row per indicator in the hub's order, its body the wire
-- JSON (thresholds and latest reading included), replaced at every poll; `series_fetched_at` is when its 24 h
-- series was last fetched.
CREATE TABLE indicators (
    id                TEXT PRIMARY KEY,
    ord               INTEGER NOT NULL,
    scenario          TEXT NOT NULL,
    body              TEXT NOT NULL,
    fetched_at        TEXT NOT NULL,
    series_fetched_at TEXT
) WITHOUT ROWID;
-- `indicator_points`: the bucketed series (`GET /api/v1/indicators/{id}/series`), one row per non-empty step;
-- `at` is RFC 3339 UTC with a fixed width, so text order is time order. Pruned to the last 24 h on every write.
CREATE TABLE indicator_points (
    indicator TEXT NOT NULL,
    at        TEXT NOT NULL,
    value     REAL NOT NULL,
    min       REAL NOT NULL,
    max       REAL NOT NULL,
    step      INTEGER NOT NULL,
    PRIMARY KEY (indicator, at)
) WITHOUT ROWID;
CREATE INDEX indicator_points_at ON indicator_points(at);
