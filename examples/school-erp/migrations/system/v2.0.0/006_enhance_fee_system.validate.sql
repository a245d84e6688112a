-- No negative grace period, and no percentage penalty above 100%.
SELECT (SELECT COUNT(*) FROM fee_configurations WHERE grace_period_days < 0) = 0
   AND (SELECT COUNT(*) FROM late_fee_rules
        WHERE penalty_type = 'percent' AND penalty_value > 100) = 0;
