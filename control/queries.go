package control

import (
	"bufio"
	"fmt"
	"strings"
)

// queries are the control database's statements on one engine, as its
// dialect writes them out in full (dialect.Dialect.ControlQueries), each
// under its name in that file.
type queries struct {
	schemaLedgerRead, schemaLedgerWrite string

	tenantConflicts, tenantExists, tenantInsert, tenantGet, tenantList, tenantUpdate, tenantDelete string

	versionExists, versionInsert, versionDelete, versionGet, versionGetMany, versionList string
	versionIdentifiers, versionBegin, versionBeginMany, versionRestore, versionEnd       string
	versionSync, versionMark, versionUnmarkMany                                          string

	historyInsertMany, historyList, historyPage, historyAfter, auditInsert string

	rolloutInsert, rolloutGet, rolloutList, rolloutLatestUnfinished, rolloutSetStatus string

	itemInsertMany, itemList, itemWaves, itemClaimable, itemClaim, itemHeartbeat string
	itemRelease, itemRetry, itemResolve                                          string
	itemOldestRunning, itemLeases                                                string

	rollbackBegin, rollbackRestart, rollbackTouch, rollbackUpdate, rollbackGet string

	snapshotInsert, snapshotGet, snapshotLatest, snapshotList, snapshotListTenant string
	snapshotDelete, snapshotMarkRestored                                          string

	overrideGet, overrideList, overrideInsert, overrideDelete, overrideDeleteTenant string
	flagTenantGet, flagTenantList                                                   string

	generationBump, generationGet, fleetID string

	calendarKeyGet, calendarKeyInsert, calendarKeyReplace string

	sizeUpsert, sizeGet, sizeList, sizeDelete string

	tenantMove, switchInsert, switchList, switchListTenant, switchEnd string

	freezeUpsert, freezeDelete, freezeList string

	shadowRunBegin, shadowRunPhase, shadowRunProgress, shadowRunAlive, shadowRunEnd string
	shadowRunGet, shadowRunList, shadowRunDelete                                    string

	referenceUpsert, referenceGet, driftUpsert, driftGet, driftList, driftCount, driftDelete string

	chunkProgressUpsert, chunkProgressDelete, chunkProgressDeleteTenant, chunkProgressList string

	tenantCounts, tenantStatusPage, auditPage, rolloutPage, itemPage, itemListTenant string
}

