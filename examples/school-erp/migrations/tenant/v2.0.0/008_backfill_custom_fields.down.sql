-- The custom fields go back to unset; 006's down then drops the column.
UPDATE students SET custom_fields = NULL WHERE custom_fields IS NOT NULL;
