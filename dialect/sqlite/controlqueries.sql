-- herd's queries on its control database, for SQLite. Each query starts
-- with a "-- name:" line; package control loads them all when it opens
-- the control database and refuses to open when one is missing.

-- The queries named "-many" take 8 rows, or 8 codes, of which the unused
-- ones are all NULL and left out: package control reads and writes a
-- batch of tenants, or the steps of a run, in one statement.

-- name: schema-ledger-read
SELECT migration_id, state FROM herd_control_migrations ORDER BY migration_id

-- name: schema-ledger-write
INSERT INTO herd_control_migrations (migration_id, version, kind, checksum, state, direction,
    statements_total, statements_done, statement_started, error, applied_at, execution_ms)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (migration_id) DO UPDATE SET version = excluded.version, kind = excluded.kind,
    checksum = excluded.checksum, state = excluded.state, direction = excluded.direction,
    statements_total = excluded.statements_total, statements_done = excluded.statements_done,
    statement_started = excluded.statement_started, error = excluded.error,
    applied_at = excluded.applied_at, execution_ms = excluded.execution_ms

-- name: tenant-conflicts
SELECT COUNT(*) FROM herd_tenants WHERE code = ? OR (server = ? AND database_name = ?)

-- name: tenant-exists
SELECT COUNT(*) FROM herd_tenants WHERE code = ?

-- name: tenant-insert
INSERT INTO herd_tenants (code, name, tier, server, database_name, tags, features, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)

-- name: tenant-get
SELECT t.code, t.name, t.tier, t.server, t.database_name, t.tags, t.features, t.created_at,
    s.rows_total, s.bytes_total, s.rows_estimated, s.bytes_estimated, s.analyzed_at
FROM herd_tenants t LEFT JOIN herd_tenant_sizes s ON s.tenant_code = t.code WHERE t.code = ?

-- name: tenant-list
SELECT t.code, t.name, t.tier, t.server, t.database_name, t.tags, t.features, t.created_at,
    s.rows_total, s.bytes_total, s.rows_estimated, s.bytes_estimated, s.analyzed_at
FROM herd_tenants t LEFT JOIN herd_tenant_sizes s ON s.tenant_code = t.code ORDER BY t.code

-- name: tenant-update
UPDATE herd_tenants SET name = ?, tier = ?, tags = ?, features = ? WHERE code = ?

-- name: tenant-delete
DELETE FROM herd_tenants WHERE code = ?

-- name: version-exists
SELECT COUNT(*) FROM database_schema_versions WHERE database_type = ? AND database_identifier = ?

-- name: version-insert
INSERT INTO database_schema_versions (database_type, database_identifier, current_version,
    target_version, migration_status, created_at, updated_at)
VALUES (?, ?, '', ?, ?, ?, ?)

-- name: version-delete
DELETE FROM database_schema_versions WHERE database_type = ? AND database_identifier = ?

-- name: version-get
SELECT database_type, database_identifier, current_version, target_version, migration_status,
    migration_started_at, migration_completed_at, migration_error, updated_at, stamp_version, schema_stamp
FROM database_schema_versions WHERE database_type = ? AND database_identifier = ?

-- name: version-list
SELECT database_type, database_identifier, current_version, target_version, migration_status,
    migration_started_at, migration_completed_at, migration_error, updated_at, stamp_version, schema_stamp
FROM database_schema_versions ORDER BY database_type, database_identifier

-- name: version-get-many
SELECT database_type, database_identifier, current_version, target_version, migration_status,
    migration_started_at, migration_completed_at, migration_error, updated_at, stamp_version, schema_stamp
FROM database_schema_versions
WHERE database_type = ? AND database_identifier IN (?, ?, ?, ?, ?, ?, ?, ?)

-- name: version-identifiers
SELECT database_identifier FROM database_schema_versions WHERE database_type = ?

-- name: version-begin
UPDATE database_schema_versions SET current_version = ?, target_version = ?, migration_status = ?,
    migration_started_at = ?, migration_completed_at = NULL, migration_error = NULL, updated_at = ?
WHERE database_type = ? AND database_identifier = ?

-- name: version-begin-many
UPDATE database_schema_versions SET target_version = ?, migration_status = ?,
    migration_started_at = ?, migration_completed_at = NULL, migration_error = NULL, updated_at = ?
