-- Select fields list their options; no field key is empty.
SELECT COUNT(*) = 0
FROM custom_field_definitions
WHERE field_key = ''
   OR (field_type = 'select' AND select_options IS NULL);
