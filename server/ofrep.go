package server

// OFREP, the OpenFeature Remote Evaluation Protocol, v1, as its OpenAPI
// document defines it: service/openapi.yaml in
// https://github.com/open-feature/protocol (OFREP 0.2.0). herd implements
// the two core operations, evaluateFlag and evaluateFlagsBulk, for boolean
// flags; the optional configuration endpoint and event streams are not
// served.
//
// A success is the spec's evaluationSuccess with a boolean value:
//
//	{"key": "enhanced_fees", "value": true, "reason": "SPLIT", "variant": "on",
//	 "metadata": {"herdReason": "PERCENTAGE_ON", "detail": "bucket 17 is within the 25% rollout",
//	              "requiredVersion": "2.0.0", "tenantVersion": "2.0.0"}}
//
// A failure is the spec's evaluationFailure or flagNotFound ({"key",
// "errorCode", "errorDetails"}); in a bulk request, a failure of the whole
// request is bulkEvaluationFailure ({"errorCode", "errorDetails"}):
//
//	404 FLAG_NOT_FOUND         the flag is not declared in herd.yaml
//	400 TARGETING_KEY_MISSING  the context has no targetingKey (the tenant code)
//	400 INVALID_CONTEXT        the targeting key is not a string, or names no tenant
//	400 PARSE_ERROR            the body is not JSON
//	401                        a token is required and was not sent, was not a Bearer token, or is not a
//	                           viewer token: errorDetails says which (no errorCode: the spec gives 401 no body)
//	500                        no flag snapshot could be taken (generalErrorResponse)
//
// The bulk response carries an ETag, a hash of its body; a request whose
// If-None-Match names it gets 304 Not Modified and no body.
//
// While a shadow migration's cut-over freezes the tenant's writes (reads
// go on; see herd migrate --strategy shadow), the answers say so, in the
// three places an OpenFeature client may look:
//
//   - the flag herd.read_only (ReadOnlyFlag), which herd answers for every
//     tenant and lists last in the bulk answer: true, reason
//     TARGETING_MATCH, variant "on", while the tenant is frozen; false,
//     reason DEFAULT, variant "off", otherwise. Any provider can read it
//     as an ordinary boolean flag, a static-context (browser) provider
//     from its cached bulk answer too;
//   - "readOnly": true in the metadata of every evaluation of the tenant
//     (OFREP's flag metadata; absent when it is not frozen), for hooks
//     that read flag metadata;
//   - "readOnly": true in the bulk answer's own metadata (OFREP's flag-set
//     metadata), likewise.
//
// A freeze begins and ends in the control database with a move of its
// change counter, so the answers follow within about
// Options.RefreshEvery; a freeze whose herd was killed holds until the
// time its record gives, judged at each request.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/flags"
)

// ReadOnlyFlag is the flag herd serve answers itself: true while a shadow
// migration freezes the tenant's writes. herd.yaml may not declare a flag
// named with its prefix (config.ReservedFlagPrefix).
const ReadOnlyFlag = config.ReservedFlagPrefix + "read_only"

// The herd reasons of ReadOnlyFlag, in its metadata's herdReason.
const (
	// reasonWriteFreeze: a shadow migration freezes the tenant's writes.
	reasonWriteFreeze flags.Reason = "WRITE_FREEZE"
	// reasonNoWriteFreeze: no freeze holds the tenant's writes.
	reasonNoWriteFreeze flags.Reason = "NO_WRITE_FREEZE"
)

// The OpenFeature reasons herd answers with (OpenFeature specification,
// "Types and Data Structures", Resolution Details; OFREP's evaluationSuccess
// lists STATIC, TARGETING_MATCH, SPLIT, DISABLED and UNKNOWN as examples).
const (
	// reasonTargetingMatch: a rule on what herd knows of the tenant decided
	// (its schema version, its override, its tier, its being a beta tenant).
	reasonTargetingMatch = "TARGETING_MATCH"
	// reasonSplit: the tenant's percentage bucket decided.
	reasonSplit = "SPLIT"
	// reasonDefault: the rollout is at 0% or 100%, so no split happened:
	// the tenant got the flag's value for every tenant no rule names.
	reasonDefault = "DEFAULT"
	// reasonDisabled: the flag is off in herd.yaml for every tenant no
	// override turns it on for (0% and no beta tenants).
	reasonDisabled = "DISABLED"
	// reasonUnknown: a herd reason this server does not know.
	reasonUnknown = "UNKNOWN"
)

