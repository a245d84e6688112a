-- Leading comment; not part of the statement.
/* Block comment; also leading. */
SELECT 1; -- trailing comment; dropped

SELECT 2 -- inner comment; stays
  + 3;
SELECT /* inline; */ 4;
--x is a comment in SQLite; SELECT 99;
SELECT 5 /* /* not nested; */;
