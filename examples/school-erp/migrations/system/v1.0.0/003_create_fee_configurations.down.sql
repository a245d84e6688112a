-- Reverses 003_create_fee_configurations.
DROP TABLE fee_configurations;
