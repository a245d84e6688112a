DROP TABLE herd_flag_overrides;