WHERE database_type = ? AND database_identifier IN (?, ?, ?, ?, ?, ?, ?, ?)

-- name: version-restore
UPDATE database_schema_versions SET target_version = ?, migration_status = ?, migration_started_at = ?,
    migration_completed_at = ?, migration_error = ?, updated_at = ?
WHERE database_type = ? AND database_identifier = ?

-- name: version-end
UPDATE database_schema_versions SET current_version = ?, migration_status = ?,
    migration_completed_at = ?, migration_error = ?, updated_at = ?, stamp_version = ?, schema_stamp = ?
WHERE database_type = ? AND database_identifier = ?

-- name: version-sync
UPDATE database_schema_versions SET current_version = ?, migration_status = ?, migration_error = NULL,
    updated_at = ?
WHERE database_type = ? AND database_identifier = ?

-- name: version-mark
UPDATE database_schema_versions SET target_version = ?, migration_status = ?, updated_at = ?
WHERE database_type = ? AND database_identifier = ?

-- name: version-unmark-many
UPDATE database_schema_versions SET target_version = NULL,
    migration_status = CASE WHEN migration_error IS NULL THEN ? ELSE ? END, updated_at = ?
WHERE database_type = ? AND migration_status = ? AND target_version = ?
    AND database_identifier IN (?, ?, ?, ?, ?, ?, ?, ?)

-- name: history-insert-many
INSERT INTO database_migration_history (database_type, database_identifier, migration_name,
    migration_version, migration_type, direction, executed_at, execution_time_ms, status,
    error_message, checksum, lock_retries)
SELECT * FROM (VALUES
    (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))
WHERE column1 IS NOT NULL

-- name: history-list
SELECT id, migration_name, migration_version, migration_type, direction, executed_at, execution_time_ms,
    status, error_message, checksum
FROM database_migration_history WHERE database_type = ? AND database_identifier = ? ORDER BY id

-- name: history-page
SELECT id, migration_name, migration_version, migration_type, direction, executed_at, execution_time_ms,
    status, error_message, checksum
FROM database_migration_history WHERE database_type = ? AND database_identifier = ? AND id > ? ORDER BY id LIMIT ?

-- name: history-after
SELECT id, database_type, database_identifier, migration_name, migration_version, migration_type, direction,
    executed_at, execution_time_ms, status, error_message, checksum, lock_retries
FROM database_migration_history WHERE id > ? ORDER BY id LIMIT ?

-- name: audit-insert
INSERT INTO herd_audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)

-- name: rollout-insert
INSERT INTO herd_rollouts (release_name, system_version, tenant_version, selector, status, start_at,
    created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)

-- name: rollout-get
SELECT id, release_name, system_version, tenant_version, selector, status, reason, start_at,
    created_at, updated_at, finished_at
FROM herd_rollouts WHERE id = ?

-- name: rollout-list
SELECT id, release_name, system_version, tenant_version, selector, status, reason, start_at,
    created_at, updated_at, finished_at
FROM herd_rollouts ORDER BY id

-- name: rollout-latest-unfinished
SELECT id, release_name, system_version, tenant_version, selector, status, reason, start_at,
    created_at, updated_at, finished_at
FROM herd_rollouts WHERE status NOT IN (?, ?, ?) ORDER BY id DESC LIMIT 1

-- name: rollout-set-status
UPDATE herd_rollouts SET status = ?, reason = ?, updated_at = ?, finished_at = ?
WHERE id = ? AND status IN (?, ?, ?, ?)

-- name: item-insert-many
INSERT INTO herd_rollout_tenants (rollout_id, tenant, server, wave, wave_name, position, state, from_version, error)
SELECT * FROM (VALUES
    (?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?),
    (?, ?, ?, ?, ?, ?, ?, ?, ?))
WHERE column1 IS NOT NULL

-- name: item-list
SELECT tenant, server, wave, wave_name, position, state, attempts, lease_owner, lease_token,
    from_version, started_at, finished_at, duration_ms, error
FROM herd_rollout_tenants WHERE rollout_id = ? ORDER BY wave, position

-- name: item-waves
SELECT wave, wave_name, state, COUNT(*), SUM(attempts > 0)
FROM herd_rollout_tenants WHERE rollout_id = ? GROUP BY wave, wave_name, state ORDER BY wave

