-- Every value belongs to an existing student and names its field.
SELECT COUNT(*) = 0
FROM custom_field_values v
LEFT JOIN students s ON s.id = v.student_id
WHERE s.id IS NULL OR v.field_key = '';
