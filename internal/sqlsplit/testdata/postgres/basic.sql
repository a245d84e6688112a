CREATE TABLE students (
  id bigint PRIMARY KEY,
  name text NOT NULL
);

CREATE INDEX students_name_idx ON students (name);
INSERT INTO students VALUES (1, 'Ada'); INSERT INTO students VALUES (2, 'Grace');

ALTER TABLE students ADD COLUMN email text