// The OFREP error codes.
const (
	codeFlagNotFound        = "FLAG_NOT_FOUND"
	codeTargetingKeyMissing = "TARGETING_KEY_MISSING"
	codeInvalidContext      = "INVALID_CONTEXT"
	codeParseError          = "PARSE_ERROR"
	codeGeneral             = "GENERAL"
)

// ofrepReason maps herd's reason for a result of flag fl to an OpenFeature
// reason. No herd flag is STATIC: every one depends on the tenant's schema
// version. herd's own reason travels in the metadata as herdReason.
func ofrepReason(fl config.Flag, r flags.Reason) string {
	switch r {
	case flags.ReasonVersionGate, flags.ReasonOverrideOn, flags.ReasonOverrideOff, flags.ReasonTier, flags.ReasonBeta:
		return reasonTargetingMatch
	case flags.ReasonPercentageOn, flags.ReasonPercentageOff:
		switch pc := fl.RolloutPercentage; {
		case pc <= 0 && len(fl.BetaTenants) == 0:
			return reasonDisabled
		case pc <= 0 || pc >= 100:
			return reasonDefault
		}
		return reasonSplit
	}
	return reasonUnknown
}

// maxBody bounds a request body: a context is small.
const maxBody = 64 << 10

// evaluationRequest is OFREP's evaluationRequest and
// bulkEvaluationRequest. Only the targeting key is read.
type evaluationRequest struct {
	Context struct {
		TargetingKey *string `json:"targetingKey"`
	} `json:"context"`
}

// evaluation is OFREP's evaluationSuccess with a boolean value.
type evaluation struct {
	Key      string   `json:"key"`
	Value    bool     `json:"value"`
	Reason   string   `json:"reason"`
	Variant  string   `json:"variant"`
	Metadata metadata `json:"metadata"`
}

// metadata is the flag metadata of an evaluation: strings and booleans,
// as OFREP allows.
type metadata struct {
	HerdReason      flags.Reason `json:"herdReason"`
	Detail          string       `json:"detail"`
	RequiredVersion string       `json:"requiredVersion,omitempty"`
	TenantVersion   string       `json:"tenantVersion,omitempty"`
	// ReadOnly is set while the tenant's writes are frozen.
	ReadOnly bool `json:"readOnly,omitempty"`
}

// setMetadata is the flag-set metadata of a bulk answer.
type setMetadata struct {
	// ReadOnly is set while the tenant's writes are frozen.
	ReadOnly bool `json:"readOnly"`
}

// failure is OFREP's evaluationFailure, flagNotFound and (without a key)
// bulkEvaluationFailure.
type failure struct {
	Key          string `json:"key,omitempty"`
	ErrorCode    string `json:"errorCode"`
	ErrorDetails string `json:"errorDetails,omitempty"`
}

// bulkEvaluation is OFREP's bulkEvaluationSuccess.
type bulkEvaluation struct {
	Flags []evaluation `json:"flags"`
	// Metadata is there while the tenant's writes are frozen.
	Metadata *setMetadata `json:"metadata,omitempty"`
}

// evaluate turns a result into OFREP's form; readOnly says whether the
// tenant's writes are frozen.
func evaluate(fl config.Flag, t flags.Tenant, o flags.Override, readOnly bool) evaluation {
	res := flags.Evaluate(fl, t, o)
	e := evaluation{
		Key:      fl.Name,
		Value:    res.Enabled,
		Reason:   ofrepReason(fl, res.Reason),
		Variant:  "off",
		Metadata: metadata{HerdReason: res.Reason, Detail: res.Detail(), ReadOnly: readOnly},
	}
	if res.Enabled {
		e.Variant = "on"
	}
	if fl.RequiredVersion != nil {
		e.Metadata.RequiredVersion = fl.RequiredVersion.String()
	}
	if t.Version != nil {
		e.Metadata.TenantVersion = t.Version.String()
	}
	return e
}

// evaluateReadOnly answers ReadOnlyFlag for a tenant whose writes are
// frozen, or not.
func evaluateReadOnly(t flags.Tenant, readOnly bool) evaluation {
	if readOnly {
		return evaluation{Key: ReadOnlyFlag, Value: true, Reason: reasonTargetingMatch, Variant: "on",
			Metadata: metadata{HerdReason: reasonWriteFreeze, ReadOnly: true,
				Detail: fmt.Sprintf("a shadow migration freezes the writes of tenant %q: reads go on; writes wait or may be refused", t.Code)}}
	}
	return evaluation{Key: ReadOnlyFlag, Value: false, Reason: reasonDefault, Variant: "off",
		Metadata: metadata{HerdReason: reasonNoWriteFreeze, Detail: fmt.Sprintf("the writes of tenant %q are not frozen", t.Code)}}
}

