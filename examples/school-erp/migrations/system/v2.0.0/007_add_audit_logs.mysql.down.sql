-- Reverses 007_add_audit_logs on MySQL, where the index is part of the
-- CREATE TABLE and goes with the table.
DROP TABLE audit_logs;
