-- Drops herd's control tables, in the reverse order of the up file.

DROP TABLE herd_audit_log;

DROP INDEX herd_idx_migration_version;

DROP INDEX herd_idx_db_migration;

DROP TABLE database_migration_history;

DROP TABLE database_schema_versions;

DROP TABLE herd_tenants;
