-- Tenants whose writes a shadow migration's cut-over freezes, until when:
-- the router reports them read-only meanwhile. The migration extends the
-- time while the freeze lasts and deletes the row when it ends, so a row a
-- killed herd left lapses by itself.
CREATE TABLE herd_write_freezes (
    tenant        VARCHAR(48)  NOT NULL PRIMARY KEY,
    frozen_until  TIMESTAMPTZ  NOT NULL
);
