-- herd:kind data
-- Enhanced student model, migrated in place (the brief's strategy A): a
-- JSON document of custom fields and a flag that locks a student's fee
-- structure, then a backfill of existing students. The backfill only
-- touches rows still NULL, so it is safe to run again.
-- This plain file is portable (custom_fields as TEXT) and is what SQLite
-- uses; PostgreSQL and MySQL use overrides with native JSONB/JSON.
ALTER TABLE students ADD COLUMN custom_fields TEXT NULL;
ALTER TABLE students ADD COLUMN fee_structure_locked BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE students SET custom_fields = '{}' WHERE custom_fields IS NULL;
