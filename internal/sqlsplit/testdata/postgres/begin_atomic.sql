CREATE FUNCTION grade(score int) RETURNS text
LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN score >= 90 THEN 'A;' ELSE 'B' END;
END;

CREATE OR REPLACE PROCEDURE enrol(student bigint, course bigint)
LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO enrolments VALUES (student, course);
  UPDATE courses SET seats = seats - 1 WHERE id = course;
END;

CREATE FUNCTION two() RETURNS int LANGUAGE sql RETURN CASE WHEN true THEN 2 END;
SELECT two();
