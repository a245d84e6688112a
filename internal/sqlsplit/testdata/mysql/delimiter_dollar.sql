  delimiter $$
CREATE FUNCTION full_name(first VARCHAR(50), last VARCHAR(50))
RETURNS VARCHAR(101) DETERMINISTIC
BEGIN
  RETURN CONCAT(first, ' ', last);
END$$
CREATE PROCEDURE a() SELECT 'a$$b'$$ CREATE PROCEDURE b() SELECT 2$$
Delimiter ;; -- the rest of this line is ignored
SELECT 3;;
DELIMITER ;
SELECT 4;
