-- Reverses 006_enhance_fee_system, statement by statement in reverse order.
DROP TABLE late_fee_rules;
ALTER TABLE fee_configurations DROP COLUMN allow_installments;
ALTER TABLE fee_configurations DROP COLUMN grace_period_days;
