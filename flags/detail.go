package flags

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/Masterminds/semver/v3"
)

// Detail says in words why the result is what it is, for people: "tenant
// at 1.1.0 is below the required 2.0.0", "bucket 17 is within the 25%
// rollout". Its wording may change; branch on Reason, not on Detail. It
// formats on every call, and allocates when the words carry a version, a
// tier or a bucket; AppendDetail writes them into a buffer of the
// caller's instead.
func (r Result) Detail() string {
	if words, ok := r.fixedDetail(); ok {
		return words
	}
	var buf [128]byte
	return string(r.AppendDetail(buf[:0]))
}

// fixedDetail returns Detail's words when they carry no parameter.
func (r Result) fixedDetail() (string, bool) {
	switch r.Reason {
	case ReasonOverrideOn:
		return "turned on for this tenant by an override", true
	case ReasonOverrideOff:
		return "turned off for this tenant by an override", true
	case ReasonBeta:
		return "tenant is a beta tenant", true
	case ReasonVersionGate:
		if r.Version == nil {
			return "tenant has no schema version", true
		}
	}
	return "", false
}

// AppendDetail appends Detail's words to b and returns the extended
// buffer. It allocates only when b lacks the room.
func (r Result) AppendDetail(b []byte) []byte {
	if words, ok := r.fixedDetail(); ok {
		return append(b, words...)
	}
	switch r.Reason {
	case ReasonVersionGate:
		b = append(b, "tenant at "...)
		b = appendVersion(b, r.Version)
		if r.RequiredVersion == nil { // not reachable from Evaluate
			return append(b, " is below the required version"...)
		}
		b = append(b, " is below the required "...)
		return appendVersion(b, r.RequiredVersion)
	case ReasonTier:
		if r.Tier == "" {
			b = append(b, "tenant has no tier; the flag is for "...)
		} else {
			b = append(b, "tier "...)
			b = append(b, r.Tier...)
			b = append(b, " is not one of "...)
		}
		for i, tier := range r.EnabledFor {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, tier...)
		}
		return b
	case ReasonPercentageOn, ReasonPercentageOff:
		b = append(b, "bucket "...)
		b = strconv.AppendInt(b, int64(r.Bucket), 10)
		if r.Enabled {
			b = append(b, " is within the "...)
		} else {
			b = append(b, " is beyond the "...)
		}
		if pc := r.Percentage; pc == math.Trunc(pc) && math.Abs(pc) < 1e15 {
			b = strconv.AppendInt(b, int64(pc), 10) // what config allows, and faster
		} else {
			b = strconv.AppendFloat(b, pc, 'f', -1, 64)
		}
		return append(b, "% rollout"...)
	}
	return b
}

// resultJSON is the JSON form of a Result: its answer and Detail's words,
// as a Result with a Detail field marshalled before the words were made
// on demand.
type resultJSON struct {
	Flag    string
	Tenant  string
	Enabled bool
	Reason  Reason
	Detail  string
}

// MarshalJSON writes the result as {"Flag", "Tenant", "Enabled", "Reason",
// "Detail"}: the answer, and the words of Detail rather than the
// parameters they are made of.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{Flag: r.Flag, Tenant: r.Tenant, Enabled: r.Enabled, Reason: r.Reason, Detail: r.Detail()})
}

// appendVersion appends v as semver writes it (1.2.3-dev+build), without
// the allocation of v.String.
func appendVersion(b []byte, v *semver.Version) []byte {
	b = strconv.AppendUint(b, v.Major(), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.Minor(), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.Patch(), 10)
	if pre := v.Prerelease(); pre != "" {
		b = append(b, '-')
		b = append(b, pre...)
	}
	if meta := v.Metadata(); meta != "" {
		b = append(b, '+')
		b = append(b, meta...)
	}
	return b
}
