DROP TABLE herd_snapshots;
