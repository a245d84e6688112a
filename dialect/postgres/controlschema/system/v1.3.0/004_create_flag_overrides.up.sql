-- Per-tenant overrides of feature flags: a row turns one flag on or off for
-- one tenant once the flag's version gate lets the tenant through. No row
-- leaves the flag to its rules in herd.yaml.
CREATE TABLE herd_flag_overrides (
    flag       VARCHAR(100) NOT NULL,
    tenant     VARCHAR(48)  NOT NULL,
    value      VARCHAR(8)   NOT NULL CHECK (value IN ('on', 'off')),
    updated_at TIMESTAMPTZ  NOT NULL,
    updated_by VARCHAR(100) NOT NULL,
    PRIMARY KEY (flag, tenant)
);
