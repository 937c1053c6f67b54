package notifications

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
)

// Defaults of the Dispatcher's timings.
const (
	DefaultRetryBase   = 5 * time.Second // the wait after the first failure; it doubles each time
	DefaultMaxBackoff  = 5 * time.Minute
	DefaultMaxAttempts = 6
	DefaultTimeout     = 10 * time.Second // one HTTP attempt
	DefaultPoll        = time.Second      // how often due deliveries are looked for
	DefaultSweep       = 30 * time.Second // how often every job is looked at, changes or not
	// deletedWindow is how far back a sweep looks for deleted jobs: a
	// deletion seen by no replica for longer is not notified.
	deletedWindow = 10 * time.Minute
	// maxErrorLen bounds the error text kept in the delivery log.
	maxErrorLen = 300
	// Finished deliveries are kept 30 days, the events of a deleted job 7
	// (a receiver down for days still gets the "deleted"); pruned hourly.
	keepDone, keepDeleted, pruneEvery = 30 * 24 * time.Hour, 7 * 24 * time.Hour, time.Hour
)

// Dispatcher finds job events and delivers them. Run it on every replica:
// the outbox in the store makes sure each event is recorded and delivered
// once.
type Dispatcher struct {
	Store    *store.Store
	Jobs     *release.Service
	Clusters *cluster.Manager
	// Keyring opens the subscriptions' sealed secrets.
	Keyring *cluster.Keyring
	// Owner names this replica in delivery leases; it must differ between replicas.
	Owner  string
	Logger *slog.Logger
	// Client sends the deliveries; nil means one with Timeout that follows no redirects.
	Client *http.Client
	// Zero values mean the defaults above; Lease, Timeout + 20 s.
	RetryBase, MaxBackoff, Timeout, Poll, Sweep, Lease time.Duration
	MaxAttempts                                        int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Attempted, when set, is told the outcome of each attempt recorded
	// (store.AttemptDelivered, AttemptRetrying, AttemptFailed): the metrics.
	Attempted func(outcome string)

	once   sync.Once
	wake   chan struct{}
	client *http.Client
	// seen holds the keys this replica knows are in the outbox, so that a
	// job sitting in one state costs no write at every change and sweep.
	mu   sync.Mutex
	seen map[string]bool
}

func (d *Dispatcher) init() {
	d.once.Do(func() {
		d.wake = make(chan struct{}, 1)
		d.client = d.Client
		if d.client == nil {
			d.client = &http.Client{
				Timeout: or(d.Timeout, DefaultTimeout),
				// A redirect could lead the server anywhere: the receiver must answer itself.
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}
		}
	})
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// Run watches for events and delivers them until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	d.init()
	var wg sync.WaitGroup
	wg.Go(func() { d.watch(ctx) })
	wg.Go(func() { d.send(ctx) })
	wg.Wait()
}
