-- Reverses 007_add_audit_logs (PostgreSQL and SQLite), statement by
-- statement in reverse order.
DROP INDEX idx_audit_logs_trust_created;
DROP TABLE audit_logs;
