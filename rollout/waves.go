package rollout

import (
	"hash/fnv"
	"math"
	"slices"
	"sort"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
)

// assignment is a tenant's place in a rollout.
type assignment struct {
	tenant   control.Tenant
	wave     int
	waveName string
	position int
}

// assignWaves places each tenant in the first wave that selects it, in
// the configured order: explicit codes (the canary or beta tenants), tiers,
// size classes (size returns a tenant's), a stable percentage of the
// tenants still left, and a last wave without a selector that takes the
// rest. Tenants no wave selects join a final wave "rest". With no waves
// configured there is one wave, "all".
func assignWaves(waves []config.Wave, tenants []control.Tenant, size func(control.Tenant) config.SizeClass) []assignment {
	if len(waves) == 0 {
		waves = []config.Wave{{Name: "all"}}
	}
	left := slices.Clone(tenants)
	var out []assignment
	place := func(wave int, name string, chosen []control.Tenant) {
		for i, t := range chosen {
			out = append(out, assignment{tenant: t, wave: wave, waveName: name, position: i})
		}
	}
	for i, w := range waves {
		var chosen, rest []control.Tenant
		switch {
		case len(w.Tenants) > 0:
			chosen, rest = split(left, func(t control.Tenant) bool { return slices.Contains(w.Tenants, t.Code) })
		case len(w.Tiers) > 0:
			chosen, rest = split(left, func(t control.Tenant) bool { return slices.Contains(w.Tiers, t.Tier) })
		case len(w.Sizes) > 0:
			chosen, rest = split(left, func(t control.Tenant) bool { return slices.Contains(w.Sizes, size(t)) })
		case w.Percent > 0:
			chosen, rest = percent(left, w.Percent)
		default:
			chosen, rest = left, nil
		}
		place(i, w.Name, chosen)
		left = rest
	}
	if len(left) > 0 {
		place(len(waves), "rest", left)
	}
	return out
}

func split(ts []control.Tenant, keep func(control.Tenant) bool) (chosen, rest []control.Tenant) {
	for _, t := range ts {
		if keep(t) {
			chosen = append(chosen, t)
		} else {
			rest = append(rest, t)
		}
	}
	return chosen, rest
}

// percent picks round(p% of len(ts)) tenants by a stable hash of their
// codes, so a rollout over the same tenants picks the same ones.
func percent(ts []control.Tenant, p float64) (chosen, rest []control.Tenant) {
	n := int(math.Round(float64(len(ts)) * p / 100))
	ranked := slices.Clone(ts)
	sort.SliceStable(ranked, func(i, j int) bool { return rank(ranked[i].Code) < rank(ranked[j].Code) })
	pick := map[string]bool{}
	for _, t := range ranked[:n] {
		pick[t.Code] = true
	}
	return split(ts, func(t control.Tenant) bool { return pick[t.Code] })
}

func rank(code string) uint32 {
	h := fnv.New32a()
	h.Write([]byte("herd-wave:" + code))
	return h.Sum32()
}
