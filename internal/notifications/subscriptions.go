package notifications

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
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
