-- Reverses 001_create_students.
DROP TABLE students;
