-- schema version 9: the vital signs' readings (城市运行数字体征, issue 21). One row per (indicator, time): the same
-- reading posted again is a duplicate, never a second row. `at` is RFC 3339 in UTC with microseconds, so text
-- order is time order. `indicator_latest` holds each indicator's newest reading (kept in the same transaction as
-- the readings), so the catalogue's `latest` is one indexed read per indicator however long the series.
CREATE TABLE readings (
    indicator TEXT NOT NULL,
    at        TEXT NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (indicator, at)
) WITHOUT ROWID;
CREATE TABLE indicator_latest (
    indicator TEXT PRIMARY KEY,
    at        TEXT NOT NULL,
    value     REAL NOT NULL
);