-- name: item-oldest-running
SELECT started_at FROM herd_rollout_tenants WHERE rollout_id = ? AND state = ? AND started_at IS NOT NULL
ORDER BY started_at LIMIT 1

-- The lease columns hold milliseconds since the Unix epoch by SQLite's
-- clock, which every process on the machine shares: SQLite control files
-- are local.

-- name: item-claimable
SELECT tenant, server, wave, wave_name, position, state, attempts, lease_owner, lease_token,
    from_version, started_at, finished_at, duration_ms, error
FROM herd_rollout_tenants
WHERE rollout_id = ? AND wave = ? AND (state = ? OR (state = ? AND
    lease_expires_ms < CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)))
ORDER BY position LIMIT ?

-- name: item-claim
UPDATE herd_rollout_tenants SET state = ?, lease_owner = ?, lease_token = lease_token + 1,
    lease_expires_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) + ?,
    attempts = attempts + 1, started_at = ?, error = NULL
WHERE rollout_id = ? AND tenant = ? AND lease_token = ? AND (state = ? OR (state = ? AND
    lease_expires_ms < CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)))
    AND EXISTS (SELECT 1 FROM herd_rollouts WHERE id = ? AND status = ?)

-- name: item-heartbeat
UPDATE herd_rollout_tenants
SET lease_expires_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) + ?
WHERE rollout_id = ? AND tenant = ? AND lease_owner = ? AND lease_token = ? AND state = ?

-- name: item-release
UPDATE herd_rollout_tenants SET state = ?, lease_expires_ms = 0, finished_at = ?, duration_ms = ?, error = ?
WHERE rollout_id = ? AND tenant = ? AND lease_owner = ? AND lease_token = ? AND state = ?

-- name: item-retry
UPDATE herd_rollout_tenants SET state = ?, lease_expires_ms = 0, lease_owner = NULL
WHERE rollout_id = ? AND state = ?

-- name: item-resolve
UPDATE herd_rollout_tenants SET state = ?, error = ?, finished_at = ?
WHERE tenant = ? AND state IN (?, ?) AND rollout_id IN
    (SELECT id FROM herd_rollouts WHERE tenant_version = ? AND status NOT IN (?, ?))

