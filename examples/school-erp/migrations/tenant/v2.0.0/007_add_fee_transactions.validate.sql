-- Every payment belongs to an existing fee assignment and is positive.
SELECT COUNT(*) = 0
FROM fee_transactions t
LEFT JOIN fee_assignments a ON a.id = t.fee_assignment_id
WHERE a.id IS NULL OR t.amount <= 0;
