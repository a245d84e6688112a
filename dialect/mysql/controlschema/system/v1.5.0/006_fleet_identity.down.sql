UPDATE herd_rollouts SET status = 'completed' WHERE status = 'completed_with_failures';
ALTER TABLE herd_rollouts MODIFY status VARCHAR(16) NOT NULL;
DROP TABLE herd_fleet;
