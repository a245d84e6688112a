-- Reverses 004_add_custom_field_values.
DROP TABLE custom_field_values;
