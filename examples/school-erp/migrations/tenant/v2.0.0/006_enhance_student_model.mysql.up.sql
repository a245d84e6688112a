-- herd:kind data
-- Enhanced student model, migrated in place (the brief's strategy A): a
-- JSON document of custom fields and a flag that locks a student's fee
-- structure, then a backfill of existing students. The backfill only
-- touches rows still NULL, so it is safe to run again.
-- On MySQL each ALTER TABLE commits on its own, so a failed backfill
-- leaves the two columns in place; the down file removes them.
ALTER TABLE students ADD COLUMN custom_fields JSON NULL;
ALTER TABLE students ADD COLUMN fee_structure_locked BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE students SET custom_fields = '{}' WHERE custom_fields IS NULL;
