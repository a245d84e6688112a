-- herd:kind schema
-- Audit logs: who did what to which record of which trust, with a JSON
-- payload of details. The application's own audit trail; herd keeps its
-- operational audit log in its own tables.
-- The index is declared inline: created afterwards, InnoDB would let it
-- replace the foreign key's own index, and it could then not be dropped
-- on its own.
CREATE TABLE audit_logs (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    trust_id BIGINT NULL,
    actor_user_id BIGINT NULL,
    action VARCHAR(100) NOT NULL,
    entity_type VARCHAR(50) NOT NULL,
    entity_id VARCHAR(100) NULL,
    details JSON NULL,
    ip_address VARCHAR(45) NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    INDEX idx_audit_logs_trust_created (trust_id, created_at),
    CONSTRAINT fk_audit_logs_trust FOREIGN KEY (trust_id)
        REFERENCES trusts (id) ON DELETE SET NULL,
    CONSTRAINT fk_audit_logs_actor FOREIGN KEY (actor_user_id)
        REFERENCES system_users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
