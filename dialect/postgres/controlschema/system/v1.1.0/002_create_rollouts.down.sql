DROP INDEX herd_idx_rollout_tenants_wave;
DROP TABLE herd_rollout_tenants;
DROP TABLE herd_rollouts;
