-- Statements that each change what the Inspector describes, applied in
-- order to the every-object fixture: each must change the schema stamp.
ALTER TABLE pupils ADD COLUMN nickname TEXT;
ALTER TABLE pupils RENAME COLUMN nickname TO alias;
CREATE INDEX pupils_alias ON pupils (alias);
DROP INDEX pupils_alias;
CREATE VIEW pupil_names AS SELECT id, name FROM pupils;
DROP VIEW pupil_names;
ALTER TABLE pupils DROP COLUMN alias;
CREATE TABLE extra (id INTEGER PRIMARY KEY);
ALTER TABLE extra RENAME TO spare;
DROP TABLE spare;
