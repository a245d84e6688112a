INSERT INTO notes (body) VALUES ('first; second');
INSERT INTO notes (body) VALUES ('it''s; fine');
SELECT "odd;column", "quote""d;" FROM "semi;colon";
SELECT 'line one;
line two';
SELECT 'standard \'; SELECT 'backslash is plain';
SELECT U&'d\0061t\+000061;' AS u, B'1010', X'1F';
