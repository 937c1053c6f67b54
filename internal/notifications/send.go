package notifications

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/switchyard/switchyard/internal/store"
)

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
	if d.Attempted != nil {
		d.Attempted(a.Outcome)
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
