// Package server is herd's HTTP face: feature-flag evaluation over
// OpenFeature's Remote Evaluation Protocol (OFREP), so that an application
// in any language can ask which features a tenant may use, the fleet's
// metrics for Prometheus, and a health check.
//
// # Endpoints
//
//	POST /ofrep/v1/evaluate/flags/{key}   one flag for one tenant
//	POST /ofrep/v1/evaluate/flags         every flag for one tenant (ETag, 304)
//	GET  /healthz                         200 when flag data can be served
//	GET  /metrics                         the fleet for Prometheus (metrics.go, docs/metrics.md)
//
// The request body of both evaluations is {"context": {"targetingKey":
// "TENANT_CODE"}}: the targeting key is the tenant's code; other context
// attributes are ignored, since herd decides from what the control
// database knows of the tenant (its tier and schema version) and never
// from what the caller claims. See ofrep.go for the responses and how
// herd's reasons map to OpenFeature's.
//
// Besides the flags herd.yaml declares, the server answers one of its
// own, herd.read_only (ReadOnlyFlag): true while a shadow migration's
// cut-over freezes the tenant's writes, when every evaluation's metadata
// and the bulk answer's also carry "readOnly": true.
//
// # Data
//
// Evaluations read an in-memory flags.Snapshot shared by every request
// and replaced atomically: a request that finds it older than
// Options.RefreshEvery has it refreshed in the background and is answered
// from the current one; a request that finds it older than twice that
// (the server was idle) waits for the refresh. A refresh reads the
// control database's change counter and takes a new snapshot only when
// the counter moved. So a change in the control database (a migrated
// tenant, an override) is served within about RefreshEvery, evaluating
// costs no database round trip, and an idle fleet costs one small read per
// RefreshEvery.
//
// # Access
//
// With Options.Tokens set, evaluations need one of them, sent as
// "Authorization: Bearer TOKEN" or "X-API-Key: TOKEN" (the two schemes
// OFREP's openapi.yaml declares); so does /metrics. /healthz needs none.
package server
