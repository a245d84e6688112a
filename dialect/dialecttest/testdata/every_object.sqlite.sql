-- A tenant holding every kind of object a rollback point must copy
-- (written for herd's tests).
CREATE TABLE pupils (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (length(name) > 0),
    grade TEXT NOT NULL DEFAULT 'B'
);
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pupil_id INTEGER NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    amount NUMERIC NOT NULL CHECK (amount > 0)
);
CREATE INDEX invoices_pupil ON invoices (pupil_id, amount DESC);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, what TEXT NOT NULL);
CREATE VIEW pupil_totals AS
    SELECT p.id, p.name, COALESCE(SUM(i.amount), 0) AS total FROM pupils p LEFT JOIN invoices i ON i.pupil_id = p.id GROUP BY p.id, p.name;
CREATE TRIGGER invoices_logged AFTER INSERT ON invoices
BEGIN
    INSERT INTO audit_log (what) VALUES ('invoice ' || NEW.id || '; a ; in a string');
END;

INSERT INTO pupils (name, grade) VALUES ('Asha Rao', 'A'), ('Tomás Ørsted', 'C'), ('Left Early', 'B');
DELETE FROM pupils WHERE name = 'Left Early';
INSERT INTO invoices (pupil_id, amount) SELECT id, 120.50 FROM pupils;
