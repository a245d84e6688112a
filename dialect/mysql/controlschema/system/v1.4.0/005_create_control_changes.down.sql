DROP TABLE herd_control_changes;
