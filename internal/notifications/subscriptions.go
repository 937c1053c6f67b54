package notifications

import (
	"context"
	"fmt"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
)

// Subscriptions manages a workspace's webhook subscriptions. Authorization
// and the audit log are the caller's.
type Subscriptions struct {
	Store   *store.Store
	Keyring *cluster.Keyring
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
