-- herd:kind schema
-- Tenant configurations: per-trust settings (academic calendar, grading
-- scheme, enabled modules, ...) as one JSON document per key.
-- This plain file is the SQLite form (JSON kept as TEXT); PostgreSQL and
-- MySQL use overrides with native JSONB/JSON columns.
CREATE TABLE tenant_configurations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trust_id BIGINT NOT NULL,
    config_key VARCHAR(100) NOT NULL,
    config_value TEXT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_tenant_configurations_key UNIQUE (trust_id, config_key),
    CONSTRAINT fk_tenant_configurations_trust FOREIGN KEY (trust_id)
        REFERENCES trusts (id) ON DELETE CASCADE
);
