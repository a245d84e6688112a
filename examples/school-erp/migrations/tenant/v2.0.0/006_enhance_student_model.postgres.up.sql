-- herd:kind schema
-- Enhanced student model, migrated in place (the brief's strategy A): a
-- JSON document of custom fields and a flag that locks a student's fee
-- structure. Existing students are backfilled by 008_backfill_custom_fields,
-- chunked, so that a trust with many students is never locked for long.
ALTER TABLE students ADD COLUMN custom_fields JSONB NULL;
ALTER TABLE students ADD COLUMN fee_structure_locked BOOLEAN NOT NULL DEFAULT FALSE;
