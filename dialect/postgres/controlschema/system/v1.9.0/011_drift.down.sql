DROP TABLE herd_tenant_drift;
DROP TABLE herd_schema_references;
