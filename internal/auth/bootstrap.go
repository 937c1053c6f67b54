package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/switchyard/switchyard/internal/store"
)

// BootstrapAdminName is the platform administrator created on first start.
const BootstrapAdminName = "admin"

// Bootstrap creates the platform administrator "admin" when the store has no
// users yet. Its password is password, or, when that is empty, a random one
// logged once (the only place it ever appears). Several replicas starting
// at once are safe: the losers of the race find the user taken and do nothing.
func Bootstrap(ctx context.Context, s *store.Store, h *Hasher, password string, logger *slog.Logger) error {
	n, err := s.CountUsers(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if n > 0 {
		return nil
	}
	generated := password == ""
	if generated {
		password = randomToken()[:24]
	} else if rule := PasswordRule(password); rule != "" {
		return fmt.Errorf("bootstrap admin: the admin password (SWITCHYARD_ADMIN_PASSWORD) %s", rule)
	}
	hash, err := h.Hash(password)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	_, err = s.CreateUser(ctx, store.User{Username: BootstrapAdminName, PasswordHash: hash, PlatformAdmin: true})
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if generated {
		logger.Warn("created platform administrator with a random password; it is shown only now, change it after signing in",
			"username", BootstrapAdminName, "password", password)
	} else {
		logger.Info("created platform administrator with the password from SWITCHYARD_ADMIN_PASSWORD", "username", BootstrapAdminName)
	}
	return nil
}
