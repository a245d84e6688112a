-- Each tenant's size as herd analyze last measured it: totals, whether
-- each is an estimate, and the tables (a JSON array), so that status,
-- selectors and rollouts know a tenant's size without opening it.
CREATE TABLE herd_tenant_sizes (
    tenant_code     VARCHAR(48) NOT NULL PRIMARY KEY,
    rows_total      BIGINT      NOT NULL,
    bytes_total     BIGINT      NOT NULL,
    rows_estimated  SMALLINT    NOT NULL,
    bytes_estimated SMALLINT    NOT NULL,
    tables          TEXT        NOT NULL, -- JSON array
    analyzed_at     TIMESTAMP   NOT NULL
);
