-- herd:kind schema
-- Trusts: one row per school trust (tenant). The trust code names the
-- tenant database (school_erp_trust_{code}).
-- This plain file is the SQLite form; PostgreSQL and MySQL use the
-- .postgres/.mysql overrides, which differ only in the identity column.
CREATE TABLE trusts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code VARCHAR(50) NOT NULL UNIQUE,
    name VARCHAR(200) NOT NULL,
    tier VARCHAR(20) NOT NULL DEFAULT 'basic'
        CHECK (tier IN ('basic', 'standard', 'premium', 'enterprise')),
    status VARCHAR(20) NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'suspended', 'archived')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
