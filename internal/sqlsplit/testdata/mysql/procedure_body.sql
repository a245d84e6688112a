CREATE DEFINER=root@localhost PROCEDURE IF NOT EXISTS fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE done INT DEFAULT 0;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;
  DROP TEMPORARY TABLE IF EXISTS tmp;
  CREATE TEMPORARY TABLE tmp (v VARCHAR(20));
  outer_loop: LOOP
    SET i = i + 1;
    IF i > n THEN
      LEAVE outer_loop;
    END IF;
    INSERT INTO tmp VALUES (REPEAT('x', i));
  END LOOP outer_loop;
  WHILE i > 0 DO
    SET i = i - 1;
  END WHILE;
  REPEAT
    SET i = i + 1;
  UNTIL i >= n END REPEAT;
  CASE i
    WHEN 1 THEN SELECT 'one';
    ELSE SELECT 'many';
  END CASE;
  SET @x := IF(i > 1, 'many', 'one');
  DO IF(i > 1, SLEEP(0), SLEEP(0));
END;
CALL fill(3);
