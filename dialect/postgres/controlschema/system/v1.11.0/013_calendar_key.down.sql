DROP INDEX herd_idx_rollout_tenants_tenant;
DROP TABLE herd_calendar_key;
