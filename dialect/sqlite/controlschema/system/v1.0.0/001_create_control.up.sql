-- herd's control tables for SQLite: the tenant registry, the fleet view of
-- schema versions and migration history, and the audit log.
-- Timestamps are written by herd, in UTC; nothing relies on column defaults.

CREATE TABLE herd_tenants (
    code          VARCHAR(48)  NOT NULL PRIMARY KEY,
    name          VARCHAR(200) NOT NULL,
    tier          VARCHAR(40)  NOT NULL,
    server        VARCHAR(64)  NOT NULL,
    database_name VARCHAR(64)  NOT NULL,
    tags          TEXT         NOT NULL, -- JSON array
    features      TEXT         NOT NULL, -- JSON array
    created_at    TIMESTAMP    NOT NULL,
    UNIQUE (server, database_name)
);

-- database_identifier is '@system' for the system database, never NULL, so
-- that the UNIQUE constraint holds for it too.
CREATE TABLE database_schema_versions (
    id                     INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    database_type          VARCHAR(10)  NOT NULL CHECK (database_type IN ('system', 'tenant')),
    database_identifier    VARCHAR(100) NOT NULL,
    current_version        VARCHAR(64)  NOT NULL DEFAULT '',
    target_version         VARCHAR(64)  NULL,
    migration_status       VARCHAR(10)  NOT NULL DEFAULT 'pending'
                           CHECK (migration_status IN ('pending', 'running', 'completed', 'failed')),
    migration_started_at   TIMESTAMP    NULL,
    migration_completed_at TIMESTAMP    NULL,
    migration_error        TEXT         NULL,
    created_at             TIMESTAMP    NOT NULL,
    updated_at             TIMESTAMP    NOT NULL,
    UNIQUE (database_type, database_identifier)
);

CREATE TABLE database_migration_history (
    id                  INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    database_type       VARCHAR(10)  NOT NULL CHECK (database_type IN ('system', 'tenant')),
    database_identifier VARCHAR(100) NOT NULL,
    migration_name      VARCHAR(200) NOT NULL,
    migration_version   VARCHAR(64)  NOT NULL,
    migration_type      VARCHAR(10)  NOT NULL CHECK (migration_type IN ('schema', 'data', 'feature')),
    direction           VARCHAR(8)   NOT NULL CHECK (direction IN ('up', 'down')),
    executed_at         TIMESTAMP    NOT NULL,
    execution_time_ms   INT          NOT NULL,
    status              VARCHAR(12)  NOT NULL CHECK (status IN ('success', 'failed', 'rolled_back')),
    error_message       TEXT         NULL,
    checksum            VARCHAR(64)  NOT NULL
);

CREATE INDEX herd_idx_db_migration ON database_migration_history (database_type, database_identifier);

CREATE INDEX herd_idx_migration_version ON database_migration_history (migration_version);

CREATE TABLE herd_audit_log (
    id      INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    at      TIMESTAMP    NOT NULL,
    actor   VARCHAR(100) NOT NULL,
    action  VARCHAR(64)  NOT NULL,
    subject VARCHAR(200) NOT NULL,
    detail  TEXT         NOT NULL
);
