-- The reference schema of each version on each engine (what the tenant
-- migrations produce on an empty database, as herd drift inspects it: a
-- JSON document), keyed by a digest of the migrations on the path, so
-- that a changed migration builds a new one.
CREATE TABLE herd_schema_references (
    engine      VARCHAR(16)  NOT NULL,
    version     VARCHAR(64)  NOT NULL,
    path_sum    VARCHAR(64)  NOT NULL,
    schema_json TEXT NOT NULL,
    built_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (engine, version, path_sum)
);

-- Each tenant's last drift check: the version it was compared at, what
-- it found (none, customised or drifted, with counts) and the
-- differences (a JSON array).
CREATE TABLE herd_tenant_drift (
    tenant_code  VARCHAR(48) NOT NULL PRIMARY KEY,
    version      VARCHAR(64) NOT NULL,
    state        VARCHAR(16) NOT NULL,
    drifted      INTEGER     NOT NULL,
    customised   INTEGER     NOT NULL,
    differences  TEXT NOT NULL,
    checked_at   TIMESTAMPTZ NOT NULL
);
