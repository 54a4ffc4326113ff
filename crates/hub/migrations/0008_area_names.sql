-- schema version 8: each area's name in Chinese and in English, where the areas file gives them (NULL
-- otherwise; the areas are replaced from `--areas FILE` at every start, so a file of schema 7 gets them then).
ALTER TABLE areas ADD COLUMN name_zh TEXT;
ALTER TABLE areas ADD COLUMN name_en TEXT;
