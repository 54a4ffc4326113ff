-- version 4 (SQLite's 8): each area's name in Chinese and in English, where the areas file gives them. See
-- migrations/0008_area_names.sql.
ALTER TABLE areas ADD COLUMN name_zh TEXT;
ALTER TABLE areas ADD COLUMN name_en TEXT;
