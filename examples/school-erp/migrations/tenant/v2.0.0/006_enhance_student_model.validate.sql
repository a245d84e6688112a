-- Both columns are there, and every student has the fee flag.
SELECT COUNT(*) = COUNT(fee_structure_locked) FROM students WHERE custom_fields IS NULL OR custom_fields IS NOT NULL;
