// Package schedule decides which tenant runs next, for herd migrate --all
// and for rollouts alike: jobs start in order, at most Limits.Concurrency
// at once and Limits.PerServer on one server, on a pool of workers that
// lives as long as the run, until a graceful stop (WithStop) or the
// caller's gate says no more. What a job is (a migration, a claimed rollout
// tenant under its lease) and when the caller stops (pause, abort, a
// failure budget, maintenance windows) stay with the caller.
package schedule
