-- The key that signs the fleet's calendar feed URLs (herd calendar url):
-- one row, made by herd on first use (a random key from Go's
-- crypto/rand, inserted only when absent) and replaced by herd calendar
-- rotate-key, which stops every URL signed with the old one.
CREATE TABLE herd_calendar_key (
    id           INTEGER     NOT NULL PRIMARY KEY,
    calendar_key VARCHAR(64) NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    CONSTRAINT herd_calendar_key_one_row CHECK (id = 1)
);

-- A tenant's rollout items, newest rollout first, a page at a time (the
-- API's /api/v1/tenants/{code}).
CREATE INDEX herd_idx_rollout_tenants_tenant ON herd_rollout_tenants (tenant, rollout_id);
