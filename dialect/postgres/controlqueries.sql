-- herd's queries on its control database, for PostgreSQL. Each query starts
-- with a "-- name:" line; package control loads them all when it opens
-- the control database and refuses to open when one is missing. An INSERT
-- that makes a row with an id returns it (pgx has no LastInsertId).

-- The queries named "-many" take 8 rows, or 8 codes, of which the unused
-- ones are all NULL and left out: package control reads and writes a
-- batch of tenants, or the steps of a run, in one statement. The casts on
-- the first row of a "-many" insert type the columns of its VALUES.

-- name: schema-ledger-read
SELECT migration_id, state FROM herd_control_migrations ORDER BY migration_id

-- name: schema-ledger-write
INSERT INTO herd_control_migrations (migration_id, version, kind, checksum, state, direction,
    statements_total, statements_done, statement_started, error, applied_at, execution_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (migration_id) DO UPDATE SET version = excluded.version, kind = excluded.kind,
    checksum = excluded.checksum, state = excluded.state, direction = excluded.direction,
    statements_total = excluded.statements_total, statements_done = excluded.statements_done,
    statement_started = excluded.statement_started, error = excluded.error,
    applied_at = excluded.applied_at, execution_ms = excluded.execution_ms

-- name: tenant-conflicts
SELECT COUNT(*) FROM herd_tenants WHERE code = $1 OR (server = $2 AND database_name = $3)

-- name: tenant-exists
SELECT COUNT(*) FROM herd_tenants WHERE code = $1

-- name: tenant-insert
INSERT INTO herd_tenants (code, name, tier, server, database_name, tags, features, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)

-- name: tenant-get
SELECT t.code, t.name, t.tier, t.server, t.database_name, t.tags, t.features, t.created_at,
    s.rows_total, s.bytes_total, s.rows_estimated, s.bytes_estimated, s.analyzed_at
FROM herd_tenants t LEFT JOIN herd_tenant_sizes s ON s.tenant_code = t.code WHERE t.code = $1

-- name: tenant-list
SELECT t.code, t.name, t.tier, t.server, t.database_name, t.tags, t.features, t.created_at,
    s.rows_total, s.bytes_total, s.rows_estimated, s.bytes_estimated, s.analyzed_at
FROM herd_tenants t LEFT JOIN herd_tenant_sizes s ON s.tenant_code = t.code ORDER BY t.code

-- name: tenant-update
UPDATE herd_tenants SET name = $1, tier = $2, tags = $3, features = $4 WHERE code = $5

-- name: tenant-delete
DELETE FROM herd_tenants WHERE code = $1

-- name: version-exists
SELECT COUNT(*) FROM database_schema_versions WHERE database_type = $1 AND database_identifier = $2

-- name: version-insert
INSERT INTO database_schema_versions (database_type, database_identifier, current_version,
    target_version, migration_status, created_at, updated_at)
VALUES ($1, $2, '', $3, $4, $5, $6)

-- name: version-delete
DELETE FROM database_schema_versions WHERE database_type = $1 AND database_identifier = $2

-- name: version-get
SELECT database_type, database_identifier, current_version, target_version, migration_status,
    migration_started_at, migration_completed_at, migration_error, updated_at, stamp_version, schema_stamp
FROM database_schema_versions WHERE database_type = $1 AND database_identifier = $2

-- name: version-list
SELECT database_type, database_identifier, current_version, target_version, migration_status,
    migration_started_at, migration_completed_at, migration_error, updated_at, stamp_version, schema_stamp
FROM database_schema_versions ORDER BY database_type, database_identifier

-- name: version-get-many
SELECT database_type, database_identifier, current_version, target_version, migration_status,
    migration_started_at, migration_completed_at, migration_error, updated_at, stamp_version, schema_stamp
FROM database_schema_versions
WHERE database_type = $1 AND database_identifier IN ($2, $3, $4, $5, $6, $7, $8, $9)

-- name: version-identifiers
SELECT database_identifier FROM database_schema_versions WHERE database_type = $1

-- name: version-begin
UPDATE database_schema_versions SET current_version = $1, target_version = $2, migration_status = $3,
    migration_started_at = $4, migration_completed_at = NULL, migration_error = NULL, updated_at = $5
WHERE database_type = $6 AND database_identifier = $7

-- name: version-begin-many
UPDATE database_schema_versions SET target_version = $1, migration_status = $2,
    migration_started_at = $3, migration_completed_at = NULL, migration_error = NULL, updated_at = $4
WHERE database_type = $5 AND database_identifier IN ($6, $7, $8, $9, $10, $11, $12, $13)

-- name: version-restore
UPDATE database_schema_versions SET target_version = $1, migration_status = $2, migration_started_at = $3,
    migration_completed_at = $4, migration_error = $5, updated_at = $6
WHERE database_type = $7 AND database_identifier = $8

-- name: version-end
UPDATE database_schema_versions SET current_version = $1, migration_status = $2,
    migration_completed_at = $3, migration_error = $4, updated_at = $5, stamp_version = $6, schema_stamp = $7
WHERE database_type = $8 AND database_identifier = $9

-- name: version-sync
UPDATE database_schema_versions SET current_version = $1, migration_status = $2, migration_error = NULL,
    updated_at = $3
WHERE database_type = $4 AND database_identifier = $5

-- name: version-mark
UPDATE database_schema_versions SET target_version = $1, migration_status = $2, updated_at = $3
WHERE database_type = $4 AND database_identifier = $5

-- name: version-unmark-many
UPDATE database_schema_versions SET target_version = NULL,
    migration_status = CASE WHEN migration_error IS NULL THEN $1 ELSE $2 END, updated_at = $3
WHERE database_type = $4 AND migration_status = $5 AND target_version = $6
    AND database_identifier IN ($7, $8, $9, $10, $11, $12, $13, $14)

-- name: history-insert-many
INSERT INTO database_migration_history (database_type, database_identifier, migration_name,
    migration_version, migration_type, direction, executed_at, execution_time_ms, status,
    error_message, checksum, lock_retries)
SELECT * FROM (VALUES
    ($1::varchar, $2::varchar, $3::varchar, $4::varchar, $5::varchar, $6::varchar, $7::timestamptz, $8::int, $9::varchar, $10::text, $11::varchar, $12::int),
    ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24),
    ($25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36),
    ($37, $38, $39, $40, $41, $42, $43, $44, $45, $46, $47, $48),
    ($49, $50, $51, $52, $53, $54, $55, $56, $57, $58, $59, $60),
    ($61, $62, $63, $64, $65, $66, $67, $68, $69, $70, $71, $72),
    ($73, $74, $75, $76, $77, $78, $79, $80, $81, $82, $83, $84),
    ($85, $86, $87, $88, $89, $90, $91, $92, $93, $94, $95, $96))
    AS v (database_type, database_identifier, migration_name, migration_version, migration_type,
        direction, executed_at, execution_time_ms, status, error_message, checksum, lock_retries)
