-- Whether a shadow switch renamed the tenant's schema instead of moving
-- its registry entry (PostgreSQL with a schema per tenant: the migrated
-- copy took the tenant's name, the database it left a name of its own),
-- so that a switch back renames them again.
ALTER TABLE herd_shadow_switches ADD COLUMN renamed BOOLEAN NOT NULL DEFAULT FALSE;
