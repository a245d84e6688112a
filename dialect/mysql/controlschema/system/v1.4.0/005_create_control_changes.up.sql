-- The change counter: one row whose generation grows by one in the same
-- transaction as every write a router caches (the tenant registry, schema
-- versions, flag overrides), so that a reader learns whether anything
-- changed with one tiny query.
CREATE TABLE herd_control_changes (
    id         TINYINT NOT NULL PRIMARY KEY,
    generation BIGINT  NOT NULL,
    CONSTRAINT herd_control_changes_one_row CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO herd_control_changes (id, generation) VALUES (1, 1);
