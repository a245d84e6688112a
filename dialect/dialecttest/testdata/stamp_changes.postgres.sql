-- Statements that each change what the Inspector describes, applied in
-- order to the every-object fixture: each must change the schema stamp.
ALTER TABLE pupils ADD COLUMN nickname text NOT NULL DEFAULT 'none';
ALTER TABLE pupils ALTER COLUMN nickname SET DEFAULT 'unknown';
ALTER TABLE pupils ALTER COLUMN nickname DROP NOT NULL;
ALTER TABLE pupils RENAME COLUMN nickname TO alias;
ALTER TABLE pupils ALTER COLUMN alias TYPE varchar(40);
CREATE INDEX pupils_alias ON pupils (alias);
ALTER INDEX pupils_alias RENAME TO pupils_by_alias;
ALTER TABLE pupils ADD CONSTRAINT alias_short CHECK (length(alias) < 30);
ALTER TABLE pupils DROP CONSTRAINT alias_short;
ALTER SEQUENCE invoice_no_seq RENAME TO invoice_number_seq;
ALTER TYPE grade RENAME TO pupil_grade;
ALTER FUNCTION invoice_total(integer) RENAME TO invoice_sum;
CREATE OR REPLACE VIEW pupil_totals AS SELECT p.id, p.name, invoice_sum(p.id) AS total, 1 AS one FROM pupils p;
ALTER TABLE pupils DROP COLUMN alias;
CREATE TABLE extra (id integer PRIMARY KEY);
DROP TABLE extra;