WHERE v.database_type IS NOT NULL

-- name: history-list
SELECT id, migration_name, migration_version, migration_type, direction, executed_at, execution_time_ms,
    status, error_message, checksum
FROM database_migration_history WHERE database_type = $1 AND database_identifier = $2 ORDER BY id

-- name: history-page
SELECT id, migration_name, migration_version, migration_type, direction, executed_at, execution_time_ms,
    status, error_message, checksum
FROM database_migration_history WHERE database_type = $1 AND database_identifier = $2 AND id > $3 ORDER BY id LIMIT $4

-- name: history-after
SELECT id, database_type, database_identifier, migration_name, migration_version, migration_type, direction,
    executed_at, execution_time_ms, status, error_message, checksum, lock_retries
FROM database_migration_history WHERE id > $1 ORDER BY id LIMIT $2

-- name: audit-insert
INSERT INTO herd_audit_log (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)

-- name: rollout-insert
INSERT INTO herd_rollouts (release_name, system_version, tenant_version, selector, status, start_at,
    created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id

-- name: rollout-get
SELECT id, release_name, system_version, tenant_version, selector, status, reason, start_at,
    created_at, updated_at, finished_at
FROM herd_rollouts WHERE id = $1

-- name: rollout-list
SELECT id, release_name, system_version, tenant_version, selector, status, reason, start_at,
    created_at, updated_at, finished_at
FROM herd_rollouts ORDER BY id

-- name: rollout-latest-unfinished
SELECT id, release_name, system_version, tenant_version, selector, status, reason, start_at,
    created_at, updated_at, finished_at
FROM herd_rollouts WHERE status NOT IN ($1, $2, $3) ORDER BY id DESC LIMIT 1

-- name: rollout-set-status
UPDATE herd_rollouts SET status = $1, reason = $2, updated_at = $3, finished_at = $4
WHERE id = $5 AND status IN ($6, $7, $8, $9)

-- name: item-insert-many
INSERT INTO herd_rollout_tenants (rollout_id, tenant, server, wave, wave_name, position, state, from_version, error)
SELECT * FROM (VALUES
    ($1::bigint, $2::varchar, $3::varchar, $4::int, $5::varchar, $6::int, $7::varchar, $8::varchar, $9::text),
    ($10, $11, $12, $13, $14, $15, $16, $17, $18),
    ($19, $20, $21, $22, $23, $24, $25, $26, $27),
    ($28, $29, $30, $31, $32, $33, $34, $35, $36),
    ($37, $38, $39, $40, $41, $42, $43, $44, $45),
    ($46, $47, $48, $49, $50, $51, $52, $53, $54),
    ($55, $56, $57, $58, $59, $60, $61, $62, $63),
    ($64, $65, $66, $67, $68, $69, $70, $71, $72))
    AS v (rollout_id, tenant, server, wave, wave_name, position, state, from_version, error)
WHERE v.rollout_id IS NOT NULL

-- name: item-list
SELECT tenant, server, wave, wave_name, position, state, attempts, lease_owner, lease_token,
    from_version, started_at, finished_at, duration_ms, error
FROM herd_rollout_tenants WHERE rollout_id = $1 ORDER BY wave, position

-- name: item-waves
SELECT wave, wave_name, state, COUNT(*), COUNT(*) FILTER (WHERE attempts > 0)
FROM herd_rollout_tenants WHERE rollout_id = $1 GROUP BY wave, wave_name, state ORDER BY wave

-- name: item-oldest-running
SELECT started_at FROM herd_rollout_tenants WHERE rollout_id = $1 AND state = $2 AND started_at IS NOT NULL
ORDER BY started_at LIMIT 1

-- The lease columns hold milliseconds since the Unix epoch by the
-- server's clock: clock_timestamp, not now, so that a long transaction
-- sees time pass.

-- name: item-claimable
SELECT tenant, server, wave, wave_name, position, state, attempts, lease_owner, lease_token,
    from_version, started_at, finished_at, duration_ms, error
FROM herd_rollout_tenants
WHERE rollout_id = $1 AND wave = $2 AND (state = $3 OR (state = $4 AND
    lease_expires_ms < CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)))
