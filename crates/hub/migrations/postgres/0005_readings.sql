-- version 5 (SQLite's 9): the vital signs' readings and each indicator's newest one. See
-- migrations/0009_readings.sql.
CREATE TABLE readings (
    indicator TEXT COLLATE "C" NOT NULL,
    at        TEXT COLLATE "C" NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (indicator, at)
);
CREATE TABLE indicator_latest (
    indicator TEXT COLLATE "C" PRIMARY KEY,
    at        TEXT COLLATE "C" NOT NULL,
    value     DOUBLE PRECISION NOT NULL
);