-- name: snapshot-insert
INSERT INTO herd_snapshots (tenant, server, database_name, snapshot_name, version, rollout_id, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: snapshot-get
SELECT id, tenant, server, database_name, snapshot_name, version, rollout_id, created_at, restored_at
FROM herd_snapshots WHERE id = ? AND dropped_at IS NULL

-- name: snapshot-latest
SELECT id, tenant, server, database_name, snapshot_name, version, rollout_id, created_at, restored_at
FROM herd_snapshots WHERE tenant = ? AND version = ? AND dropped_at IS NULL ORDER BY id DESC LIMIT 1

-- name: snapshot-list
SELECT id, tenant, server, database_name, snapshot_name, version, rollout_id, created_at, restored_at
FROM herd_snapshots WHERE dropped_at IS NULL ORDER BY created_at, id

-- name: snapshot-list-tenant
SELECT id, tenant, server, database_name, snapshot_name, version, rollout_id, created_at, restored_at
FROM herd_snapshots WHERE tenant = ? AND dropped_at IS NULL ORDER BY created_at, id

-- name: snapshot-delete
DELETE FROM herd_snapshots WHERE id = ?

-- name: snapshot-mark-restored
UPDATE herd_snapshots SET restored_at = ? WHERE id = ?

-- name: override-get
SELECT value FROM herd_flag_overrides WHERE flag = ? AND tenant = ?

-- name: override-list
SELECT flag, tenant, value FROM herd_flag_overrides

-- name: override-insert
INSERT INTO herd_flag_overrides (flag, tenant, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)

-- name: override-delete
DELETE FROM herd_flag_overrides WHERE flag = ? AND tenant = ?

-- name: override-delete-tenant
DELETE FROM herd_flag_overrides WHERE tenant = ?

-- name: flag-tenant-get
SELECT t.code, t.tier, COALESCE(v.current_version, '')
FROM herd_tenants t LEFT JOIN database_schema_versions v
    ON v.database_type = 'tenant' AND v.database_identifier = t.code
WHERE t.code = ?

-- name: flag-tenant-list
SELECT t.code, t.tier, COALESCE(v.current_version, '')
FROM herd_tenants t LEFT JOIN database_schema_versions v
    ON v.database_type = 'tenant' AND v.database_identifier = t.code
ORDER BY t.code

-- name: generation-bump
UPDATE herd_control_changes SET generation = generation + 1 WHERE id = 1

-- name: generation-get
SELECT generation FROM herd_control_changes WHERE id = 1

-- name: fleet-id
SELECT fleet_id FROM herd_fleet WHERE id = 1

-- The key that signs the calendar feed URLs: read, inserted when absent
-- (concurrent first uses keep the first), and replaced.
-- name: calendar-key-get
SELECT calendar_key FROM herd_calendar_key WHERE id = 1

-- name: calendar-key-insert
INSERT INTO herd_calendar_key (id, calendar_key, created_at) VALUES (1, ?, ?)
ON CONFLICT (id) DO NOTHING

-- name: calendar-key-replace
INSERT INTO herd_calendar_key (id, calendar_key, created_at) VALUES (1, ?, ?)
ON CONFLICT (id) DO UPDATE SET calendar_key = excluded.calendar_key, created_at = excluded.created_at

-- The tenants' sizes (herd analyze).

-- name: size-upsert
INSERT INTO herd_tenant_sizes (tenant_code, rows_total, bytes_total, rows_estimated, bytes_estimated, tables, analyzed_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant_code) DO UPDATE SET rows_total = excluded.rows_total, bytes_total = excluded.bytes_total,
    rows_estimated = excluded.rows_estimated, bytes_estimated = excluded.bytes_estimated, tables = excluded.tables,
    analyzed_at = excluded.analyzed_at

-- name: size-get
SELECT tenant_code, rows_total, bytes_total, rows_estimated, bytes_estimated, analyzed_at, tables
FROM herd_tenant_sizes WHERE tenant_code = ?

-- name: size-list
SELECT s.tenant_code, s.rows_total, s.bytes_total, s.rows_estimated, s.bytes_estimated, s.analyzed_at
FROM herd_tenant_sizes s JOIN herd_tenants t ON t.code = s.tenant_code ORDER BY s.tenant_code

-- name: size-delete
DELETE FROM herd_tenant_sizes WHERE tenant_code = ?

-- Shadow migrations' cut-overs (control schema v1.7.0).

-- name: tenant-move
UPDATE herd_tenants SET database_name = ? WHERE code = ? AND database_name = ?

-- name: switch-insert
INSERT INTO herd_shadow_switches (tenant, server, old_database, new_database, from_version, to_version, state, switched_at, renamed)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: switch-list
SELECT id, tenant, server, old_database, new_database, from_version, to_version, state, switched_at, ended_at, renamed
FROM herd_shadow_switches ORDER BY id DESC

-- name: switch-list-tenant
SELECT id, tenant, server, old_database, new_database, from_version, to_version, state, switched_at, ended_at, renamed
FROM herd_shadow_switches WHERE tenant = ? ORDER BY id DESC

-- name: switch-end
UPDATE herd_shadow_switches SET state = ?, ended_at = ?, old_database = ?, new_database = ?
WHERE id = ? AND state = ?

-- Write freezes of shadow migrations (control schema v1.7.0).

-- name: freeze-upsert
INSERT INTO herd_write_freezes (tenant, frozen_until) VALUES (?, ?)
ON CONFLICT (tenant) DO UPDATE SET frozen_until = excluded.frozen_until

-- name: freeze-delete
DELETE FROM herd_write_freezes WHERE tenant = ?

-- name: freeze-list
SELECT tenant, frozen_until FROM herd_write_freezes

-- Shadow migrations' phases (control schema v1.8.0).

-- name: shadow-run-begin
INSERT INTO herd_shadow_runs (tenant, from_version, to_version, state, phase, started_at, phase_started_at, alive_until)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant) DO UPDATE SET from_version = excluded.from_version, to_version = excluded.to_version,
    state = excluded.state, phase = excluded.phase, started_at = excluded.started_at,
    phase_started_at = excluded.phase_started_at, progress_count = NULL, progress_of = NULL, progress_unit = NULL,
    alive_until = excluded.alive_until, ended_at = NULL, error_message = NULL

