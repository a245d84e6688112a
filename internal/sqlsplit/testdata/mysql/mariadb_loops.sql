CREATE OR REPLACE PROCEDURE count_up(n INT)
BEGIN NOT ATOMIC
  FOR i IN 1..n DO
    INSERT INTO counter VALUES (i);
  END FOR;
  FOR rec IN (SELECT id FROM counter) DO
    UPDATE counter SET seen = 1 WHERE id = rec.id;
  END FOR;
  SELECT id FROM counter FOR UPDATE;
END;
CALL count_up(3);
