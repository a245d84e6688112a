-- Reverses 004_add_tenant_configurations.
DROP TABLE tenant_configurations;
