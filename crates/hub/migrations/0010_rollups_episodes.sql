-- schema version 10: hourly rollups of the vital signs' readings and each indicator's open episode (issue 21).
--
-- `reading_rollups`: per indicator and hour (`hour`: seconds since the epoch, a multiple of 3600) the count, sum,
-- least and greatest of the readings stored for that hour, kept in the readings' transaction (a duplicate is
-- not stored, so it is not counted). A series query with a step of an hour or more reads the whole hours here
-- and only its edges from `readings`: a year of per-minute data is 8,760 rows per indicator, not 525,600.
CREATE TABLE reading_rollups (
    indicator TEXT NOT NULL,
    hour      INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    total     REAL NOT NULL,
    lo        REAL NOT NULL,
    hi        REAL NOT NULL,
    PRIMARY KEY (indicator, hour)
) WITHOUT ROWID;
INSERT INTO reading_rollups (indicator, hour, n, total, lo, hi)
    SELECT indicator, (CAST(strftime('%s', at) AS INTEGER) / 3600) * 3600, COUNT(*), SUM(value), MIN(value),
           MAX(value)
    FROM readings GROUP BY 1, 2;

-- An indicator whose readings reached yellow or worse and have not yet been normal for its pack's count: the
-- incident that episode raised, the highest level reached, the normal readings in a row since. No row: quiet.
CREATE TABLE indicator_episodes (
    indicator   TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    level       TEXT NOT NULL,
    normals     INTEGER NOT NULL
);
