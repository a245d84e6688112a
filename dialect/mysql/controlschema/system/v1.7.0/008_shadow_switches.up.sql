-- Each cut-over of a shadow migration: the tenant moved from its database
-- to its migrated shadow, and the database it left, kept as its rollback
-- point until herd cleanup drops it.
CREATE TABLE herd_shadow_switches (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant        VARCHAR(48)  NOT NULL,
    server        VARCHAR(64)  NOT NULL,
    old_database  VARCHAR(64)  NOT NULL,
    new_database  VARCHAR(64)  NOT NULL,
    from_version  VARCHAR(64)  NOT NULL,
    to_version    VARCHAR(64)  NOT NULL,
    state         VARCHAR(16)  NOT NULL,
    switched_at   DATETIME(6)  NOT NULL,
    ended_at      DATETIME(6)  NULL,
    KEY herd_idx_shadow_switches_tenant (tenant, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
