UPDATE herd_rollouts SET status = 'completed' WHERE status = 'completed_with_failures';
DROP TABLE herd_fleet;
