DROP INDEX herd_idx_rollout_tenants_tenant ON herd_rollout_tenants;
DROP TABLE herd_calendar_key;
