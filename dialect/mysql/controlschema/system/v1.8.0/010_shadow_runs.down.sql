DROP TABLE herd_shadow_runs;
