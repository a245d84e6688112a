-- The fleet's identity: one row made with the control database. herd
-- records it in every tenant database it writes to, and refuses to write
-- to a tenant database that another fleet (another environment's control
-- database) owns. (SQLite does not limit VARCHAR lengths, so the rollout
-- status needs no room for completed_with_failures.)
CREATE TABLE herd_fleet (
    id         INTEGER     NOT NULL PRIMARY KEY CHECK (id = 1),
    fleet_id   VARCHAR(64) NOT NULL,
    created_at TIMESTAMP   NOT NULL
);

INSERT INTO herd_fleet (id, fleet_id, created_at) VALUES (1, lower(hex(randomblob(16))), strftime('%Y-%m-%d %H:%M:%f', 'now'));
