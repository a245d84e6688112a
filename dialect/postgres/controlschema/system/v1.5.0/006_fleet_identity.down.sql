UPDATE herd_rollouts SET status = 'completed' WHERE status = 'completed_with_failures';
ALTER TABLE herd_rollouts ALTER COLUMN status TYPE VARCHAR(16);
DROP TABLE herd_fleet;
