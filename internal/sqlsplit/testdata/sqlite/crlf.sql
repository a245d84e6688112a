CREATE TABLE t (
  id INTEGER
);
-- comment;

CREATE TRIGGER t_ai AFTER INSERT ON t
BEGIN
  UPDATE t SET id = id + 1;
END;
SELECT 2
