CREATE TABLE fees (id INTEGER PRIMARY KEY, amount INTEGER, note TEXT);

CREATE TRIGGER fees_ai AFTER INSERT ON fees
BEGIN
  INSERT INTO fee_log (fee_id, note) VALUES (NEW.id, 'inserted; ok');
  UPDATE fees SET note = 'seen' WHERE id = NEW.id;
END;

INSERT INTO fees (amount) VALUES (10);
