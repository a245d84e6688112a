-- The fleet's identity: one row made with the control database. herd
-- records it in every tenant database it writes to, and refuses to write
-- to a tenant database that another fleet (another environment's control
-- database) owns.
CREATE TABLE herd_fleet (
    id         SMALLINT    NOT NULL PRIMARY KEY CHECK (id = 1),
    fleet_id   VARCHAR(64) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

INSERT INTO herd_fleet (id, fleet_id, created_at) VALUES (1, md5(random()::text || clock_timestamp()::text), now());

-- Room for completed_with_failures.
ALTER TABLE herd_rollouts ALTER COLUMN status TYPE VARCHAR(32);
