CREATE TRIGGER IF NOT EXISTS fees_bu BEFORE UPDATE OF amount ON fees
FOR EACH ROW
WHEN CASE WHEN NEW.amount < 0 THEN 1 ELSE 0 END = 1
BEGIN
  SELECT CASE
    WHEN NEW.amount < -100 THEN RAISE(ABORT, 'far too low; rejected')
    ELSE RAISE(ABORT, 'too low')
  END;
  UPDATE fees SET note = CASE WHEN NEW.amount = 0 THEN 'zero' END WHERE id = NEW.id;
END;
SELECT 1;
