-- Reverses 001_create_trusts.
DROP TABLE trusts;
