SELECT 1;
SELECT 2
-- a comment after the last statement, which has no semicolon
