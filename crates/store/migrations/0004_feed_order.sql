-- citydeck desktop cache, schema version 4: the cockpit's feed lists open incidents newest reported first
-- (an update changes its row in place instead of moving it to the top: under a storm of updates a feed ordered
-- by last change reshuffled every row several times a second, unreadable, and repainted the whole column).

CREATE INDEX incidents_open_created ON incidents(created_at, seq) WHERE status != 'closed';
