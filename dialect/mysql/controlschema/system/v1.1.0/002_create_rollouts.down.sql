DROP TABLE herd_rollout_tenants;
DROP TABLE herd_rollouts;
