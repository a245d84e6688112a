-- herd:kind schema
-- herd:depends v1.1.0/005_add_fee_assignments
-- Fee transactions: payments against a fee assignment, with any late fee
-- charged under the trust's late-fee rules (system v2.0.0).
-- The index is declared inline: created afterwards, InnoDB would let it
-- replace the foreign key's own index, and it could then not be dropped
-- on its own.
CREATE TABLE fee_transactions (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    fee_assignment_id BIGINT NOT NULL,
    amount DECIMAL(12, 2) NOT NULL CHECK (amount > 0),
    late_fee DECIMAL(12, 2) NOT NULL DEFAULT 0 CHECK (late_fee >= 0),
    payment_method VARCHAR(20) NOT NULL
        CHECK (payment_method IN ('cash', 'card', 'upi', 'bank_transfer', 'cheque')),
    reference_no VARCHAR(100) NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'completed'
        CHECK (status IN ('pending', 'completed', 'failed', 'refunded')),
    paid_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    INDEX idx_fee_transactions_assignment (fee_assignment_id, paid_at),
    CONSTRAINT fk_fee_transactions_assignment FOREIGN KEY (fee_assignment_id)
        REFERENCES fee_assignments (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
