package auth

import (
	"sync"
	"time"
)

// Limiter counts failed attempts per key (a username, a client address) in
// a sliding window and refuses further attempts once a key has Max failures
// in the last Window. It lives in memory: each server replica counts its
// own, which bounds guessing to Max × replicas per Window.
type Limiter struct {
	Max    int           // failures allowed per Window
	Window time.Duration // how far back failures count
	Now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time // per key, oldest first
	pending  map[string]int         // per key, attempts reserved and not yet done
	refused  map[string]bool        // keys refused since their failures last emptied
}

// maxKeys bounds the keys kept between timed prunes (PruneAll) under a
// spray of distinct keys: past it, every Fail prunes all keys first.
const maxKeys = 100_000

// Reserve is Allow for an attempt about to be made: it also counts the
// attempt as a failure until Done says otherwise, so that attempts made at
// once (while earlier ones are still being checked) can't go past Max.
// When it refuses (wait > 0), first says whether this is the key's first
// refusal since it was last let through, so that callers can record a
// lockout once rather than every refused attempt.
func (l *Limiter) Reserve(key string) (wait time.Duration, first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := l.wait(l.prune(key), l.pending[key]); wait > 0 {
		if l.refused == nil {
			l.refused = map[string]bool{}
		}
		first := !l.refused[key]
		l.refused[key] = true
		return wait, first
	}
	if l.pending == nil {
		l.pending = map[string]int{}
	}
	l.pending[key]++
	return 0, false
}

// Done ends an attempt Reserve let through, recording it as a failure or not.
func (l *Limiter) Done(key string, failed bool) {
	l.mu.Lock()
	if l.pending[key] > 1 {
		l.pending[key]--
	} else {
		delete(l.pending, key)
	}
	l.mu.Unlock()
	if failed {
		l.Fail(key)
	}
}

// Allow returns 0 when key may try again, else how long until it may.
func (l *Limiter) Allow(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wait(l.prune(key), 0)
}

// wait is how long until a key with failures fs and pending attempts under
// way may try again: 0 while they stay under Max, else until enough failures
// leave the window (at least a second: the attempts under way may free it).
func (l *Limiter) wait(fs []time.Time, pending int) time.Duration {
	if len(fs)+pending < l.Max {
		return 0
	}
	if len(fs) < l.Max {
		return time.Second
	}
	return max(fs[len(fs)-l.Max].Add(l.Window).Sub(l.now()), time.Second)
}

// Fail records a failed attempt for key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failures == nil {
		l.failures = map[string][]time.Time{}
	}
	if len(l.failures) > maxKeys { // bound memory under a spray of keys
		l.pruneAll()
	}
	l.failures[key] = append(l.prune(key), l.now())
}

// Reset forgets key's failures, e.g. after a successful login.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
	delete(l.refused, key)
}

// prune drops key's failures older than the window and returns the rest.
func (l *Limiter) prune(key string) []time.Time {
	fs := l.failures[key]
	cut := l.now().Add(-l.Window)
	i := 0
	for i < len(fs) && !fs[i].After(cut) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
		if l.pending[key] == 0 {
			delete(l.refused, key)
		}
		return nil
	}
	l.failures[key] = fs
	return fs
}

// PruneAll forgets every failure that has left the window, and the keys
// left without any. The server calls it on a timer, so that keys tried once
// (a spray of made-up usernames) don't stay in memory until maxKeys.
func (l *Limiter) PruneAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruneAll()
}

// Keys is how many keys the limiter holds state for (tests and metrics).
func (l *Limiter) Keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.failures) + len(l.pending) + len(l.refused)
}

func (l *Limiter) pruneAll() {
	for k := range l.failures {
		l.prune(k)
	}
	for k := range l.refused {
		if len(l.failures[k]) == 0 && l.pending[k] == 0 {
			delete(l.refused, k)
		}
	}
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
