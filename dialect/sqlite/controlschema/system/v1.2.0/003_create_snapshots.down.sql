DROP INDEX herd_idx_snapshots_tenant;
DROP TABLE herd_snapshots;