-- name: shadow-run-phase
UPDATE herd_shadow_runs SET phase = ?, phase_started_at = ?, progress_count = ?, progress_of = ?, progress_unit = ?,
    alive_until = ?
WHERE tenant = ? AND state = ?

-- name: shadow-run-progress
UPDATE herd_shadow_runs SET progress_count = ?, progress_of = ?, progress_unit = ?, alive_until = ?
WHERE tenant = ? AND state = ?

-- name: shadow-run-alive
UPDATE herd_shadow_runs SET alive_until = ? WHERE tenant = ? AND state = ?

-- name: shadow-run-end
UPDATE herd_shadow_runs SET state = ?, ended_at = ?, error_message = ? WHERE tenant = ? AND state = ?

-- name: shadow-run-get
SELECT tenant, from_version, to_version, state, phase, started_at, phase_started_at, progress_count, progress_of, progress_unit,
    alive_until, ended_at, error_message
FROM herd_shadow_runs WHERE tenant = ?

-- name: shadow-run-list
SELECT tenant, from_version, to_version, state, phase, started_at, phase_started_at, progress_count, progress_of, progress_unit,
    alive_until, ended_at, error_message
FROM herd_shadow_runs WHERE state = ? ORDER BY tenant

-- name: shadow-run-delete
DELETE FROM herd_shadow_runs WHERE tenant = ?

-- The reference schemas and the tenants' drift (herd drift).

-- name: reference-upsert
INSERT INTO herd_schema_references (engine, version, path_sum, schema_json, built_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (engine, version, path_sum) DO UPDATE SET schema_json = excluded.schema_json, built_at = excluded.built_at

-- name: reference-get
SELECT schema_json, built_at FROM herd_schema_references WHERE engine = ? AND version = ? AND path_sum = ?

-- name: drift-upsert
INSERT INTO herd_tenant_drift (tenant_code, version, state, drifted, customised, differences, checked_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant_code) DO UPDATE SET version = excluded.version, state = excluded.state, drifted = excluded.drifted,
    customised = excluded.customised, differences = excluded.differences, checked_at = excluded.checked_at

-- name: drift-get
SELECT tenant_code, version, state, drifted, customised, differences, checked_at FROM herd_tenant_drift WHERE tenant_code = ?

-- name: drift-list
SELECT d.tenant_code, d.version, d.state, d.drifted, d.customised, d.checked_at
FROM herd_tenant_drift d JOIN herd_tenants t ON t.code = d.tenant_code ORDER BY d.tenant_code

-- name: drift-count
SELECT d.state, COUNT(*)
FROM herd_tenant_drift d JOIN herd_tenants t ON t.code = d.tenant_code GROUP BY d.state

-- name: drift-delete
DELETE FROM herd_tenant_drift WHERE tenant_code = ?

-- The console's pages (herd serve's /api/v1): each filters and bounds in
-- one read. A filter's first placeholder is '' (or 1) for "any".

-- name: tenant-counts
SELECT COALESCE(v.current_version, ''), COALESCE(v.migration_status, 'pending'), t.server, COUNT(*)
FROM herd_tenants t LEFT JOIN database_schema_versions v
    ON v.database_type = 'tenant' AND v.database_identifier = t.code
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3

-- name: tenant-status-page
SELECT t.code, t.name, t.tier, t.server, t.database_name, t.tags,
    COALESCE(v.current_version, ''), v.target_version, COALESCE(v.migration_status, 'pending'), v.migration_error,
    s.rows_total, s.bytes_total, s.rows_estimated, s.bytes_estimated, s.analyzed_at,
    d.version, d.state, d.drifted, d.customised, d.checked_at
