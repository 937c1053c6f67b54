package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

// TestTokenExpiry creates tokens with and without a lifetime, lists them,
// refuses an expired one with a 401 that says so, and rejects lifetimes
// out of range with a 422 naming expires_in_days.
func TestTokenExpiry(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		c := e.user("carol", false)

		before := time.Now()
		daily, err := c.CreateToken(ctx, "ci", 90)
		if err != nil {
			t.Fatalf("CreateToken with 90 days: %v", err)
		}
		lo, hi := before.Add(90*24*time.Hour-time.Second), time.Now().Add(90*24*time.Hour)
		if daily.ExpiresAt == nil || daily.ExpiresAt.Before(lo) || daily.ExpiresAt.After(hi) {
			t.Fatalf("CreateToken ExpiresAt = %v, want between %v and %v", daily.ExpiresAt, lo, hi)
		}
		forever, err := c.CreateToken(ctx, "forever", 0)
		if err != nil || forever.ExpiresAt != nil {
			t.Fatalf("CreateToken without expiry = %+v, %v; want no ExpiresAt", forever, err)
		}
		if _, err := e.client(client.WithToken(daily.Secret)).Me(ctx); err != nil {
			t.Errorf("Me with a token expiring in 90 days: %v", err)
		}

		toks, err := c.Tokens(ctx)
		if err != nil || len(toks) != 2 {
			t.Fatalf("Tokens = %+v, %v; want two", toks, err)
		}
		if toks[0].ExpiresAt == nil || !toks[0].ExpiresAt.Equal(*daily.ExpiresAt) || toks[1].ExpiresAt != nil {
			t.Errorf("Tokens ExpiresAt = %v and %v, want %v and nil", toks[0].ExpiresAt, toks[1].ExpiresAt, *daily.ExpiresAt)
		}

		// An expired token: the store's clock is not the test's to move, so
		// the token is stored with an expiry already past.
		secret, prefix, hash := auth.NewAPIToken()
		past := time.Now().Add(-time.Hour)
		if _, err := e.store.CreateAPIToken(ctx, store.APIToken{UserID: e.userID("carol"), Name: "old", Prefix: prefix, Hash: hash, ExpiresAt: &past}); err != nil {
			t.Fatal(err)
		}
		_, err = e.client(client.WithToken(secret)).Me(ctx)
		if ce := wantStatus(t, "Me with an expired token", err, 401); ce != nil && !strings.Contains(ce.Message, "API token expired at ") {
			t.Errorf("expired token: message %q, want it to say the token expired", ce.Message)
		}
		_, err = e.client(client.WithToken("sy_unknown")).Me(ctx)
		if ce := wantStatus(t, "Me with an unknown token", err, 401); ce != nil && strings.Contains(ce.Message, "expired") {
			t.Errorf("unknown token: message %q, want no word of expiry", ce.Message)
		}

		for _, days := range []int{-1, 3651, 1 << 40} {
			_, err := c.CreateToken(ctx, "bad", days)
			if ce := wantStatus(t, fmt.Sprint("CreateToken with expires_in_days ", days), err, 422); ce != nil && ce.Field != "expires_in_days" {
				t.Errorf("expires_in_days %d: field %q, want expires_in_days", days, ce.Field)
			}
		}

		// The audit log says when each new token expires.
		events, err := e.admin.Audit(ctx, client.AuditQuery{Actor: "carol", Action: "token.create", Outcome: client.OutcomeSuccess})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"API token ci":      "expires " + daily.ExpiresAt.UTC().Format(time.RFC3339),
			"API token forever": "never expires",
		}
		for _, ev := range events {
			if w, ok := want[ev.Target]; ok && ev.Detail == w {
				delete(want, ev.Target)
			}
		}
		if len(want) > 0 {
			t.Errorf("token.create events %+v lack details %v", events, want)
		}
	})
}
