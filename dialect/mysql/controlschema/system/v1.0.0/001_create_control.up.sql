-- herd's control tables for MySQL/MariaDB: the tenant registry, the fleet
-- view of schema versions and migration history, and the audit log.
-- Timestamps are written by herd, in UTC; nothing relies on column
-- defaults. Text compares as bytes (utf8mb4_bin), as on the other engines.

CREATE TABLE herd_tenants (
    code          VARCHAR(48)  NOT NULL PRIMARY KEY,
    name          VARCHAR(200) NOT NULL,
    tier          VARCHAR(40)  NOT NULL,
    server        VARCHAR(64)  NOT NULL,
    database_name VARCHAR(64)  NOT NULL,
    tags          TEXT         NOT NULL, -- JSON array
    features      TEXT         NOT NULL, -- JSON array
    created_at    DATETIME(6)  NOT NULL,
    UNIQUE KEY herd_tenants_server_database (server, database_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- database_identifier is '@system' for the system database, never NULL, so
-- that the UNIQUE key holds for it too.
CREATE TABLE database_schema_versions (
    id                     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    database_type          ENUM('system', 'tenant') NOT NULL,
    database_identifier    VARCHAR(100) NOT NULL,
    current_version        VARCHAR(64)  NOT NULL DEFAULT '',
    target_version         VARCHAR(64)  NULL,
    migration_status       ENUM('pending', 'running', 'completed', 'failed') NOT NULL DEFAULT 'pending',
    migration_started_at   DATETIME(6)  NULL,
    migration_completed_at DATETIME(6)  NULL,
    migration_error        TEXT         NULL,
    created_at             DATETIME(6)  NOT NULL,
    updated_at             DATETIME(6)  NOT NULL,
    UNIQUE KEY unique_db_version (database_type, database_identifier)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE database_migration_history (
    id                  BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    database_type       ENUM('system', 'tenant') NOT NULL,
    database_identifier VARCHAR(100) NOT NULL,
    migration_name      VARCHAR(200) NOT NULL,
    migration_version   VARCHAR(64)  NOT NULL,
    migration_type      ENUM('schema', 'data', 'feature') NOT NULL,
    direction           ENUM('up', 'down') NOT NULL,
    executed_at         DATETIME(6)  NOT NULL,
    execution_time_ms   INT          NOT NULL,
    status              ENUM('success', 'failed', 'rolled_back') NOT NULL,
    error_message       TEXT         NULL,
    checksum            VARCHAR(64)  NOT NULL,
    INDEX idx_db_migration (database_type, database_identifier),
    INDEX idx_migration_version (migration_version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE herd_audit_log (
    id      BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at      DATETIME(6)  NOT NULL,
    actor   VARCHAR(100) NOT NULL,
    action  VARCHAR(64)  NOT NULL,
    subject VARCHAR(200) NOT NULL,
    detail  TEXT         NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
