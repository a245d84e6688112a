-- Reverses 002_create_classes, statement by statement in reverse order.
DROP TABLE class_enrollments;
DROP TABLE classes;
