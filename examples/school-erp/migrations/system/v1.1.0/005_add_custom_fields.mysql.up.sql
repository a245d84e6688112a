-- herd:kind feature
-- Custom field definitions: the extra fields a trust defines for its
-- students, teachers or classes. Tenant databases store the values
-- (tenant v1.1.0/004_add_custom_field_values) keyed by field_key.
CREATE TABLE custom_field_definitions (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    trust_id BIGINT NOT NULL,
    entity VARCHAR(30) NOT NULL DEFAULT 'student'
        CHECK (entity IN ('student', 'teacher', 'class')),
    field_key VARCHAR(64) NOT NULL,
    label VARCHAR(200) NOT NULL,
    field_type VARCHAR(20) NOT NULL DEFAULT 'text'
        CHECK (field_type IN ('text', 'number', 'date', 'boolean', 'select')),
    select_options JSON NULL,
    is_required BOOLEAN NOT NULL DEFAULT FALSE,
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_custom_field_definitions_key UNIQUE (trust_id, entity, field_key),
    CONSTRAINT fk_custom_field_definitions_trust FOREIGN KEY (trust_id)
        REFERENCES trusts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
