-- citydeck desktop cache, schema version 6: the cockpit's summary panels (open incidents by class, by grade, by
-- stage; reported in the last hour) are read with every snapshot, up to four times a second. Each count was a
-- scan of the incidents table, bodies and all (eight scans of every row a snapshot: with 10,000 incidents that
-- was most of the shell's work per snapshot). One pass over this index answers all three groupings without
-- touching a row, and `created_at` gets an index of its own for the last hour.
CREATE INDEX incidents_counts ON incidents(status, class, grade);
CREATE INDEX incidents_created ON incidents(created_at);
