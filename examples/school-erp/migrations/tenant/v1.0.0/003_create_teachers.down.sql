-- Reverses 003_create_teachers, statement by statement in reverse order.
DROP TABLE class_teachers;
DROP TABLE teachers;
