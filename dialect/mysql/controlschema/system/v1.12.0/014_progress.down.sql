DROP TABLE herd_chunk_progress;
ALTER TABLE database_migration_history DROP COLUMN lock_retries;
