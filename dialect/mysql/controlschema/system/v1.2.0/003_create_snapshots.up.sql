-- Rollback points: snapshots of tenant databases taken before a risky
-- migration, each a sibling database on the tenant's server.
CREATE TABLE herd_snapshots (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant        VARCHAR(48)  NOT NULL,
    server        VARCHAR(64)  NOT NULL,
    database_name VARCHAR(64)  NOT NULL,
    snapshot_name VARCHAR(64)  NOT NULL,
    version       VARCHAR(64)  NOT NULL,
    rollout_id    BIGINT       NULL,
    created_at    DATETIME(6)  NOT NULL,
    restored_at   DATETIME(6)  NULL,
    dropped_at    DATETIME(6)  NULL,
    UNIQUE KEY herd_snapshots_name (server, snapshot_name),
    KEY herd_idx_snapshots_tenant (tenant, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
