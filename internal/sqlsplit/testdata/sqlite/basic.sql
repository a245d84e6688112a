CREATE TABLE students (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL
) STRICT;

INSERT INTO students VALUES (1, 'Ada'); INSERT INTO students VALUES (2, 'Grace');

ALTER TABLE students ADD COLUMN email TEXT
