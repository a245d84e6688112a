-- herd:kind schema
-- Fee configurations: the fee heads each trust charges per academic year
-- (tuition, transport, ...). Tenant databases refer to them by fee_code.
-- This plain file is the SQLite form; PostgreSQL and MySQL use overrides.
CREATE TABLE fee_configurations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trust_id BIGINT NOT NULL,
    fee_code VARCHAR(50) NOT NULL,
    name VARCHAR(200) NOT NULL,
    academic_year VARCHAR(9) NOT NULL,
    amount DECIMAL(12, 2) NOT NULL CHECK (amount >= 0),
    currency CHAR(3) NOT NULL DEFAULT 'INR',
    frequency VARCHAR(20) NOT NULL DEFAULT 'annual'
        CHECK (frequency IN ('one_time', 'monthly', 'quarterly', 'annual')),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT uq_fee_configurations_code UNIQUE (trust_id, fee_code, academic_year),
    CONSTRAINT fk_fee_configurations_trust FOREIGN KEY (trust_id)
        REFERENCES trusts (id) ON DELETE CASCADE
);
