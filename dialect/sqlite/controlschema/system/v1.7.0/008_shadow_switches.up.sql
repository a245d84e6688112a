-- Each cut-over of a shadow migration: the tenant moved from its database
-- file to its migrated shadow, and the file it left, kept as its rollback
-- point until herd cleanup drops it.
CREATE TABLE herd_shadow_switches (
    id            INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    tenant        VARCHAR(48)  NOT NULL,
    server        VARCHAR(64)  NOT NULL,
    old_database  VARCHAR(64)  NOT NULL,
    new_database  VARCHAR(64)  NOT NULL,
    from_version  VARCHAR(64)  NOT NULL,
    to_version    VARCHAR(64)  NOT NULL,
    state         VARCHAR(16)  NOT NULL,
    switched_at   TIMESTAMP    NOT NULL,
    ended_at      TIMESTAMP    NULL
);
CREATE INDEX herd_idx_shadow_switches_tenant ON herd_shadow_switches (tenant, id);
