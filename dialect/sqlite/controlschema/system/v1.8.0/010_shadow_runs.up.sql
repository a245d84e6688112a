-- Where each tenant's newest shadow migration is: while it runs, its phase,
-- since when, and its progress where one is known (a count, of a total, in a
-- unit); once it ends, how (switched or abandoned, with the error). The
-- migration extends alive_until while it runs, so a row a killed herd left
-- shows as interrupted once that time passes.
CREATE TABLE herd_shadow_runs (
    tenant            VARCHAR(48)  NOT NULL PRIMARY KEY,
    from_version      VARCHAR(64)  NOT NULL,
    to_version        VARCHAR(64)  NOT NULL,
    state             VARCHAR(16)  NOT NULL,
    phase             VARCHAR(16)  NOT NULL,
    started_at        TIMESTAMP    NOT NULL,
    phase_started_at  TIMESTAMP    NOT NULL,
    progress_count    BIGINT       NULL,
    progress_of       BIGINT       NULL,
    progress_unit     VARCHAR(32)  NULL,
    alive_until       TIMESTAMP    NOT NULL,
    ended_at          TIMESTAMP    NULL,
    error_message     TEXT         NULL
);
