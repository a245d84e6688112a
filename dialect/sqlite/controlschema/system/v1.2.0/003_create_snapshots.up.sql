-- Rollback points: snapshots of tenant databases taken before a risky
-- migration, each a sibling database (or schema, or file) on the tenant's
-- server.
CREATE TABLE herd_snapshots (
    id            INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    tenant        VARCHAR(48)  NOT NULL,
    server        VARCHAR(64)  NOT NULL,
    database_name VARCHAR(64)  NOT NULL,
    snapshot_name VARCHAR(64)  NOT NULL,
    version       VARCHAR(64)  NOT NULL,
    rollout_id    BIGINT       NULL,
    created_at    TIMESTAMP    NOT NULL,
    restored_at   TIMESTAMP    NULL,
    dropped_at    TIMESTAMP    NULL,
    UNIQUE (server, snapshot_name)
);

CREATE INDEX herd_idx_snapshots_tenant ON herd_snapshots (tenant, version);
