package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/server"
)

// The API benchmark's defaults, and its goal.
const (
	DefaultAPITenants  = 10_000
	DefaultAPIRate     = 200
	DefaultAPIDuration = 10 * time.Second
	// APIGoal bounds the p99 of GET /api/v1/tenants?limit=100 at
	// DefaultAPIRate over DefaultAPITenants tenants (issue 20).
	APIGoal = 20 * time.Millisecond
)

// The two paths the API benchmark loads: the page of tenants it
// measures, and the floor, /healthz, which answers from memory.
const (
	APIPath   = "/api/v1/tenants?limit=100"
	FloorPath = "/healthz"
)

// APIReport is the outcome of RunAPI.
type APIReport struct {
	Engine  string `json:"engine"`
	Tenants int    `json:"tenants"`
	// Rate is the requests per second sent to each path, for Duration.
	Rate     int           `json:"rate"`
	Duration time.Duration `json:"duration_ns"`
	Runs     int           `json:"runs"`
	API      LoadReport    `json:"api"`
	Floor    LoadReport    `json:"floor"`
	// P99Ratios are each run's API p99 over its floor p99; P99Ratio is
	// their median.
	P99Ratios []float64 `json:"p99_ratios"`
	P99Ratio  float64   `json:"p99_ratio"`
	// Met says whether the API's median p99 is below APIGoal.
	Met bool `json:"met"`
}

// LoadReport is one path's figures over the runs: medians of each run's
// percentiles.
type LoadReport struct {
	Path string        `json:"path"`
	Runs []LoadStats   `json:"runs"`
	P50  time.Duration `json:"p50_ns"`
	P95  time.Duration `json:"p95_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
}

// LoadStats are one run's requests to one path: how many, how many
// failed (a transport error or a status other than 200), and the
// latencies of those that did not, from the request's send to its body's
// end.
type LoadStats struct {
	Requests   int           `json:"requests"`
	Errors     int           `json:"errors"`
	FirstError string        `json:"first_error,omitempty"`
	P50        time.Duration `json:"p50_ns"`
	P95        time.Duration `json:"p95_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
}

