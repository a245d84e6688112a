-- Reverses 005_add_fee_assignments.
DROP TABLE fee_assignments;
