package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// issuer is a minimal OpenID provider for unit tests of verification: a discovery
// document and a key set the test rotates. The proof against a real provider is
// dex_test.go; this one covers what Dex will not do on demand (rotate keys now).
type issuer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys []jose.JSONWebKey // private keys; the newest signs
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	is := &issuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": is.srv.URL, "authorization_endpoint": is.srv.URL + "/auth", "token_endpoint": is.srv.URL + "/token",
			"jwks_uri": is.srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"ES256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		defer is.mu.Unlock()
		var set jose.JSONWebKeySet
		for _, k := range is.keys {
			set.Keys = append(set.Keys, k.Public())
		}
		json.NewEncoder(w).Encode(set)
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	is.rotate(t)
	return is
}

// rotate publishes a new key, which signs from now on; the old ones stay published.
func (is *issuer) rotate(t *testing.T) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = append(is.keys, jose.JSONWebKey{Key: priv, KeyID: rand.Text(), Algorithm: "ES256", Use: "sig"})
}

func (is *issuer) sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	is.mu.Lock()
	key := is.keys[len(is.keys)-1]
	is.mu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (is *issuer) claims(aud string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": is.srv.URL, "aud": aud, "sub": "u1", "preferred_username": "alice",
		"groups": []string{"ops"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": "n1"}
}

// TestVerifyAfterKeyRotation: a Provider built before the issuer rotated its keys
// verifies tokens signed with the new key (it fetches the key set again), and keeps
// refusing a key the issuer never published.
func TestVerifyAfterKeyRotation(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t)
	p, err := New(ctx, Config{Issuer: is.srv.URL, ClientID: "switchyard", RedirectURL: "http://127.0.0.1/auth/callback"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Verify(ctx, is.sign(t, is.claims("switchyard")), "n1"); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	is.rotate(t)
	id, err := p.Verify(ctx, is.sign(t, is.claims("switchyard")), "n1")
	if err != nil || id.Username != "alice" {
		t.Fatalf("after rotation: %+v, %v; want alice verified", id, err)
	}

	rogue := newIssuer(t) // same claims, a key our issuer never published
	c := is.claims("switchyard")
	if _, err := p.Verify(ctx, rogue.sign(t, c), "n1"); !errors.Is(err, ErrBadSignature) {
		t.Errorf("unpublished key: err = %v, want ErrBadSignature", err)
	}
	c["exp"] = time.Now().Add(-time.Minute).Unix()
	if _, err := p.Verify(ctx, is.sign(t, c), "n1"); !errors.Is(err, ErrExpired) {
		t.Errorf("expired: err = %v, want ErrExpired", err)
	}
}
