INSERT INTO notes (body) VALUES ('first; second');
INSERT INTO notes (body) VALUES ('it''s; fine');
SELECT 'a backslash is plain\'; SELECT 'second';
SELECT X'3B', 'multi;
line';
