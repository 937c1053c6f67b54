package notifications

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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

	once   sync.Once
	wake   chan struct{}
	client *http.Client
	// seen holds the keys this replica knows are in the outbox, so that a
	// job sitting in one state costs no write at every change and sweep.
	mu   sync.Mutex
	seen map[string]bool
}

// maxSeen bounds the seen cache; past it the cache starts afresh (the
// outbox's UNIQUE key still keeps each event once).
const maxSeen = 100_000

func (d *Dispatcher) known(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seen[key]
}

func (d *Dispatcher) remember(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil || len(d.seen) >= maxSeen {
		d.seen = map[string]bool{}
	}
	d.seen[key] = true
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

// watch looks at the jobs of every namespace the informers report a change
// in, and at every job each Sweep (a replica that was down catches up, and
// changes another replica made to job records arrive through RelayChanges).
func (d *Dispatcher) watch(ctx context.Context) {
	var mu sync.Mutex
	pending := map[cluster.Change]bool{}
	signal, stop := d.Clusters.Changes.Subscribe(func(c cluster.Change) bool {
		mu.Lock()
		pending[c] = true
		mu.Unlock()
		return true
	})
	defer stop()
	sweep := time.NewTicker(or(d.Sweep, DefaultSweep))
	defer sweep.Stop()
	d.ScanAll(ctx)
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			d.ScanAll(ctx)
			if now := d.now(); now.Sub(pruned) > pruneEvery {
				pruned = now
				if err := d.Store.PruneNotifications(ctx, now.Add(-keepDone), now.Add(-keepDeleted)); err != nil && ctx.Err() == nil {
					d.log().Warn("notifications: prune", "err", err)
				}
			}
		case <-signal:
			mu.Lock()
			batch := pending
			pending = map[cluster.Change]bool{}
			mu.Unlock()
			for c := range batch {
				d.scanNamespace(ctx, c)
			}
			d.scanDeleted(ctx)
		}
	}
}

// ScanAll looks at every live job and every job deleted lately, and records
// the events they show.
func (d *Dispatcher) ScanAll(ctx context.Context) {
	d.scan(ctx, store.JobFilter{})
	d.scanDeleted(ctx)
}

func (d *Dispatcher) scanNamespace(ctx context.Context, c cluster.Change) {
	cl, err := d.Store.GetCluster(ctx, c.ClusterID)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, store.ErrNotFound) {
			d.log().Warn("notifications: read cluster", "cluster_id", c.ClusterID, "err", err)
		}
		return
	}
	d.scan(ctx, store.JobFilter{Cluster: cl.Name, Namespace: c.Namespace})
}

// scan records the events of the live jobs f selects.
func (d *Dispatcher) scan(ctx context.Context, f store.JobFilter) {
	f.States, f.Limit, f.Sort = []string{store.JobActive}, 500, "created"
	for {
		views, total, err := d.Jobs.List(ctx, f)
		if err != nil {
			if ctx.Err() == nil {
				d.log().Warn("notifications: list jobs", "err", err)
			}
			return
		}
		for _, v := range views {
			d.record(ctx, v.Job, v, d.rollout(ctx, v.Job))
		}
		f.Offset += len(views)
		if len(views) == 0 || f.Offset >= total {
			return
		}
	}
}

func (d *Dispatcher) scanDeleted(ctx context.Context) {
	jobs, err := d.Store.JobsDeletedSince(ctx, d.now().Add(-deletedWindow))
	if err != nil {
		if ctx.Err() == nil {
			d.log().Warn("notifications: list deleted jobs", "err", err)
		}
		return
	}
	for _, j := range jobs {
		d.record(ctx, j, release.View{Job: j}, nil)
	}
}

// rollout reads a job's Rollout from the informer cache; nil when it can't.
func (d *Dispatcher) rollout(ctx context.Context, job store.Job) *unstructured.Unstructured {
	conn, err := d.Clusters.Conn(ctx, job.ClusterID)
	if err != nil {
		return nil
	}
	ro, err := conn.Rollout(ctx, job.Namespace, job.Name)
	if err != nil {
		return nil
	}
	return ro
}

// record adds the events a job shows to the outbox and wakes the sender when
// one is new.
func (d *Dispatcher) record(ctx context.Context, job store.Job, v release.View, ro *unstructured.Unstructured) {
	now := d.now()
	fresh := false
	for _, e := range Detect("", job, v, ro, now) {
		fresh = fresh || !d.known(e.Key)
	}
	if !fresh {
		return // the usual case: nothing new since the last look
	}
	ws, err := d.Store.GetWorkspace(ctx, job.WorkspaceID)
	if err != nil {
		return // deleted with its jobs
	}
	for _, e := range Detect(ws.Name, job, v, ro, now) {
		if d.known(e.Key) {
			continue
		}
		payload, err := json.Marshal(e)
		if err != nil {
			continue
		}
		created, err := d.Store.RecordEvent(ctx, store.NotificationEvent{Key: e.Key, WorkspaceID: job.WorkspaceID, JobID: job.ID,
			Kind: string(e.Kind), Payload: string(payload)})
		if err != nil {
			if ctx.Err() == nil {
				d.log().Warn("notifications: record event", "key", e.Key, "err", err)
			}
			continue
		}
		d.remember(e.Key)
		if created {
			d.log().Info("notification event", "key", e.Key, "job", job.Name, "event", e.Kind)
			d.Wake()
		}
	}
}