// RunAPI times herd serve's JSON API: it registers Options.Tenants
// tenants (default DefaultAPITenants) in a scratch control database on
// the engine, straight in the registry with a spread of versions (the API
// reads only the control database, so the tenants have no databases),
// serves herd serve's handler on a loopback listener, and for each of
// Options.Runs runs sends Options.Rate requests a second (default
// DefaultAPIRate) for Options.Duration (default DefaultAPIDuration) to
// APIPath and to FloorPath, one after the other, alternating which goes
// first. Requests leave on schedule whether or not earlier ones have
// answered. Invalid options are a *herd.InputError. It drops the control
// database before it returns.
func RunAPI(ctx context.Context, opts Options) (rep APIReport, err error) {
	opts, d, err := opts.checkAPI()
	if err != nil {
		return APIReport{}, err
	}
	env, err := newEnvironment(ctx, opts, d)
	if err != nil {
		return APIReport{}, err
	}
	defer env.close()
	s := &scratch{}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		err = errors.Join(err, s.drop(cctx))
	}()
	opts.Logger.Info("registering the tenants", "tenants", opts.Tenants)
	fleet, err := env.buildAPI(ctx, s)
	if err != nil {
		return APIReport{}, err
	}
	defer fleet.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return APIReport{}, fmt.Errorf("bench: listen: %w", err)
	}
	srv := &http.Server{Handler: server.New(fleet, server.Options{Logger: opts.Logger}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	defer srv.Shutdown(context.WithoutCancel(ctx))
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
	defer client.CloseIdleConnections()
	if err := checkAPIPage(ctx, client, base+APIPath); err != nil {
		return APIReport{}, err
	}

	rep = APIReport{Engine: opts.Engine, Tenants: opts.Tenants, Rate: opts.Rate, Duration: opts.Duration, Runs: opts.Runs,
		API: LoadReport{Path: APIPath}, Floor: LoadReport{Path: FloorPath}}
	for run := 1; run <= opts.Runs; run++ {
		sides := []*LoadReport{&rep.API, &rep.Floor}
		if run%2 == 0 {
			slices.Reverse(sides)
		}
		for _, side := range sides {
			opts.Logger.Info("loading", "run", run, "path", side.Path, "rate", opts.Rate, "for", opts.Duration)
			stats, err := load(ctx, client, base+side.Path, opts.Rate, opts.Duration)
			if err != nil {
				return rep, err
			}
			side.Runs = append(side.Runs, stats)
		}
		opts.Logger.Info("run done", "run", run, "of", opts.Runs, "api p99", rep.API.Runs[run-1].P99, "floor p99", rep.Floor.Runs[run-1].P99)
	}
	summarizeAPI(&rep)
	return rep, nil
}

// checkAPI validates opts for RunAPI and fills in the defaults.
func (opts Options) checkAPI() (Options, dialect.Dialect, error) {
	if opts.Tenants == 0 {
		opts.Tenants = DefaultAPITenants
	}
	if opts.Rate == 0 {
		opts.Rate = DefaultAPIRate
	}
	if opts.Duration == 0 {
		opts.Duration = DefaultAPIDuration
	}
	switch {
	case opts.Rate < 1 || opts.Rate > 10_000:
		return opts.refuse("rate must be 1 to 10000 requests a second, not %d", opts.Rate)
	case opts.Duration < time.Second || opts.Duration > time.Hour:
		return opts.refuse("duration must be 1s to 1h, not %s", opts.Duration)
	}
	return opts.check()
}

// buildAPI makes the scratch control database, registers the tenants in
// it and opens the fleet on it. Of every four tenants one was never
// migrated and the others are at the School ERP's three versions.
func (e *environment) buildAPI(ctx context.Context, s *scratch) (*herd.Fleet, error) {
	var controlDSN, herdDSN string
	if e.files != nil {
		dir := filepath.Join(e.dir, e.prefix+"_api")
		s.drops = append(s.drops, func(context.Context) error { return os.RemoveAll(dir) })
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		controlDSN, herdDSN = e.files.FileDSN(filepath.Join(dir, "control.db")), e.files.FileDSN(filepath.Join(dir, "tenants"))
	} else {
		name, srv := e.prefix+"_api_control", e.server
		s.drops = append(s.drops, func(ctx context.Context) error { return srv.Drop(ctx, name) })
		if err := srv.Create(ctx, name); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		u, err := url.Parse(e.opts.DSN)
		if err != nil {
			return nil, fmt.Errorf("bench: dsn: %w", err)
		}
		u.Path = "/" + name
		controlDSN, herdDSN = u.String(), e.opts.DSN
	}
	yaml := fmt.Appendf(nil, "control: %q\nservers:\n  main: %q\ntenant_database: %s_{code}\nmigrations: ./migrations\n",
		controlDSN, herdDSN, e.prefix)
	f, err := openFleet(ctx, yaml, filepath.Join(e.dir, "herd.yaml"), e.opts.Dialects)
	if err != nil {
		return nil, err
	}
	if err := e.register(ctx, controlDSN); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// register adds the tenants to the registry of the control database at
// dsn, with their versions, and refreshes the engine's statistics of it.
func (e *environment) register(ctx context.Context, dsn string) error {
	srv, err := e.d.OpenServer(ctx, dialect.ServerConfig{Name: "control", DSN: dsn})
	if err != nil {
		return fmt.Errorf("bench: control: %w", err)
	}
	defer srv.Close()
	db, err := srv.Control(ctx)
	if err != nil {
		return fmt.Errorf("bench: control: %w", err)
	}
	defer db.Close()
	store, err := control.Open(ctx, e.d, db, nil)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	versions := []string{"", "1.0.0", "1.1.0", "2.0.0"}
	now := time.Now()
	err = each(ctx, e.opts.Tenants, 8, func(i int) error {
		code := fmt.Sprintf("t%05d", i+1)
		tn := control.Tenant{Code: code, Name: fmt.Sprintf("School %d", i+1), Tier: []string{"basic", "gold"}[i%2], Server: "main",
			Database: e.prefix + "_" + code, Tags: []string{}, CreatedAt: now}
		if err := store.AddTenant(ctx, tn); err != nil {
			return fmt.Errorf("bench: register %s: %w", code, err)
		}
		if v := versions[i%len(versions)]; v != "" {
			return store.Sync(ctx, control.TenantRef(code), v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// As herd tenant import does: the planner plans for the tenants
	// registered, not for the empty registry before them.
	return store.RefreshStatistics(ctx)
}

// checkAPIPage fetches the page the benchmark loads once, and fails
// unless it is a full page of tenants.
func checkAPIPage(ctx context.Context, client *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("bench: %s: %w", u, err)
	}
	defer resp.Body.Close()
	var page herd.TenantPage
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK || len(page.Tenants) != 100 {
		return fmt.Errorf("bench: %s: status %d, %d tenants, not a page of 100 (%v)", u, resp.StatusCode, len(page.Tenants), err)
	}
	return nil
}

// load sends rate requests a second to u for d, each on schedule in its
// own goroutine, and returns their figures once every one has answered.
func load(ctx context.Context, client *http.Client, u string, rate int, d time.Duration) (LoadStats, error) {
	n := int(float64(rate) * d.Seconds())
	every := time.Second / time.Duration(rate)
	latencies := make([]time.Duration, n)
	failures := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * every)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				wg.Wait()
				return LoadStats{}, ctx.Err()
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			latencies[i], failures[i] = get(ctx, client, u)
		}()
	}
	wg.Wait()
	s := LoadStats{Requests: n}
	var ok []time.Duration
	for i, err := range failures {
		if err != nil {
			if s.Errors++; s.FirstError == "" {
				s.FirstError = err.Error()
			}
			continue
		}
		ok = append(ok, latencies[i])
	}
	slices.Sort(ok)
	if len(ok) > 0 {
		s.P50, s.P95, s.P99, s.Max = percentile(ok, 0.50), percentile(ok, 0.95), percentile(ok, 0.99), ok[len(ok)-1]
	}
	return s, nil
}

// get requests u and reads its body to the end, returning how long that
// took.
func get(ctx context.Context, client *http.Client, u string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: status %d", u, resp.StatusCode)
	}
	return took, nil
}

// summarizeAPI fills the medians, the ratios and the goal of r from its
// runs.
func summarizeAPI(r *APIReport) {
	for _, s := range []*LoadReport{&r.API, &r.Floor} {
		var p50, p95, p99, most []time.Duration
		for _, run := range s.Runs {
			p50, p95, p99, most = append(p50, run.P50), append(p95, run.P95), append(p99, run.P99), append(most, run.Max)
		}
		s.P50, s.P95, s.P99, s.Max = median(p50), median(p95), median(p99), median(most)
	}
	r.P99Ratios = make([]float64, min(len(r.API.Runs), len(r.Floor.Runs)))
	for i := range r.P99Ratios {
		r.P99Ratios[i] = ratio(r.API.Runs[i].P99, r.Floor.Runs[i].P99)
	}
	r.P99Ratio = medianFloat(r.P99Ratios)
	r.Met = r.API.P99 > 0 && r.API.P99 < APIGoal
	for _, s := range []LoadReport{r.API, r.Floor} {
		for _, run := range s.Runs {
			if run.Errors > 0 {
				r.Met = false
			}
		}
	}
}
