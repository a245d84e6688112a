-- Leading comment; not part of the statement.
/* A block comment; also leading. */
SELECT 1; -- trailing comment; belongs to no statement

SELECT 2 -- inner comment; stays
  + 3;
SELECT /* inline; */ 4;
--x is a comment in PostgreSQL; SELECT 99;
SELECT 5 # 6;
-- Backticks are not quotes in PostgreSQL, so the next line splits in two.
SELECT `not quoted;` AS x;
-- a comment after the last statement;
