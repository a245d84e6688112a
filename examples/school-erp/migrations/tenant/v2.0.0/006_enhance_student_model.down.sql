-- Reverses 006_enhance_student_model, statement by statement in reverse
-- order: the first statement undoes the backfill (the columns go next).
UPDATE students SET custom_fields = NULL WHERE custom_fields IS NOT NULL;
ALTER TABLE students DROP COLUMN fee_structure_locked;
ALTER TABLE students DROP COLUMN custom_fields;
