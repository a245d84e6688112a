package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/herdhq/herd"
	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
	"github.com/herdhq/herd/dialect"
	"github.com/herdhq/herd/event"
	"github.com/herdhq/herd/router"
)

// clientRefresh is how often the clients' router reads the control
// database: the router's default, as an application would run it.
const clientRefresh = router.DefaultRefresh

// clientTail is how long the clients go on after the migration: a
// refresh of the router and a little more, so that they follow a switch
// to the shadow and the reader's first reads there are measured too.
const clientTail = clientRefresh + 500*time.Millisecond

// timeShadow runs one side of a shadow benchmark: it opens the fleet and
// a router, starts the reader (and, for the shadow side, the writer)
// through the router, times the migration, lets the clients run on for
// clientTail, stops them and checks the migrated tenant.
func timeShadow(ctx context.Context, j job, dialects []dialect.Dialect) (result, error) {
	sj := j.Shadow
	phases := &phaseSink{}
	cfg, err := config.Parse([]byte(j.Config), j.ConfigPath)
	if err != nil {
		return result{}, fmt.Errorf("bench: herd.yaml: %w", err)
	}
	f, err := herd.Open(ctx, cfg, dialects, herd.Options{Migrations: shadowMigrations(sj.Header), Actor: "bench", Events: phases})
	if err != nil {
		return result{}, fmt.Errorf("bench: herd: %w", err)
	}
	defer f.Close()
	rt, err := router.Open(ctx, cfg, dialects, router.Options{Refresh: clientRefresh})
	if err != nil {
		return result{}, fmt.Errorf("bench: router: %w", err)
	}
	defer rt.Close()
	d, err := tenantDialect(ctx, rt, dialects, sj.Code)
	if err != nil {
		return result{}, err
	}
	cctx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	reader := &client{rt: rt, code: sj.Code}
	var wg sync.WaitGroup
	wg.Go(func() { reader.read(cctx, d, sj.Rows) })
	var writer *client
	if j.Side == ByShadow {
		writer = &client{rt: rt, code: sj.Code}
		wg.Go(func() { writer.write(cctx, d, sj.Rows) })
	}
	section := func(ctx context.Context) error {
		if j.Side == ByShadow {
			return f.MigrateShadow(ctx, sj.Code, shadowTo)
		}
		return f.Migrate(ctx, control.TenantRef(sj.Code), shadowTo)
	}
	run, err := timeSection(ctx, j.CPUProfile, section)
	ended := time.Now()
	if err == nil {
		select {
		case <-time.After(clientTail):
		case <-ctx.Done():
		}
	}
	stopClients()
	wg.Wait()
	reader.close()
	res := result{Run: run, Reader: writerStats(reader.latencies, reader.errs), ReadMaxDuring: phases.during(reader.slowest, ended)}
	if err != nil {
		return res, fmt.Errorf("bench: %s: %w", j.Side, err)
	}
	if writer != nil {
		writer.close()
		res.ShadowWriter = ShadowWriterStats{WriterStats: writerStats(writer.latencies, writer.errs), Refused: writer.refused,
			Sealed: writer.sealed, Inserted: len(writer.inserted)}
		if res.Phases, err = phases.phases(); err != nil {
			return res, err
		}
	}
	var inserted []int64
	if writer != nil {
		inserted = writer.inserted
	}
	lost, err := checkMigrated(ctx, rt, d, sj, inserted)
	if err != nil || writer == nil {
		return res, err
	}
	for i := range lost {
		res.ShadowWriter.Lost++
		if writer.sentAt[i].Before(phases.switched) {
			res.ShadowWriter.LostBeforeSwitch++
		}
	}
	return res, nil
}

// tenantDialect is the dialect of the server that holds tenant code.
func tenantDialect(ctx context.Context, rt *router.Router, dialects []dialect.Dialect, code string) (dialect.Dialect, error) {
	t, err := rt.Resolve(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	d := dialect.Named(dialects, t.Engine)
	if d == nil {
		return nil, fmt.Errorf("bench: no dialect wired for engine %q", t.Engine)
	}
	return d, nil
}

// checkMigrated fails unless the tenant's current database, as the router
// finds it once refreshed, is at the target with every one of the first
// rows students backfilled exactly once; it returns the indexes in
// inserted (the keys the writer saw inserted) of the keys it lacks.
func checkMigrated(ctx context.Context, rt *router.Router, d dialect.Dialect, sj *shadowJob, inserted []int64) (lost []int, err error) {
	if err := rt.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	t, err := rt.Resolve(ctx, sj.Code)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if t.Version == nil || "v"+t.Version.String() != shadowTo {
		return nil, fmt.Errorf("bench: tenant %s is at %v after the migration, not %s", sj.Code, t.Version, shadowTo)
	}
	db, err := rt.OpenTenant(ctx, sj.Code)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	var rows, once int
	err = db.DB.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN touched = 1 THEN 1 ELSE 0 END), 0) FROM students WHERE id <= "+
		d.Placeholder(1), sj.Rows).Scan(&rows, &once)
	if err != nil {
		return nil, fmt.Errorf("bench: count the rows backfilled: %w", err)
	}
	if rows != sj.Rows || once != sj.Rows {
		return nil, fmt.Errorf("bench: tenant %s: %d of %d students backfilled exactly once (it holds %d)", sj.Code, once, sj.Rows, rows)
	}
	q, err := db.DB.QueryContext(ctx, "SELECT id FROM students WHERE id > "+d.Placeholder(1), sj.Rows)
	if err != nil {
		return nil, fmt.Errorf("bench: read the writer's rows: %w", err)
	}
	defer q.Close()
	present := map[int64]bool{}
	for q.Next() {
		var id int64
		if err := q.Scan(&id); err != nil {
			return nil, fmt.Errorf("bench: read the writer's rows: %w", err)
		}
		present[id] = true
	}
	if err := q.Err(); err != nil {
		return nil, fmt.Errorf("bench: read the writer's rows: %w", err)
	}
	for i, id := range inserted {
		if !present[id] {
			lost = append(lost, i)
		}
	}
	return lost, nil
}

