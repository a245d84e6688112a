-- Rollouts and their per-tenant work items. Leases expire by the control
-- database's clock, kept as epoch milliseconds so every engine compares
-- them as numbers.

CREATE TABLE herd_rollouts (
    id             INTEGER      NOT NULL PRIMARY KEY AUTOINCREMENT,
    release_name   VARCHAR(64)  NOT NULL,
    system_version VARCHAR(64)  NOT NULL,
    tenant_version VARCHAR(64)  NOT NULL,
    selector       TEXT         NOT NULL,
    status         VARCHAR(16)  NOT NULL,
    reason         TEXT         NULL,
    start_at       TIMESTAMP    NULL,
    created_at     TIMESTAMP    NOT NULL,
    updated_at     TIMESTAMP    NOT NULL,
    finished_at    TIMESTAMP    NULL
);

CREATE TABLE herd_rollout_tenants (
    rollout_id       BIGINT       NOT NULL,
    tenant           VARCHAR(48)  NOT NULL,
    server           VARCHAR(64)  NOT NULL,
    wave             INT          NOT NULL,
    wave_name        VARCHAR(64)  NOT NULL,
    position         INT          NOT NULL,
    state            VARCHAR(16)  NOT NULL,
    attempts         INT          NOT NULL DEFAULT 0,
    lease_owner      VARCHAR(100) NULL,
    lease_token      BIGINT       NOT NULL DEFAULT 0,
    lease_expires_ms BIGINT       NOT NULL DEFAULT 0,
    from_version     VARCHAR(64)  NOT NULL DEFAULT '',
    started_at       TIMESTAMP    NULL,
    finished_at      TIMESTAMP    NULL,
    duration_ms      BIGINT       NOT NULL DEFAULT 0,
    error            TEXT         NULL,
    PRIMARY KEY (rollout_id, tenant)
);

CREATE INDEX herd_idx_rollout_tenants_wave ON herd_rollout_tenants (rollout_id, wave, state);
