ALTER TABLE herd_shadow_switches DROP COLUMN renamed;
