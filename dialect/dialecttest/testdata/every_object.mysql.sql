-- A tenant holding every kind of object a rollback point must copy
-- (written for herd's tests).
CREATE TABLE pupils (
    id INT AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    grade ENUM('A', 'B', 'C') NOT NULL DEFAULT 'B',
    joined_on DATE NOT NULL DEFAULT '2024-06-01'
) AUTO_INCREMENT = 100 COMMENT = 'Pupils of the fixture school';

CREATE TABLE invoices (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    pupil_id INT NOT NULL,
    amount DECIMAL(12, 2) NOT NULL CHECK (amount > 0),
    KEY invoices_pupil (pupil_id, amount),
    CONSTRAINT invoices_pupil_fk FOREIGN KEY (pupil_id) REFERENCES pupils (id) ON DELETE CASCADE
);
CREATE TABLE audit_log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(200) NOT NULL);

CREATE VIEW pupil_totals AS
    SELECT p.id, p.name, COALESCE(SUM(i.amount), 0) AS total FROM pupils p LEFT JOIN invoices i ON i.pupil_id = p.id GROUP BY p.id, p.name;

DELIMITER //
CREATE PROCEDURE award(IN p INT)
BEGIN
    UPDATE pupils SET grade = 'A' WHERE id = p;
END //

CREATE FUNCTION invoice_total(p INT) RETURNS DECIMAL(12, 2) READS SQL DATA
BEGIN
    DECLARE t DECIMAL(12, 2);
    SELECT COALESCE(SUM(amount), 0) INTO t FROM invoices WHERE pupil_id = p;
    RETURN t;
END //

CREATE TRIGGER invoices_logged AFTER INSERT ON invoices FOR EACH ROW
BEGIN
    INSERT INTO audit_log (what) VALUES (CONCAT('invoice ', NEW.id, '; a ; in a string'));
END //
DELIMITER ;

CREATE EVENT purge_audit ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE
    DO DELETE FROM audit_log WHERE id < 0;

INSERT INTO pupils (name, grade) VALUES ('Asha Rao', 'A'), ('Tomás Ørsted', 'C'), ('Left Early', 'B');
DELETE FROM pupils WHERE name = 'Left Early';
INSERT INTO invoices (pupil_id, amount) SELECT id, 120.50 FROM pupils;
INSERT INTO invoices (pupil_id, amount) SELECT id, 15 FROM pupils WHERE grade = 'A';
CALL award(101);
