package schedule

import "context"

// Limits bound how many jobs run at once.
type Limits struct {
	// Concurrency is the most jobs running at once; less than 1 means 1.
	Concurrency int
	// PerServer is the most jobs running at once on one server; less than
	// 1 means no cap beyond Concurrency.
	PerServer int
	// Large is the most large jobs (see Pool.Large) running at once,
	// beside the others; less than 1 means no cap beyond Concurrency.
	Large int
}

// Pool runs jobs of type T. Work is the only one of its functions called
// off the goroutine of Pool.Run.
type Pool[T any] struct {
	Limits Limits
	// Server names the server a job runs on, for Limits.PerServer; nil
	// puts every job on one unnamed server.
	Server func(T) string
	// Large, if set, says which jobs are large, for Limits.Large; nil
	// makes none large.
	Large func(T) bool
	// Gate, if set, is asked before each job starts, once a worker and its
	// server have room: false starts no other job. It runs on Pool.Run's
	// goroutine, after Done heard of every job that had ended.
	Gate func(T) bool
	// Work runs one job, on a worker goroutine.
	Work func(ctx context.Context, job T)
	// Done, if set, hears of each job once Work returned, on Pool.Run's
	// goroutine.
	Done func(T)
}

// Run runs jobs, in order as far as the limits allow: it starts the first
// job whose server (and, for a large job, whose class) has room, so a full
// server or enough large jobs do not hold up the others; with nothing running the first always starts. Once ctx's
// graceful stop is requested (see WithStop) or Gate says no, it starts no
// other job. It waits for the jobs it started and returns those it did not
// start, in order. Cancelling ctx is for Work to honour.
func (p *Pool[T]) Run(ctx context.Context, jobs []T) (unstarted []T) {
	concurrency := max(p.Limits.Concurrency, 1)
	workers := min(concurrency, len(jobs))
	work, ended := make(chan T), make(chan T, len(jobs))
	for range workers {
		// Workers, not a goroutine per job: a goroutine per job would grow
		// a new stack to the engine driver's depth each time.
		go func() {
			for job := range work {
				p.Work(ctx, job)
				ended <- job
			}
		}()
	}
	defer close(work)
	var (
		pending   = jobs
		inFlight  int
		perServer = map[string]int{}
		large     int // large jobs in flight
	)
	end := func(job T) {
		inFlight--
		perServer[p.server(job)]--
		if p.large(job) {
			large--
		}
		if p.Done != nil {
			p.Done(job)
		}
	}
	for len(pending) > 0 {
		// Hear of what has ended first, so that the gate sees it.
		for drained := false; !drained; {
			select {
			case job := <-ended:
				end(job)
			default:
				drained = true
			}
		}
		i := p.startable(pending, perServer, inFlight, large, concurrency)
		if i < 0 {
			end(<-ended)
			continue
		}
		job := pending[i]
		if Stopping(ctx) || (p.Gate != nil && !p.Gate(job)) {
			break
		}
		pending = append(pending[:i:i], pending[i+1:]...)
		inFlight++
		perServer[p.server(job)]++
		if p.large(job) {
			large++
		}
		work <- job
	}
	for inFlight > 0 {
		end(<-ended)
	}
	return pending
}

func (p *Pool[T]) server(job T) string {
	if p.Server == nil {
		return ""
	}
	return p.Server(job)
}

func (p *Pool[T]) large(job T) bool {
	return p.Large != nil && p.Large(job)
}

// startable returns the index of the first pending job that may start
// with inFlight jobs running, perServer of them on each server and large
// of them large, or -1.
func (p *Pool[T]) startable(pending []T, perServer map[string]int, inFlight, large, concurrency int) int {
	if inFlight == 0 {
		return 0
	}
	if inFlight >= concurrency {
		return -1
	}
	for i, job := range pending {
		if p.Limits.PerServer >= 1 && perServer[p.server(job)] >= p.Limits.PerServer {
			continue
		}
		if p.Limits.Large >= 1 && p.large(job) && large >= p.Limits.Large {
			continue
		}
		return i
	}
	return -1
}
