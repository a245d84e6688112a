DROP TABLE herd_shadow_switches;
