DROP TABLE herd_tenant_sizes;
