// Package server is herd's HTTP face: the operator's console (pages,
// live rollout progress, actions on rollouts), feature-flag evaluation
// over OpenFeature's Remote Evaluation Protocol (OFREP), so that an
// application in any language can ask which features a tenant may use,
// the fleet's metrics for Prometheus, and a health check.
//
// # Endpoints
//
//	POST /ofrep/v1/evaluate/flags/{key}   one flag for one tenant
//	POST /ofrep/v1/evaluate/flags         every flag for one tenant (ETag, 304)
//	GET  /healthz                         200 when flag data can be served
//	GET  /metrics                         the fleet for Prometheus (metrics.go, docs/metrics.md)
//
// When the fleet New is given is a ConsoleFleet (*herd.Fleet is), New
// also serves the console: GET /, /tenants, /tenants/{code}, /rollouts,
// /rollouts/{id} and its server-sent events /rollouts/{id}/events,
// /releases and /audit; GET and POST /rollouts/{id}/actions/{action};
// /login and /logout; /static/. docs/console.md describes them.
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
// # Live updates
//
// One poller per handler feeds every viewer of a live rollout page: each
// Options.LiveEvery it reads the change counter, and only when it moved
// reads each watched rollout once and fans the rendered progress out as
// server-sent events. It runs while someone watches.
//
// # Access
//
// With Options.Viewers or Options.Operators set, evaluations, pages and
// /metrics need one of their tokens, sent as "Authorization: Bearer
// TOKEN" or "X-API-Key: TOKEN" (the two schemes OFREP's openapi.yaml
// declares), or a browser session opened at /login (held in memory; an
// HttpOnly, SameSite=Strict cookie). The console's actions need an
// operator, a same-origin request and, in a session, its CSRF token.
// /healthz needs nothing. Without tokens everyone is an operator: herd
// serve then listens on loopback only.
package server