ORDER BY position LIMIT $5

-- name: item-claim
UPDATE herd_rollout_tenants SET state = $1, lease_owner = $2, lease_token = lease_token + 1,
    lease_expires_ms = CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) + $3,
    attempts = attempts + 1, started_at = $4, error = NULL
WHERE rollout_id = $5 AND tenant = $6 AND lease_token = $7 AND (state = $8 OR (state = $9 AND
    lease_expires_ms < CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)))
    AND EXISTS (SELECT 1 FROM herd_rollouts WHERE id = $10 AND status = $11)

-- name: item-heartbeat
UPDATE herd_rollout_tenants
SET lease_expires_ms = CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) + $1
WHERE rollout_id = $2 AND tenant = $3 AND lease_owner = $4 AND lease_token = $5 AND state = $6

-- name: item-release
UPDATE herd_rollout_tenants SET state = $1, lease_expires_ms = 0, finished_at = $2, duration_ms = $3, error = $4
WHERE rollout_id = $5 AND tenant = $6 AND lease_owner = $7 AND lease_token = $8 AND state = $9

-- name: item-retry
UPDATE herd_rollout_tenants SET state = $1, lease_expires_ms = 0, lease_owner = NULL
WHERE rollout_id = $2 AND state = $3

-- name: item-resolve
UPDATE herd_rollout_tenants SET state = $1, error = $2, finished_at = $3
WHERE tenant = $4 AND state IN ($5, $6) AND rollout_id IN
    (SELECT id FROM herd_rollouts WHERE tenant_version = $7 AND status NOT IN ($8, $9))

