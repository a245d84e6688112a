-- Leading comment; not part of the statement.
# Hash comment; also leading.
SELECT 1; # trailing hash comment; dropped

SELECT 5--1;
SELECT 6 --	tab after the dashes; a comment
  + 1;
SELECT /* inline; */ 7;
/* block; */ SELECT 8 /*+ hint; */;
--
SELECT 9;
