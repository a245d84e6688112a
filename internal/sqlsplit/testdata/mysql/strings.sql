INSERT INTO notes (body) VALUES ('it\'s; escaped');
INSERT INTO notes (body) VALUES ('it''s; doubled');
INSERT INTO notes (body) VALUES ("say \"hi\"; twice");
INSERT INTO notes (body) VALUES ('ends in a backslash\\');
SELECT 'a\\'; SELECT "b"";c";
SELECT _utf8mb4'x;y', N'z;w', x'3B';