// client reads or writes one tenant through the router every
// ClientInterval, as an application does: it keeps a pool on the tenant's
// database for as long as the router resolves the tenant there, and opens
// one on its new database when it moves. While the tenant is frozen and
// moving (router.Target.MovingTo), it opens a pool there in the
// background, which it takes when the router names that database.
type client struct {
	rt   *router.Router
	code string
	// db is the pool on the database (or schema) at.
	db *dialect.Database
	at string
	// warmAt is the database a pool is being opened on ahead of the
	// switch, which warm delivers (nil when it failed).
	warmAt string
	warm   chan *dialect.Database
	// latencies and errs are each statement's time, counted from the tick
	// (opening a pool included), and its failure.
	latencies []time.Duration
	errs      []error
	// slowest is when the slowest statement was sent.
	slowest time.Time
	// refused counts the writes not sent since the tenant was read-only,
	// sealed those its old database refused once it had moved;
	// inserted are the keys the writer saw inserted, sentAt when it sent
	// each.
	refused  int
	sealed   int
	inserted []int64
	sentAt   []time.Time
}

// pool returns the client's pool on the tenant's current database, and
// whether the router reports the tenant read-only.
func (c *client) pool(ctx context.Context) (*dialect.Database, bool, error) {
	t, err := c.rt.Resolve(ctx, c.code)
	if err != nil {
		return nil, false, err
	}
	at := t.Database + "/" + t.Schema
	if c.db == nil || at != c.at {
		db := c.warmed(at)
		if db == nil {
			if db, err = c.rt.OpenTenant(ctx, c.code); err != nil {
				return nil, false, err
			}
		}
		c.close()
		c.db, c.at = db, at
	}
	if t.MovingTo != "" && c.warmAt != t.MovingTo+"/" {
		c.dropWarm()
		c.warmAt, c.warm = t.MovingTo+"/", make(chan *dialect.Database, 1)
		go func(warm chan<- *dialect.Database) {
			db, err := c.rt.OpenMovingTo(ctx, c.code)
			if err != nil {
				db = nil
			}
			warm <- db
		}(c.warm)
	}
	return c.db, t.ReadOnly, nil
}

// warmed returns the pool opened ahead of the switch when it is on at and
// ready, and nil otherwise.
func (c *client) warmed(at string) *dialect.Database {
	if c.warm == nil || c.warmAt != at {
		return nil
	}
	select {
	case db := <-c.warm:
		c.warm, c.warmAt = nil, ""
		return db
	default:
		return nil
	}
}

// dropWarm closes the pool opened ahead of a switch, once it is ready.
func (c *client) dropWarm() {
	if c.warm == nil {
		return
	}
	go func(warm <-chan *dialect.Database) {
		if db := <-warm; db != nil {
			db.Close()
		}
	}(c.warm)
	c.warm, c.warmAt = nil, ""
}

// close releases the client's pools.
func (c *client) close() {
	c.dropWarm()
	if c.db != nil {
		c.db.Close()
		c.db = nil
	}
}

// every calls fn every ClientInterval until ctx ends, recording each
// call's time and error; fn reports false for a call it skipped.
func (c *client) every(ctx context.Context, fn func(ctx context.Context) (bool, error)) {
	tick := time.NewTicker(ClientInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		start := time.Now()
		sent, err := fn(ctx)
		if ctx.Err() != nil {
			return // stopped mid-statement: not a measurement
		}
		if !sent {
			continue
		}
		took := time.Since(start)
		if len(c.latencies) == 0 || took > slices.Max(c.latencies) {
			c.slowest = start
		}
		c.latencies = append(c.latencies, took)
		if err != nil {
			c.errs = append(c.errs, err)
		}
	}
}

