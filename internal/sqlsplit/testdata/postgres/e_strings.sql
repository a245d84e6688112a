SELECT E'it\'s; fine';
SELECT e'back\\slash;' AS s;
SELECT E'quote '' doubled; \n newline' AS d;
SELECT 'E''s'; SELECT some_e'x';
