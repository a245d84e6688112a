CREATE TRIGGER fees_bu BEFORE UPDATE ON fees
FOR EACH ROW
BEGIN
  DECLARE msg VARCHAR(255);
  IF NEW.amount < 0 THEN
    SET msg = CONCAT('negative fee; id ', NEW.id);
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;
  ELSEIF NEW.amount > 10000 THEN
    SET NEW.flagged = IF(NEW.amount > 50000, 2, 1);
  ELSE
    BEGIN
      SET NEW.flagged = 0;
    END;
  END IF;
END;

CREATE OR REPLACE DEFINER=`admin`@`%` TRIGGER fees_ai AFTER INSERT ON fees
FOR EACH ROW BEGIN
  INSERT INTO fee_log VALUES (NEW.id, 'insert;');
END;
SELECT 'after';
