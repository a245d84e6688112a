package bench

import (
	"slices"
	"time"
)

// median returns the middle value of ds (the mean of the two middle values
// when there is an even number), or 0 for none. ds is not modified.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// medianFloat is median for plain numbers.
func medianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// ratio is a / b, or 0 when b is not positive.
func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// perSecond is how many tenants per second n tenants in wall make, or 0.
func perSecond(n int, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return float64(n) / wall.Seconds()
}

// summarize fills the figures of a report from the runs' measurements:
// each side's median wall time and tenants per second, the ratio of every
// run, their median, the ratio of the medians and that of the mean CPU
// times.
func summarize(r *Report) {
	for _, s := range []*SideReport{&r.Herd, &r.Floor} {
		walls := make([]time.Duration, len(s.Runs))
		s.PeakRSS, s.CPU = 0, 0
		var writes int64
		for i, run := range s.Runs {
			walls[i] = run.Wall
			s.PeakRSS = max(s.PeakRSS, run.PeakRSS)
			s.CPU += run.CPU
			writes += run.WriteCalls
		}
		s.Median = median(walls)
		s.TenantsPerSecond = perSecond(r.Tenants, s.Median)
		s.WritesPerTenant = 0
		if len(s.Runs) > 0 && r.Tenants > 0 {
			s.CPU /= time.Duration(len(s.Runs))
			s.WritesPerTenant = float64(writes) / float64(len(s.Runs)) / float64(r.Tenants)
		}
	}
	n := min(len(r.Herd.Runs), len(r.Floor.Runs))
	r.RunRatios = make([]float64, n)
	for i := range n {
		r.RunRatios[i] = ratio(r.Herd.Runs[i].Wall, r.Floor.Runs[i].Wall)
	}
	r.Ratio = medianFloat(r.RunRatios)
	r.RatioOfMedians = ratio(r.Herd.Median, r.Floor.Median)
	r.CPURatio = ratio(r.Herd.CPU, r.Floor.CPU)
}
