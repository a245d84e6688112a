-- The schema stamp (dialect.SchemaStamper) a tenant's schema had when a
-- run left it at the reference of stamp_version, so that the next run's
-- pre-flight can tell in one query that it is still there; NULL when no
-- run did (the run found it drifted, failed, or its engine has no stamp).
ALTER TABLE database_schema_versions ADD COLUMN stamp_version VARCHAR(64) NULL;
ALTER TABLE database_schema_versions ADD COLUMN schema_stamp VARCHAR(64) NULL;
