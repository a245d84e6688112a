-- Reverses 005_add_custom_fields.
DROP TABLE custom_field_definitions;
