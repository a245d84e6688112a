-- herd:kind schema
-- Audit logs: who did what to which record of which trust, with a JSON
-- payload of details. The application's own audit trail; herd keeps its
-- operational audit log in its own tables.
-- This plain file is the SQLite form (JSON kept as TEXT); PostgreSQL and
-- MySQL use overrides.
CREATE TABLE audit_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trust_id BIGINT NULL,
    actor_user_id BIGINT NULL,
    action VARCHAR(100) NOT NULL,
    entity_type VARCHAR(50) NOT NULL,
    entity_id VARCHAR(100) NULL,
    details TEXT NULL,
    ip_address VARCHAR(45) NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT fk_audit_logs_trust FOREIGN KEY (trust_id)
        REFERENCES trusts (id) ON DELETE SET NULL,
    CONSTRAINT fk_audit_logs_actor FOREIGN KEY (actor_user_id)
        REFERENCES system_users (id) ON DELETE SET NULL
);
CREATE INDEX idx_audit_logs_trust_created ON audit_logs (trust_id, created_at);
