-- The backfill reached every student.
SELECT COUNT(*) = 0 FROM students WHERE custom_fields IS NULL;
