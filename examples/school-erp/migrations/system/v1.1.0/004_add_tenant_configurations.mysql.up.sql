-- herd:kind schema
-- Tenant configurations: per-trust settings (academic calendar, grading
-- scheme, enabled modules, ...) as one JSON document per key.
CREATE TABLE tenant_configurations (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    trust_id BIGINT NOT NULL,
    config_key VARCHAR(100) NOT NULL,
    config_value JSON NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_tenant_configurations_key UNIQUE (trust_id, config_key),
    CONSTRAINT fk_tenant_configurations_trust FOREIGN KEY (trust_id)
        REFERENCES trusts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