// Wake makes the sender look for due deliveries now.
func (d *Dispatcher) Wake() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// send delivers due deliveries until ctx ends.
func (d *Dispatcher) send(ctx context.Context) {
	t := time.NewTicker(or(d.Poll, DefaultPoll))
	defer t.Stop()
	for {
		for d.SendDue(ctx) > 0 && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// sendBatch is how many deliveries one SendDue claims at most.
const sendBatch = 10

// SendDue claims the deliveries due now and makes one attempt at each; it
// returns how many it claimed.
func (d *Dispatcher) SendDue(ctx context.Context) int {
	d.init()
	lease := or(d.Lease, or(d.Timeout, DefaultTimeout)+20*time.Second)
	ds, err := d.Store.ClaimDeliveries(ctx, d.Owner, lease, sendBatch)
	if err != nil && ctx.Err() == nil {
		d.log().Warn("notifications: claim deliveries", "err", err)
	}
	var wg sync.WaitGroup
	for _, del := range ds {
		wg.Go(func() { d.attempt(ctx, del) })
	}
	wg.Wait()
	return len(ds)
}

// attempt makes one try at a delivery and records it.
func (d *Dispatcher) attempt(ctx context.Context, del store.Delivery) {
	var e Event
	_ = json.Unmarshal([]byte(del.Event.Payload), &e)
	a := store.Attempt{SubscriptionID: del.Subscription.ID, DeliveryID: del.ID, EventKind: del.Event.Kind, JobName: e.Job,
		Attempt: del.Attempts + 1, AttemptedAt: d.now()}
	start := time.Now()
	a.StatusCode, a.Error = d.post(ctx, del, e)
	a.Duration = time.Since(start)
	retryAt := d.now()
	switch {
	case a.Error == "":
		a.Outcome = store.AttemptDelivered
	case a.Attempt >= d.maxAttempts():
		a.Outcome = store.AttemptFailed
	default:
		a.Outcome = store.AttemptRetrying
		retryAt = retryAt.Add(d.backoff(a.Attempt))
	}
	if ctx.Err() != nil {
		return // shutting down: the lease ends and another try follows
	}
	if err := d.Store.FinishAttempt(ctx, d.Owner, a, retryAt); err != nil {
		d.log().Warn("notifications: record attempt", "delivery", del.ID, "err", err)
		return
	}
	d.log().Info("notification attempt", "delivery", del.ID, "subscription", del.Subscription.ID, "event", del.Event.Kind,
		"attempt", a.Attempt, "outcome", a.Outcome, "status", a.StatusCode, "err", a.Error)
}

func (d *Dispatcher) maxAttempts() int {
	if d.MaxAttempts > 0 {
		return d.MaxAttempts
	}
	return DefaultMaxAttempts
}

// backoff is the wait after the n-th failed attempt: RetryBase doubled n-1
// times, at most MaxBackoff.
func (d *Dispatcher) backoff(n int) time.Duration {
	b, limit := or(d.RetryBase, DefaultRetryBase), or(d.MaxBackoff, DefaultMaxBackoff)
	for i := 1; i < n && b < limit; i++ {
		b *= 2
	}
	return min(b, limit)
}

// post sends one signed delivery; it returns the HTTP status (0 when there
// was no answer) and, when the attempt failed, why.
func (d *Dispatcher) post(ctx context.Context, del store.Delivery, e Event) (int, string) {
	secret, err := d.Keyring.Open(del.Subscription.SealedSecret)
	if err != nil {
		return 0, "open the subscription's secret: " + err.Error()
	}
	body, err := Body(del.Subscription.Format, e)
	if err != nil {
		return 0, "write the body: " + err.Error()
	}
	ts := d.now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.Subscription.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "build the request: " + withoutURL(err).Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Switchyard-Webhook")
	req.Header.Set(HeaderEvent, del.Event.Kind)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(del.ID, 10))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, truncate(withoutURL(err).Error(), maxErrorLen)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if s := bytes.TrimSpace(snippet); len(s) > 0 {
		msg += ": " + string(s)
	}
	return resp.StatusCode, truncate(msg, maxErrorLen)
}

// withoutURL drops the URL a *url.Error names: it may hold a token (Slack's
// do), and the delivery log and the server's log must not show it.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