// read reads a random student of the first rows every ClientInterval.
func (c *client) read(ctx context.Context, d dialect.Dialect, rows int) {
	q := "SELECT name, grade FROM students WHERE id = " + d.Placeholder(1)
	c.every(ctx, func(ctx context.Context) (bool, error) {
		db, _, err := c.pool(ctx)
		if err != nil {
			return true, err
		}
		var name string
		var grade int64
		return true, db.DB.QueryRowContext(ctx, q, rand.Int64N(int64(rows))+1).Scan(&name, &grade)
	})
}

// write, every ClientInterval, inserts a student after the first rows
// (rows+1, rows+2, …) or updates the grade of a random one of them, in
// turn, unless the router reports the tenant read-only: then it refuses
// the write, as an application that shows "back in a moment" does.
func (c *client) write(ctx context.Context, d dialect.Dialect, rows int) {
	insert := "INSERT INTO students (id, name, grade) VALUES (" + d.Placeholder(1) + ", 'written', 0)"
	update := "UPDATE students SET grade = grade + 1 WHERE id = " + d.Placeholder(1)
	next := int64(rows)
	c.every(ctx, func(ctx context.Context) (bool, error) {
		db, readOnly, err := c.pool(ctx)
		if err != nil {
			return true, err
		}
		if readOnly {
			c.refused++
			return false, nil
		}
		if len(c.latencies)%2 == 1 {
			_, err := db.DB.ExecContext(ctx, update, rand.Int64N(int64(rows))+1)
			return true, c.moved(ctx, err)
		}
		id, sent := next+1, time.Now()
		if _, err := db.DB.ExecContext(ctx, insert, id); err != nil {
			return true, c.moved(ctx, err)
		}
		next = id
		c.inserted, c.sentAt = append(c.inserted, id), append(c.sentAt, sent)
		return true, nil
	})
}

// moved returns err, unless it says that the tenant moved (router.Moved:
// its old database, sealed by the switch, refused the write): then it
// counts the write as refused by the seal and refreshes the router, as an
// application does to send the next write to the tenant's new database.
func (c *client) moved(ctx context.Context, err error) error {
	if !router.Moved(err) {
		return err
	}
	c.sealed++
	return c.rt.Refresh(ctx)
}

// phaseSink collects a shadow migration's phase events as they come.
type phaseSink struct {
	mu     sync.Mutex
	events []timedEvent
	// switched is when the switch's event came; set by phases.
	switched time.Time
}

// timedEvent is an event and when it came (with the monotonic clock).
type timedEvent struct {
	event.Event
	at time.Time
}

// Send implements event.Sink.
func (s *phaseSink) Send(e event.Event) {
	if !strings.HasPrefix(string(e.Type), "shadow.") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, timedEvent{Event: e, at: time.Now()})
}

// shadowPhaseEvents are the events that end the phases of a shadow
// migration, in order.
func shadowPhaseEvents() []event.Type {
	return []event.Type{event.ShadowCapture, event.ShadowCopy, event.ShadowCatchUp, event.ShadowFreeze, event.ShadowVerify, event.ShadowMigrate, event.ShadowSwitch}
}

// during names what was under way at t: the shadow migration's phase
// (the first whose event came after t), "wrap-up" after the last phase
// event (the capture removed from the old database, the session ended),
// "migration" for one that sent no phase events (in place), "after" once
// it ended (at ended).
func (s *phaseSink) during(t, ended time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !t.Before(ended) {
		return "after"
	}
	phased := false
	for _, e := range s.events {
		if !slices.Contains(shadowPhaseEvents(), e.Type) {
			continue
		}
		if e.at.After(t) {
			return strings.TrimPrefix(string(e.Type), "shadow.")
		}
		phased = true
	}
	if phased {
		return "wrap-up"
	}
	return "migration"
}

// phases reads the phases' times from the events: each phase's Duration
// (for the freeze, that of the try that took it), and the write freeze
// from the freeze's event to the switch's.
func (s *phaseSink) phases() (ShadowPhases, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p ShadowPhases
	var frozen, switched time.Time
	for _, e := range s.events {
		switch e.Type {
		case event.ShadowCapture:
			p.Capture = e.Duration
		case event.ShadowCopy:
			p.Copy = e.Duration
		case event.ShadowCatchUp:
			p.CatchUp = e.Duration
		case event.ShadowFreeze:
			p.FreezeTries++
			if e.Duration > 0 {
				p.Freeze, frozen = e.Duration, e.at
			}
		case event.ShadowVerify:
			p.Verify = e.Duration
		case event.ShadowMigrate:
			p.Migrate = e.Duration
		case event.ShadowSwitch:
			p.Switch, switched = e.Duration, e.at
		case event.ShadowAbandoned:
			return p, fmt.Errorf("bench: the shadow migration was abandoned: %s", e.Reason)
		}
	}
	if frozen.IsZero() || switched.IsZero() {
		return p, fmt.Errorf("bench: the shadow migration sent no freeze or no switch event (%d events)", len(s.events))
	}
	p.WriteFreeze, s.switched = switched.Sub(frozen), switched
	return p, nil
}