-- name: snapshot-insert
INSERT INTO herd_snapshots (tenant, server, database_name, snapshot_name, version, rollout_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id

-- name: snapshot-get
SELECT id, tenant, server, database_name, snapshot_name, version, rollout_id, created_at, restored_at
FROM herd_snapshots WHERE id = $1 AND dropped_at IS NULL

-- name: snapshot-latest
SELECT id, tenant, server, database_name, snapshot_name, version, rollout_id, created_at, restored_at
FROM herd_snapshots WHERE tenant = $1 AND version = $2 AND dropped_at IS NULL ORDER BY id DESC LIMIT 1

-- name: snapshot-list
SELECT id, tenant, server, database_name, snapshot_name, version, rollout_id, created_at, restored_at
FROM herd_snapshots WHERE dropped_at IS NULL ORDER BY created_at, id

-- name: snapshot-list-tenant
SELECT id, tenant, server, database_name, snapshot_name, version, rollout_id, created_at, restored_at
FROM herd_snapshots WHERE tenant = $1 AND dropped_at IS NULL ORDER BY created_at, id

-- name: snapshot-delete
DELETE FROM herd_snapshots WHERE id = $1

-- name: snapshot-mark-restored
UPDATE herd_snapshots SET restored_at = $1 WHERE id = $2

-- name: override-get
SELECT value FROM herd_flag_overrides WHERE flag = $1 AND tenant = $2

-- name: override-list
SELECT flag, tenant, value FROM herd_flag_overrides

-- name: override-insert
INSERT INTO herd_flag_overrides (flag, tenant, value, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)

-- name: override-delete
DELETE FROM herd_flag_overrides WHERE flag = $1 AND tenant = $2

-- name: override-delete-tenant
DELETE FROM herd_flag_overrides WHERE tenant = $1

-- name: flag-tenant-get
SELECT t.code, t.tier, COALESCE(v.current_version, '')
FROM herd_tenants t LEFT JOIN database_schema_versions v
    ON v.database_type = 'tenant' AND v.database_identifier = t.code
WHERE t.code = $1

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
INSERT INTO herd_calendar_key (id, calendar_key, created_at) VALUES (1, $1, $2)
ON CONFLICT (id) DO NOTHING

-- name: calendar-key-replace
INSERT INTO herd_calendar_key (id, calendar_key, created_at) VALUES (1, $1, $2)
ON CONFLICT (id) DO UPDATE SET calendar_key = excluded.calendar_key, created_at = excluded.created_at

-- The tenants' sizes (herd analyze).

-- name: size-upsert
INSERT INTO herd_tenant_sizes (tenant_code, rows_total, bytes_total, rows_estimated, bytes_estimated, tables, analyzed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_code) DO UPDATE SET rows_total = excluded.rows_total, bytes_total = excluded.bytes_total,
    rows_estimated = excluded.rows_estimated, bytes_estimated = excluded.bytes_estimated, tables = excluded.tables,
    analyzed_at = excluded.analyzed_at

-- name: size-get
SELECT tenant_code, rows_total, bytes_total, rows_estimated, bytes_estimated, analyzed_at, tables
FROM herd_tenant_sizes WHERE tenant_code = $1

-- name: size-list
SELECT s.tenant_code, s.rows_total, s.bytes_total, s.rows_estimated, s.bytes_estimated, s.analyzed_at
FROM herd_tenant_sizes s JOIN herd_tenants t ON t.code = s.tenant_code ORDER BY s.tenant_code

-- name: size-delete
DELETE FROM herd_tenant_sizes WHERE tenant_code = $1

-- Shadow migrations' cut-overs (control schema v1.7.0).

-- name: tenant-move
UPDATE herd_tenants SET database_name = $1 WHERE code = $2 AND database_name = $3

-- name: switch-insert
INSERT INTO herd_shadow_switches (tenant, server, old_database, new_database, from_version, to_version, state, switched_at, renamed)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id

-- name: switch-list
SELECT id, tenant, server, old_database, new_database, from_version, to_version, state, switched_at, ended_at, renamed
FROM herd_shadow_switches ORDER BY id DESC

-- name: switch-list-tenant
SELECT id, tenant, server, old_database, new_database, from_version, to_version, state, switched_at, ended_at, renamed
FROM herd_shadow_switches WHERE tenant = $1 ORDER BY id DESC

-- name: switch-end
UPDATE herd_shadow_switches SET state = $1, ended_at = $2, old_database = $3, new_database = $4
WHERE id = $5 AND state = $6

-- Write freezes of shadow migrations (control schema v1.7.0).

-- name: freeze-upsert
INSERT INTO herd_write_freezes (tenant, frozen_until) VALUES ($1, $2)
ON CONFLICT (tenant) DO UPDATE SET frozen_until = excluded.frozen_until

-- name: freeze-delete
DELETE FROM herd_write_freezes WHERE tenant = $1

-- name: freeze-list
SELECT tenant, frozen_until FROM herd_write_freezes

-- Shadow migrations' phases (control schema v1.8.0).

-- name: shadow-run-begin
INSERT INTO herd_shadow_runs (tenant, from_version, to_version, state, phase, started_at, phase_started_at, alive_until)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (tenant) DO UPDATE SET from_version = excluded.from_version, to_version = excluded.to_version,
    state = excluded.state, phase = excluded.phase, started_at = excluded.started_at,
    phase_started_at = excluded.phase_started_at, progress_count = NULL, progress_of = NULL, progress_unit = NULL,
    alive_until = excluded.alive_until, ended_at = NULL, error_message = NULL

-- name: shadow-run-phase
UPDATE herd_shadow_runs SET phase = $1, phase_started_at = $2, progress_count = $3, progress_of = $4, progress_unit = $5,
    alive_until = $6
WHERE tenant = $7 AND state = $8

-- name: shadow-run-progress
UPDATE herd_shadow_runs SET progress_count = $1, progress_of = $2, progress_unit = $3, alive_until = $4
WHERE tenant = $5 AND state = $6

-- name: shadow-run-alive
UPDATE herd_shadow_runs SET alive_until = $1 WHERE tenant = $2 AND state = $3

-- name: shadow-run-end
UPDATE herd_shadow_runs SET state = $1, ended_at = $2, error_message = $3 WHERE tenant = $4 AND state = $5

-- name: shadow-run-get
SELECT tenant, from_version, to_version, state, phase, started_at, phase_started_at, progress_count, progress_of, progress_unit,
    alive_until, ended_at, error_message
FROM herd_shadow_runs WHERE tenant = $1

-- name: shadow-run-list
SELECT tenant, from_version, to_version, state, phase, started_at, phase_started_at, progress_count, progress_of, progress_unit,
    alive_until, ended_at, error_message
FROM herd_shadow_runs WHERE state = $1 ORDER BY tenant

-- name: shadow-run-delete
DELETE FROM herd_shadow_runs WHERE tenant = $1

-- The reference schemas and the tenants' drift (herd drift).

-- name: reference-upsert
INSERT INTO herd_schema_references (engine, version, path_sum, schema_json, built_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (engine, version, path_sum) DO UPDATE SET schema_json = excluded.schema_json, built_at = excluded.built_at

-- name: reference-get
SELECT schema_json, built_at FROM herd_schema_references WHERE engine = $1 AND version = $2 AND path_sum = $3

-- name: drift-upsert
INSERT INTO herd_tenant_drift (tenant_code, version, state, drifted, customised, differences, checked_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_code) DO UPDATE SET version = excluded.version, state = excluded.state, drifted = excluded.drifted,
    customised = excluded.customised, differences = excluded.differences, checked_at = excluded.checked_at

-- name: drift-get
SELECT tenant_code, version, state, drifted, customised, differences, checked_at FROM herd_tenant_drift WHERE tenant_code = $1

-- name: drift-list
SELECT d.tenant_code, d.version, d.state, d.drifted, d.customised, d.checked_at
FROM herd_tenant_drift d JOIN herd_tenants t ON t.code = d.tenant_code ORDER BY d.tenant_code

-- name: drift-count
SELECT d.state, COUNT(*)
FROM herd_tenant_drift d JOIN herd_tenants t ON t.code = d.tenant_code GROUP BY d.state

-- name: drift-delete
DELETE FROM herd_tenant_drift WHERE tenant_code = $1

-- The console's pages (herd serve's /api/v1): each filters and bounds in
-- one read. A filter's first placeholder is '' (or 1) for "any"; each
-- placeholder is used once, in order, as on the other engines. LIKE
-- escapes with a backslash by default.

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
WHERE t.code > $1
    AND ($2 = '' OR t.tier = $3)
    AND ($4 = '' OR t.server = $5)
    AND ($6 = '' OR COALESCE(v.migration_status, 'pending') = $7)
    AND ($8::int = 1 OR COALESCE(v.current_version, '') IN (SELECT jsonb_array_elements_text($9::jsonb)))
    AND ($10 = '' OR t.tags::jsonb @> jsonb_build_array($11::text))
    AND ($12 = '' OR LOWER(t.code) LIKE $13 OR LOWER(t.name) LIKE $14)
ORDER BY t.code LIMIT $15

-- name: audit-page
SELECT id, at, actor, action, subject, detail FROM herd_audit_log
WHERE ($1::bigint = 0 OR id < $2) AND ($3 = '' OR actor = $4) AND ($5 = '' OR action = $6)
ORDER BY id DESC LIMIT $7

-- name: rollout-page
SELECT id, release_name, system_version, tenant_version, selector, status, reason, start_at,
    created_at, updated_at, finished_at
FROM herd_rollouts WHERE ($1::bigint = 0 OR id < $2) AND ($3 = '' OR status = $4) ORDER BY id DESC LIMIT $5

-- name: item-page
SELECT tenant, server, wave, wave_name, position, state, attempts, lease_owner, lease_token,
    from_version, started_at, finished_at, duration_ms, error
FROM herd_rollout_tenants
WHERE rollout_id = $1 AND (wave > $2 OR (wave = $3 AND position > $4)) AND ($5 = '' OR state = $6)
ORDER BY wave, position LIMIT $7

-- name: item-list-tenant
SELECT rollout_id, tenant, server, wave, wave_name, position, state, attempts, lease_owner, lease_token,
    from_version, started_at, finished_at, duration_ms, error
FROM herd_rollout_tenants WHERE tenant = $1 AND ($2::bigint = 0 OR rollout_id < $3)
ORDER BY rollout_id DESC LIMIT $4

-- name: rollback-begin
INSERT INTO herd_rollout_rollbacks (rollout_id, actor, status, from_version, tenants, rolled_back, failed, last_error, started_at, updated_at, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (rollout_id) DO NOTHING

-- name: rollback-restart
UPDATE herd_rollout_rollbacks SET actor = $1, status = $2, from_version = $3, tenants = $4, rolled_back = 0, failed = 0,
    last_error = NULL, started_at = $5, updated_at = $6, finished_at = NULL
WHERE rollout_id = $7 AND status = $8 AND updated_at = $9

-- name: rollback-touch
UPDATE herd_rollout_rollbacks SET updated_at = $1 WHERE rollout_id = $2 AND status = $3

-- name: rollback-update
UPDATE herd_rollout_rollbacks SET status = $1, rolled_back = $2, failed = $3, last_error = $4, updated_at = $5,
    finished_at = $6
WHERE rollout_id = $7

-- name: rollback-get
SELECT rollout_id, actor, status, from_version, tenants, rolled_back, failed, last_error, started_at, updated_at, finished_at
FROM herd_rollout_rollbacks WHERE rollout_id = $1

-- name: item-leases
SELECT lease_owner, COUNT(*) FROM herd_rollout_tenants
WHERE rollout_id = $1 AND state = $2 AND lease_owner IS NOT NULL AND lease_expires_ms >= CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)
GROUP BY lease_owner ORDER BY lease_owner

-- Chunked migrations' progress (control schema v1.12.0).

-- name: chunk-progress-upsert
INSERT INTO herd_chunk_progress (database_type, database_identifier, migration_name, table_name,
    last_key, rows_done, share_done, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (database_type, database_identifier, migration_name) DO UPDATE SET table_name = excluded.table_name,
    last_key = excluded.last_key, rows_done = excluded.rows_done, share_done = excluded.share_done,
    updated_at = excluded.updated_at

-- name: chunk-progress-delete
DELETE FROM herd_chunk_progress WHERE database_type = $1 AND database_identifier = $2 AND migration_name = $3

-- name: chunk-progress-delete-tenant
DELETE FROM herd_chunk_progress WHERE database_type = 'tenant' AND database_identifier = $1

-- name: chunk-progress-list
SELECT p.database_type, p.database_identifier, p.migration_name, p.table_name, p.last_key, p.rows_done,
    p.share_done, p.updated_at
FROM herd_chunk_progress p
WHERE p.database_type = 'system' OR EXISTS (SELECT 1 FROM herd_tenants t WHERE t.code = p.database_identifier)
ORDER BY p.database_type, p.database_identifier, p.migration_name
