-- version 6 (SQLite's 10): hourly rollups of the readings and each indicator's open episode. See
-- migrations/0010_rollups_episodes.sql.
CREATE TABLE reading_rollups (
    indicator TEXT COLLATE "C" NOT NULL,
    hour      BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    total     DOUBLE PRECISION NOT NULL,
    lo        DOUBLE PRECISION NOT NULL,
    hi        DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (indicator, hour)
);
INSERT INTO reading_rollups (indicator, hour, n, total, lo, hi)
    SELECT indicator, (floor(extract(epoch from at::timestamptz) / 3600) * 3600)::bigint, COUNT(*), SUM(value),
           MIN(value), MAX(value)
    FROM readings GROUP BY 1, 2;

CREATE TABLE indicator_episodes (
    indicator   TEXT COLLATE "C" PRIMARY KEY,
    incident_id TEXT COLLATE "C" NOT NULL,
    level       TEXT NOT NULL,
    normals     BIGINT NOT NULL
);