// byName returns where each query goes, by its name in the queries file.
func (q *queries) byName() map[string]*string {
	return map[string]*string{
		"schema-ledger-read":  &q.schemaLedgerRead,
		"schema-ledger-write": &q.schemaLedgerWrite,

		"tenant-conflicts": &q.tenantConflicts,
		"tenant-exists":    &q.tenantExists,
		"tenant-insert":    &q.tenantInsert,
		"tenant-get":       &q.tenantGet,
		"tenant-list":      &q.tenantList,
		"tenant-update":    &q.tenantUpdate,
		"tenant-delete":    &q.tenantDelete,

		"version-exists":      &q.versionExists,
		"version-insert":      &q.versionInsert,
		"version-delete":      &q.versionDelete,
		"version-get":         &q.versionGet,
		"version-get-many":    &q.versionGetMany,
		"version-list":        &q.versionList,
		"version-identifiers": &q.versionIdentifiers,
		"version-begin":       &q.versionBegin,
		"version-begin-many":  &q.versionBeginMany,
		"version-restore":     &q.versionRestore,
		"version-end":         &q.versionEnd,
		"version-sync":        &q.versionSync,
		"version-mark":        &q.versionMark,
		"version-unmark-many": &q.versionUnmarkMany,

		"history-insert-many": &q.historyInsertMany,
		"history-list":        &q.historyList,
		"history-page":        &q.historyPage,
		"history-after":       &q.historyAfter,
		"audit-insert":        &q.auditInsert,

		"rollout-insert":            &q.rolloutInsert,
		"rollout-get":               &q.rolloutGet,
		"rollout-list":              &q.rolloutList,
		"rollout-latest-unfinished": &q.rolloutLatestUnfinished,
		"rollout-set-status":        &q.rolloutSetStatus,

		"item-insert-many": &q.itemInsertMany,
		"item-list":        &q.itemList,
		"item-waves":       &q.itemWaves,
		"item-claimable":   &q.itemClaimable,
		"item-claim":       &q.itemClaim,
		"item-heartbeat":   &q.itemHeartbeat,
		"item-release":     &q.itemRelease,
		"item-retry":       &q.itemRetry,
		"item-resolve":     &q.itemResolve,

		"item-oldest-running": &q.itemOldestRunning,
		"item-leases":         &q.itemLeases,

		"rollback-begin":   &q.rollbackBegin,
		"rollback-restart": &q.rollbackRestart,
		"rollback-touch":   &q.rollbackTouch,
		"rollback-update":  &q.rollbackUpdate,
		"rollback-get":     &q.rollbackGet,

		"snapshot-insert":        &q.snapshotInsert,
		"snapshot-get":           &q.snapshotGet,
		"snapshot-latest":        &q.snapshotLatest,
		"snapshot-list":          &q.snapshotList,
		"snapshot-list-tenant":   &q.snapshotListTenant,
		"snapshot-delete":        &q.snapshotDelete,
		"snapshot-mark-restored": &q.snapshotMarkRestored,

		"override-get":           &q.overrideGet,
		"override-list":          &q.overrideList,
		"override-insert":        &q.overrideInsert,
		"override-delete":        &q.overrideDelete,
		"override-delete-tenant": &q.overrideDeleteTenant,
		"flag-tenant-get":        &q.flagTenantGet,
		"flag-tenant-list":       &q.flagTenantList,

		"generation-bump": &q.generationBump,
		"generation-get":  &q.generationGet,
		"fleet-id":        &q.fleetID,

		"chunk-progress-upsert":        &q.chunkProgressUpsert,
		"chunk-progress-delete":        &q.chunkProgressDelete,
		"chunk-progress-delete-tenant": &q.chunkProgressDeleteTenant,
		"chunk-progress-list":          &q.chunkProgressList,

		"calendar-key-get":     &q.calendarKeyGet,
		"calendar-key-insert":  &q.calendarKeyInsert,
		"calendar-key-replace": &q.calendarKeyReplace,

		"size-upsert": &q.sizeUpsert,
		"size-get":    &q.sizeGet,
		"size-list":   &q.sizeList,
		"size-delete": &q.sizeDelete,

		"reference-upsert": &q.referenceUpsert,
		"reference-get":    &q.referenceGet,
		"drift-upsert":     &q.driftUpsert,
		"drift-get":        &q.driftGet,
		"drift-list":       &q.driftList,
		"drift-count":      &q.driftCount,
		"drift-delete":     &q.driftDelete,

		"tenant-move":        &q.tenantMove,
		"switch-insert":      &q.switchInsert,
		"switch-list":        &q.switchList,
		"switch-list-tenant": &q.switchListTenant,
		"switch-end":         &q.switchEnd,

		"freeze-upsert": &q.freezeUpsert,
		"freeze-delete": &q.freezeDelete,
		"freeze-list":   &q.freezeList,

		"shadow-run-begin":    &q.shadowRunBegin,
		"shadow-run-phase":    &q.shadowRunPhase,
		"shadow-run-progress": &q.shadowRunProgress,
		"shadow-run-alive":    &q.shadowRunAlive,
		"shadow-run-end":      &q.shadowRunEnd,
		"shadow-run-get":      &q.shadowRunGet,
		"shadow-run-list":     &q.shadowRunList,
		"shadow-run-delete":   &q.shadowRunDelete,

		"tenant-counts":      &q.tenantCounts,
		"tenant-status-page": &q.tenantStatusPage,
		"audit-page":         &q.auditPage,
		"rollout-page":       &q.rolloutPage,
		"item-page":          &q.itemPage,
		"item-list-tenant":   &q.itemListTenant,
	}
}

// many is how many rows the queries named "-many" write, or how many
// codes they take; the unused ones are all NULL, and left out. A batch of
// tenants, or the steps of a run, go in one statement.
const many = 8

// batches calls fn with each run of up to many of n items, from i to j.
func batches(n int, fn func(i, j int) error) error {
	for i := 0; i < n; i += many {
		if err := fn(i, min(i+many, n)); err != nil {
			return err
		}
	}
	return nil
}

// loadQueries reads the queries of engine from text: each starts with a
// "-- name: NAME" line and runs to the next; other comment lines and blank
// lines are left out. It fails when a query is missing, named twice,
// empty, or unknown to this package.
func loadQueries(engine, text string) (*queries, error) {
	found := map[string]string{}
	var order []string
	var name string
	var body strings.Builder
	flush := func() error {
		if name == "" {
			return nil
		}
		sql := strings.TrimSpace(body.String())
		if sql == "" {
			return fmt.Errorf("%s control queries: query %q is empty", engine, name)
		}
		if _, dup := found[name]; dup {
			return fmt.Errorf("%s control queries: query %q is named twice", engine, name)
		}
		found[name] = sql
		order = append(order, name)
		body.Reset()
		return nil
	}
	lines := bufio.NewScanner(strings.NewReader(text))
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if n, ok := strings.CutPrefix(line, "-- name:"); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			name = strings.TrimSpace(n)
			continue
		}
		if line == "" || strings.HasPrefix(line, "--") {
			continue
		}
		if name == "" {
			return nil, fmt.Errorf("%s control queries: SQL before the first -- name: line", engine)
		}
		body.WriteString(lines.Text())
		body.WriteByte('\n')
	}
	if err := flush(); err != nil {
		return nil, err
	}
	q := &queries{}
	slots := q.byName()
	for _, n := range order {
		slot, ok := slots[n]
		if !ok {
			return nil, fmt.Errorf("%s control queries: unknown query %q", engine, n)
		}
		*slot = found[n]
	}
	for n, slot := range slots {
		if *slot == "" {
			return nil, fmt.Errorf("%s control queries: query %q is missing", engine, n)
		}
	}
	return q, nil
}
