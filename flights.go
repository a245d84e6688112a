package herd

import "sync"

// flights does work once per key for a Fleet however many callers ask for
// it at once, and keeps its result; work that fails is done again by the
// next caller. Its zero value is ready to use.
type flights[T any] struct {
	mu    sync.Mutex
	calls map[string]*flight[T]
}

type flight[T any] struct {
	done  chan struct{}
	value T
	err   error
}

// do returns the result of work for key, doing it unless another caller
// has done it or is doing it.
func (f *flights[T]) do(key string, work func() (T, error)) (T, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flight[T]{}
	}
	c, ok := f.calls[key]
	if !ok {
		c = &flight[T]{done: make(chan struct{})}
		f.calls[key] = c
	}
	f.mu.Unlock()
	if ok {
		<-c.done
		return c.value, c.err
	}
	c.value, c.err = work()
	if c.err != nil {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
	}
	close(c.done)
	return c.value, c.err
}
