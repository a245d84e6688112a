-- No discount exceeds the fee it applies to.
SELECT COUNT(*) = 0 FROM fee_assignments WHERE discount > amount;
