-- The fleet's identity: one row made with the control database. herd
-- records it in every tenant database it writes to, and refuses to write
-- to a tenant database that another fleet (another environment's control
-- database) owns.
CREATE TABLE herd_fleet (
    id         TINYINT     NOT NULL PRIMARY KEY,
    fleet_id   VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    CONSTRAINT herd_fleet_one_row CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO herd_fleet (id, fleet_id, created_at) VALUES (1, MD5(CONCAT(UUID(), RAND())), UTC_TIMESTAMP(6));

-- Room for completed_with_failures.
ALTER TABLE herd_rollouts MODIFY status VARCHAR(32) NOT NULL;
