-- Reverses 007_add_fee_transactions (PostgreSQL and SQLite), statement by
-- statement in reverse order.
DROP INDEX idx_fee_transactions_assignment;
DROP TABLE fee_transactions;