FROM herd_tenants t
LEFT JOIN database_schema_versions v ON v.database_type = 'tenant' AND v.database_identifier = t.code
LEFT JOIN herd_tenant_sizes s ON s.tenant_code = t.code
LEFT JOIN herd_tenant_drift d ON d.tenant_code = t.code
WHERE t.code > ?
    AND (? = '' OR t.tier = ?)
    AND (? = '' OR t.server = ?)
    AND (? = '' OR COALESCE(v.migration_status, 'pending') = ?)
    AND (? = 1 OR COALESCE(v.current_version, '') IN (SELECT value FROM json_each(?)))
    AND (? = '' OR EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value = ?))
    AND (? = '' OR LOWER(t.code) LIKE ? ESCAPE '\' OR LOWER(t.name) LIKE ? ESCAPE '\')
ORDER BY t.code LIMIT ?

-- name: audit-page
SELECT id, at, actor, action, subject, detail FROM herd_audit_log
WHERE (? = 0 OR id < ?) AND (? = '' OR actor = ?) AND (? = '' OR action = ?)
ORDER BY id DESC LIMIT ?

-- name: rollout-page
SELECT id, release_name, system_version, tenant_version, selector, status, reason, start_at,
    created_at, updated_at, finished_at
FROM herd_rollouts WHERE (? = 0 OR id < ?) AND (? = '' OR status = ?) ORDER BY id DESC LIMIT ?

-- name: item-page
SELECT tenant, server, wave, wave_name, position, state, attempts, lease_owner, lease_token,
    from_version, started_at, finished_at, duration_ms, error
FROM herd_rollout_tenants
WHERE rollout_id = ? AND (wave > ? OR (wave = ? AND position > ?)) AND (? = '' OR state = ?)
ORDER BY wave, position LIMIT ?

-- name: item-list-tenant
SELECT rollout_id, tenant, server, wave, wave_name, position, state, attempts, lease_owner, lease_token,
    from_version, started_at, finished_at, duration_ms, error
FROM herd_rollout_tenants WHERE tenant = ? AND (? = 0 OR rollout_id < ?)
ORDER BY rollout_id DESC LIMIT ?

-- name: rollback-begin
INSERT INTO herd_rollout_rollbacks (rollout_id, actor, status, from_version, tenants, rolled_back, failed, last_error, started_at, updated_at, finished_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (rollout_id) DO NOTHING

-- name: rollback-restart
UPDATE herd_rollout_rollbacks SET actor = ?, status = ?, from_version = ?, tenants = ?, rolled_back = 0, failed = 0,
    last_error = NULL, started_at = ?, updated_at = ?, finished_at = NULL
WHERE rollout_id = ? AND status = ? AND updated_at = ?

-- name: rollback-touch
UPDATE herd_rollout_rollbacks SET updated_at = ? WHERE rollout_id = ? AND status = ?

-- name: rollback-update
UPDATE herd_rollout_rollbacks SET status = ?, rolled_back = ?, failed = ?, last_error = ?, updated_at = ?,
    finished_at = ?
WHERE rollout_id = ?

-- name: rollback-get
SELECT rollout_id, actor, status, from_version, tenants, rolled_back, failed, last_error, started_at, updated_at, finished_at
FROM herd_rollout_rollbacks WHERE rollout_id = ?

-- name: item-leases
SELECT lease_owner, COUNT(*) FROM herd_rollout_tenants
WHERE rollout_id = ? AND state = ? AND lease_owner IS NOT NULL AND lease_expires_ms >= CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
GROUP BY lease_owner ORDER BY lease_owner

-- Chunked migrations' progress (control schema v1.12.0).

-- name: chunk-progress-upsert
INSERT INTO herd_chunk_progress (database_type, database_identifier, migration_name, table_name,
    last_key, rows_done, share_done, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (database_type, database_identifier, migration_name) DO UPDATE SET table_name = excluded.table_name,
    last_key = excluded.last_key, rows_done = excluded.rows_done, share_done = excluded.share_done,
    updated_at = excluded.updated_at

-- name: chunk-progress-delete
DELETE FROM herd_chunk_progress WHERE database_type = ? AND database_identifier = ? AND migration_name = ?

-- name: chunk-progress-delete-tenant
DELETE FROM herd_chunk_progress WHERE database_type = 'tenant' AND database_identifier = ?

-- name: chunk-progress-list
SELECT p.database_type, p.database_identifier, p.migration_name, p.table_name, p.last_key, p.rows_done,
    p.share_done, p.updated_at
FROM herd_chunk_progress p
WHERE p.database_type = 'system' OR EXISTS (SELECT 1 FROM herd_tenants t WHERE t.code = p.database_identifier)
ORDER BY p.database_type, p.database_identifier, p.migration_name
