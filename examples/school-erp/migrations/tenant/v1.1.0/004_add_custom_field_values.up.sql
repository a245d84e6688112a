-- herd:kind feature
-- Custom field values (the custom_fields feature): one value per student
-- and field. The field definitions live in the system database
-- (system v1.1.0/005_add_custom_fields) and are matched by field_key.
-- Portable as written, so there are no engine overrides.
CREATE TABLE custom_field_values (
    student_id BIGINT NOT NULL,
    field_key VARCHAR(64) NOT NULL,
    field_value TEXT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (student_id, field_key),
    CONSTRAINT fk_custom_field_values_student FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE CASCADE
);