// tenantOf reads the request body and finds the tenant its targeting key
// names. On failure it returns the status and the failure to answer.
func tenantOf(w http.ResponseWriter, r *http.Request, snap *flags.Snapshot) (flags.Tenant, int, *failure) {
	var req evaluationRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return flags.Tenant{}, http.StatusBadRequest, &failure{ErrorCode: codeInvalidContext,
				ErrorDetails: fmt.Sprintf("%s must be an object with a string targetingKey, the tenant code", fieldName(typeErr))}
		}
		return flags.Tenant{}, http.StatusBadRequest, &failure{ErrorCode: codeParseError,
			ErrorDetails: "the body must be JSON: {\"context\": {\"targetingKey\": \"TENANT_CODE\"}}: " + err.Error()}
	}
	key := req.Context.TargetingKey
	if key == nil || *key == "" {
		return flags.Tenant{}, http.StatusBadRequest, &failure{ErrorCode: codeTargetingKeyMissing,
			ErrorDetails: "the context needs a targetingKey: the tenant code"}
	}
	t, ok := snap.Tenant(*key)
	if !ok {
		return flags.Tenant{}, http.StatusBadRequest, &failure{ErrorCode: codeInvalidContext,
			ErrorDetails: fmt.Sprintf("targetingKey %q is not a registered tenant", *key)}
	}
	return t, 0, nil
}

// fieldName names the field a type error is about, for its message.
func fieldName(err *json.UnmarshalTypeError) string {
	if err.Field == "" {
		return "the body"
	}
	return err.Field
}

// snapshot returns the snapshot to answer from, or answers 500.
func (s *server) snapshot(w http.ResponseWriter, r *http.Request) (*taken, bool) {
	snap, err := s.snapshots.get(r.Context())
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, generalError{
			ErrorDetails: "flag data is unavailable: the control database could not be read (see the server's log)",
		})
		return nil, false
	}
	return snap, true
}

// evaluateFlag serves POST /ofrep/v1/evaluate/flags/{key}.
func (s *server) evaluateFlag(w http.ResponseWriter, r *http.Request) {
	snap, ok := s.snapshot(w, r)
	if !ok {
		return
	}
	key := r.PathValue("key")
	fl, ok := snap.flags.Flag(key)
	if !ok && key != ReadOnlyFlag {
		writeJSON(w, http.StatusNotFound, failure{Key: key, ErrorCode: codeFlagNotFound,
			ErrorDetails: fmt.Sprintf("flag %q is not declared in herd.yaml", key)})
		return
	}
	t, status, fail := tenantOf(w, r, snap.flags)
	if fail != nil {
		fail.Key = key
		writeJSON(w, status, fail)
		return
	}
	readOnly := snap.readOnly(t.Code, s.snapshots.now())
	if !ok {
		writeJSON(w, http.StatusOK, evaluateReadOnly(t, readOnly))
		return
	}
	writeJSON(w, http.StatusOK, evaluate(fl, t, snap.flags.Override(fl.Name, t.Code), readOnly))
}

// evaluateFlags serves POST /ofrep/v1/evaluate/flags: every flag for one
// tenant, with an ETag.
func (s *server) evaluateFlags(w http.ResponseWriter, r *http.Request) {
	snap, ok := s.snapshot(w, r)
	if !ok {
		return
	}
	t, status, fail := tenantOf(w, r, snap.flags)
	if fail != nil {
		writeJSON(w, status, fail)
		return
	}
	readOnly := snap.readOnly(t.Code, s.snapshots.now())
	all := snap.flags.Flags()
	out := bulkEvaluation{Flags: make([]evaluation, 0, len(all)+1)}
	for _, fl := range all {
		out.Flags = append(out.Flags, evaluate(fl, t, snap.flags.Override(fl.Name, t.Code), readOnly))
	}
	out.Flags = append(out.Flags, evaluateReadOnly(t, readOnly))
	if readOnly {
		out.Metadata = &setMetadata{ReadOnly: true}
	}
	body, err := json.Marshal(out)
	if err != nil { // an evaluation always marshals
		writeJSON(w, http.StatusInternalServerError, failure{ErrorCode: codeGeneral, ErrorDetails: err.Error()})
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	w.Header().Set("ETag", etag)
	if matches(r.Header.Get("If-None-Match"), etag) {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeBody(w, http.StatusOK, body)
}

// matches reports whether an If-None-Match header names etag, by weak
// comparison (RFC 9110, 13.1.2), or is "*".
func matches(header, etag string) bool {
	for header != "" {
		var tag string
		tag, header, _ = strings.Cut(header, ",")
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
