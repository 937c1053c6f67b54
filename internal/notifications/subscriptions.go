package notifications

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// Subscriptions manages a workspace's webhook subscriptions. Authorization
// and the audit log are the caller's.
type Subscriptions struct {
	Store   *store.Store
	Keyring *cluster.Keyring
	// Wake, when set, makes this replica's sender look for due deliveries now.
	Wake func()
}

// Create validates r, seals its secret (a generated one when r has none)
// and stores the subscription. It returns the secret in clear: the only
// time anyone sees it. Bad input is a *store.ValidationError naming the
// field, and nothing is stored.
func (s *Subscriptions) Create(ctx context.Context, workspaceID int64, actor string, r Request) (store.Subscription, string, error) {
	r, err := r.Check()
	if err != nil {
		return store.Subscription{}, "", err
	}
	secret := r.Secret
	if secret == "" {
		secret = NewSecret()
	}
	sealed, err := s.Keyring.Seal([]byte(secret))
	if err != nil {
		return store.Subscription{}, "", fmt.Errorf("seal the secret: %w", err)
	}
	sub, err := s.Store.CreateSubscription(ctx, store.Subscription{WorkspaceID: workspaceID, URL: r.URL, Events: r.Events,
		Format: r.Format, SealedSecret: sealed, CreatedBy: actor}, MaxSubscriptionsPerWorkspace)
	if err != nil {
		return store.Subscription{}, "", err
	}
	return sub, secret, nil
}

// Test queues one signed test event to a subscription, through the outbox
// like every other event (the delivery log shows it), and wakes the sender.
// It returns the delivery's ID (its X-Switchyard-Delivery header).
func (s *Subscriptions) Test(ctx context.Context, ws store.Workspace, sub store.Subscription, actor string) (int64, error) {
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce) // never fails (crypto/rand)
	e := Event{Key: fmt.Sprintf("test/%d/%x", sub.ID, nonce), Kind: KindTest, Workspace: ws.Name, DetectedAt: time.Now().UTC(),
		Text: fmt.Sprintf("Test notification %d of workspace %s, sent by %s: this webhook works.", sub.ID, ws.Name, actor)}
	payload, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	id, err := s.Store.RecordTestEvent(ctx, store.NotificationEvent{Key: e.Key, WorkspaceID: ws.ID, Kind: string(KindTest),
		Payload: string(payload)}, sub.ID)
	if err != nil {
		return 0, err
	}
	if s.Wake != nil {
		s.Wake()
	}
	return id, nil
}

// Change is an edit of a subscription: the fields set change, nil ones stay.
// Events set and empty means every kind, as at creation.
type Change struct {
	URL    *string
	Events *[]string
	Format *string
}

// Update validates c by the rules of Create and changes the fields it sets.
// Bad input is a *store.ValidationError naming the field, and nothing
// changes; a change of no field is one on "url".
func (s *Subscriptions) Update(ctx context.Context, workspaceID, id int64, c Change) (store.Subscription, error) {
	if c.URL == nil && c.Events == nil && c.Format == nil {
		return store.Subscription{}, &store.ValidationError{Field: "url", Problem: "nothing to change: give url, events or format"}
	}
	// Check each field given; the others take values that pass.
	r := Request{URL: "http://unchanged", Format: store.FormatJSON}
	if c.URL != nil {
		r.URL = *c.URL
	}
	if c.Events != nil {
		r.Events = *c.Events
	}
	if c.Format != nil {
		r.Format = *c.Format
	}
	r, err := r.Check()
	if err != nil {
		return store.Subscription{}, err
	}
	var sc store.SubscriptionChange
	if c.URL != nil {
		sc.URL = &r.URL
	}
	if c.Events != nil {
		sc.Events = r.Events
	}
	if c.Format != nil {
		sc.Format = &r.Format
	}
	return s.Store.UpdateSubscription(ctx, workspaceID, id, sc)
}

// RotateSecret gives a subscription a new generated secret and returns it in
// clear: the only time anyone sees it. Deliveries still pending are signed
// with it from their next attempt.
func (s *Subscriptions) RotateSecret(ctx context.Context, workspaceID, id int64) (store.Subscription, string, error) {
	secret := NewSecret()
	sealed, err := s.Keyring.Seal([]byte(secret))
	if err != nil {
		return store.Subscription{}, "", fmt.Errorf("seal the secret: %w", err)
	}
	sub, err := s.Store.UpdateSubscription(ctx, workspaceID, id, store.SubscriptionChange{SealedSecret: sealed})
	if err != nil {
		return store.Subscription{}, "", err
	}
	return sub, secret, nil
}

// LogUnopenedSecrets logs, as an error naming each, the subscriptions whose
// secret does not open with the keyring (sealed with another server key, or
// corrupted): every delivery to them will fail until the key is restored or
// the secret rotated. The server calls it once at start; it does not stop
// the server (a webhook is not worth refusing to serve). It returns how many
// it logged.
func (s *Subscriptions) LogUnopenedSecrets(ctx context.Context, logger *slog.Logger) int {
	subs, err := s.Store.ListAllSubscriptions(ctx)
	if err != nil {
		logger.Error("notifications: cannot check the subscriptions' secrets", "err", err)
		return 0
	}
	n := 0
	for _, sub := range subs {
		if _, err := s.Keyring.Open(sub.SealedSecret); err == nil {
			continue
		}
		n++
		ws := strconv.FormatInt(sub.WorkspaceID, 10)
		if w, err := s.Store.GetWorkspace(ctx, sub.WorkspaceID); err == nil {
			ws = w.Name
		}
		u, _ := url.Parse(sub.URL) // checked when stored
		host := ""
		if u != nil {
			host = u.Host
		}
		logger.Error(fmt.Sprintf("notification %d of workspace %s: its signing secret does not open with secret key %s, so every delivery to it fails;"+
			" set the key it was sealed with, or give it a new secret: switchyard notification rotate-secret %d -w %s",
			sub.ID, ws, s.Keyring.KeyID(), sub.ID, ws),
			"notification", sub.ID, "workspace", ws, "host", host, "err", cluster.ErrWrongKey)
	}
	return n
}
