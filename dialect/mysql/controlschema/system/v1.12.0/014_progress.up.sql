-- How many times a step gave up on a lock and ran again (lock_timeout,
-- lock_retries in herd.yaml), kept with the step's history row; herd serve
-- counts them in herd_lock_retries_total.
ALTER TABLE database_migration_history ADD COLUMN lock_retries INT NOT NULL DEFAULT 0;

-- How far each chunked migration begun and not finished has got in one
-- database: written by the run as its ranges commit (at most once a
-- second) and deleted when the walk is done, so herd serve's /metrics can
-- show the progress of runs in other processes. A run stopped part-way
-- keeps its row until a later run finishes the walk; the range a run
-- resumes from is the tenant's own ledger's, never this table's.
CREATE TABLE herd_chunk_progress (
    database_type       VARCHAR(10)  NOT NULL,
    database_identifier VARCHAR(100) NOT NULL,
    migration_name      VARCHAR(200) NOT NULL,
    table_name          VARCHAR(128) NOT NULL,
    last_key            TEXT         NOT NULL,
    rows_done           BIGINT       NOT NULL,
    share_done          DOUBLE       NOT NULL,
    updated_at          DATETIME(6)  NOT NULL,
    PRIMARY KEY (database_type, database_identifier, migration_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
