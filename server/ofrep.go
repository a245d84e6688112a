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

// metadata is the flag metadata of an evaluation: strings only, as OFREP
// allows.
type metadata struct {
	HerdReason      flags.Reason `json:"herdReason"`
	Detail          string       `json:"detail"`
	RequiredVersion string       `json:"requiredVersion,omitempty"`
	TenantVersion   string       `json:"tenantVersion,omitempty"`
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
}

// evaluate turns a result into OFREP's form.
func evaluate(fl config.Flag, t flags.Tenant, o flags.Override) evaluation {
	res := flags.Evaluate(fl, t, o)
	e := evaluation{
		Key:      fl.Name,
		Value:    res.Enabled,
		Reason:   ofrepReason(fl, res.Reason),
		Variant:  "off",
		Metadata: metadata{HerdReason: res.Reason, Detail: res.Detail()},
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
func (s *server) snapshot(w http.ResponseWriter, r *http.Request) (*flags.Snapshot, bool) {
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
	fl, ok := snap.Flag(key)
	if !ok {
		writeJSON(w, http.StatusNotFound, failure{Key: key, ErrorCode: codeFlagNotFound,
			ErrorDetails: fmt.Sprintf("flag %q is not declared in herd.yaml", key)})
		return
	}
	t, status, fail := tenantOf(w, r, snap)
	if fail != nil {
		fail.Key = key
		writeJSON(w, status, fail)
		return
	}
	writeJSON(w, http.StatusOK, evaluate(fl, t, snap.Override(fl.Name, t.Code)))
}

// evaluateFlags serves POST /ofrep/v1/evaluate/flags: every flag for one
// tenant, with an ETag.
func (s *server) evaluateFlags(w http.ResponseWriter, r *http.Request) {
	snap, ok := s.snapshot(w, r)
	if !ok {
		return
	}
	t, status, fail := tenantOf(w, r, snap)
	if fail != nil {
		writeJSON(w, status, fail)
		return
	}
	all := snap.Flags()
	out := bulkEvaluation{Flags: make([]evaluation, len(all))}
	for i, fl := range all {
		out.Flags[i] = evaluate(fl, t, snap.Override(fl.Name, t.Code))
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
