-- Reverses 007_add_fee_transactions on MySQL, where the index is part of
-- the CREATE TABLE and goes with the table.
DROP TABLE fee_transactions;
