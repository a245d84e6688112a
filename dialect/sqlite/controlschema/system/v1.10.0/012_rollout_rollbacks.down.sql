DROP TABLE herd_rollout_rollbacks;
