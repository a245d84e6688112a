ALTER TABLE database_schema_versions DROP COLUMN schema_stamp;
ALTER TABLE database_schema_versions DROP COLUMN stamp_version;
