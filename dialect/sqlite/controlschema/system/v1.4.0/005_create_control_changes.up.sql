-- The change counter: one row whose generation grows by one in the same
-- transaction as every write a router caches (the tenant registry, schema
-- versions, flag overrides), so that a reader learns whether anything
-- changed with one tiny query.
CREATE TABLE herd_control_changes (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);

INSERT INTO herd_control_changes (id, generation) VALUES (1, 1);
