-- The emergency rollback of each rollout (the newest, when there were
-- several): who started it, whether it is running, done or was
-- interrupted, and how many of the tenants it reached went back or
-- failed to, as it goes.
CREATE TABLE herd_rollout_rollbacks (
    rollout_id   BIGINT      NOT NULL PRIMARY KEY,
    actor        VARCHAR(128) NOT NULL,
    status       VARCHAR(16) NOT NULL,
    from_version VARCHAR(64) NOT NULL,
    tenants      INTEGER     NOT NULL,
    rolled_back  INTEGER     NOT NULL,
    failed       INTEGER     NOT NULL,
    last_error   TEXT,
    started_at   DATETIME(6) NOT NULL,
    updated_at   DATETIME(6) NOT NULL,
    finished_at  DATETIME(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
