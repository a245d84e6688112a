-- herd:kind schema
-- Enhanced fee system: a grace period and instalment switch on every fee
-- configuration, and late-fee rules (a flat or percentage penalty once a
-- fee is a given number of days overdue). Portable as written, so there
-- are no engine overrides.
ALTER TABLE fee_configurations ADD COLUMN grace_period_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fee_configurations ADD COLUMN allow_installments BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE late_fee_rules (
    fee_configuration_id BIGINT NOT NULL,
    days_overdue INTEGER NOT NULL CHECK (days_overdue > 0),
    penalty_type VARCHAR(10) NOT NULL CHECK (penalty_type IN ('flat', 'percent')),
    penalty_value DECIMAL(12, 2) NOT NULL CHECK (penalty_value >= 0),
    max_penalty DECIMAL(12, 2) NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (fee_configuration_id, days_overdue),
    CONSTRAINT fk_late_fee_rules_fee FOREIGN KEY (fee_configuration_id)
        REFERENCES fee_configurations (id) ON DELETE CASCADE
);
