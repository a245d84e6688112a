-- herd:kind schema
-- System users: platform staff and trust administrators who sign in to the
-- control plane. trust_id is NULL for platform-wide users.
-- This plain file is the SQLite form; PostgreSQL and MySQL use overrides.
CREATE TABLE system_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email VARCHAR(255) NOT NULL UNIQUE,
    full_name VARCHAR(200) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(30) NOT NULL DEFAULT 'support'
        CHECK (role IN ('super_admin', 'trust_admin', 'support')),
    trust_id BIGINT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    last_login_at TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT fk_system_users_trust FOREIGN KEY (trust_id)
        REFERENCES trusts (id) ON DELETE CASCADE
);
