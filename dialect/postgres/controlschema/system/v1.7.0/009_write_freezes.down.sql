DROP TABLE herd_write_freezes;
