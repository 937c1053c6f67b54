package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/switchyard/switchyard/internal/oidc"
	"github.com/switchyard/switchyard/internal/testenv"
)

const (
	clientID     = "switchyard"
	clientSecret = "switchyard-test-secret"
	otherID      = "other-app"
	otherSecret  = "other-app-secret"
	cliID        = "switchyard-cli" // a public client: PKCE, no secret
)

var (
	alice = testenv.DexUser{Email: "alice@example.com", Username: "alice", Password: "alice-pw", Groups: []string{"release-editors", "everyone"}}
	bob   = testenv.DexUser{Email: "bob@example.com", Username: "bob", Password: "bob-pw"} // in no group
)

// relyingParty is what the Switchyard server will do, on a local listener: /auth/login
// starts a sign-in (flow cookie, redirect to the provider), /auth/callback finishes
// it (checks the callback against the cookie, clears it, exchanges the code).
type relyingParty struct {
	URL    string
	codec  *oidc.FlowCodec
	signIn *oidc.SignIn                                                     // set: the relying party is oidc.SignIn, as the server will use it
	start  func(f oidc.Flow) string                                         // the provider's auth URL for f
	end    func(ctx context.Context, f oidc.Flow, code string) (any, error) // exchange
	mu     sync.Mutex
	last   callback
}

type callback struct {
	rawQuery, cookie string
	result           any
	err              error
}

func newRelyingParty(t *testing.T, ln net.Listener) *relyingParty {
	t.Helper()
	codec, err := oidc.NewFlowCodec([]byte(strings.Repeat("k", 32)), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	rp := &relyingParty{URL: "http://" + ln.Addr().String(), codec: codec}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/login", rp.login)
	mux.HandleFunc("GET /auth/callback", rp.callback)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rp
}

func (rp *relyingParty) login(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if signIn := rp.server(); signIn != nil { // what the server does
		cookie, authURL, err := signIn.Begin(next)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.SetCookie(w, cookie)
		http.Redirect(w, r, authURL, http.StatusFound)
		return
	}
	f, err := oidc.NewFlow(next, time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v, err := rp.codec.Encode(f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, rp.codec.Cookie(v, "/auth", false))
	http.Redirect(w, r, rp.start(f), http.StatusFound)
}

func (rp *relyingParty) callback(w http.ResponseWriter, r *http.Request) {
	cb := callback{rawQuery: r.URL.RawQuery}
	if c, err := r.Cookie(oidc.FlowCookie); err == nil {
		cb.cookie = c.Value
	}
	var f oidc.Flow
	var err error
	if signIn := rp.server(); signIn != nil {
		var id oidc.Identity
		id, f, err = signIn.Finish(r.Context(), w, r)
		cb.result = id
	} else {
		// Cleared first, whatever happens next: a state is good for one callback.
		http.SetCookie(w, oidc.ClearCookie("/auth", false))
		var code string
		if f, code, err = rp.codec.FromRequest(r); err == nil {
			cb.result, err = rp.end(r.Context(), f, code)
		}
	}
	cb.err = err
	rp.mu.Lock()
	rp.last = cb
	rp.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	w.Write([]byte("signed in; next=" + f.Next))
}

// use makes the relying party oidc.SignIn s (set after Dex started: the provider
// needs Dex's issuer, Dex needs the relying party's redirect URL).
func (rp *relyingParty) use(s *oidc.SignIn) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.signIn = s
}

func (rp *relyingParty) server() *oidc.SignIn {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.signIn
}

func (rp *relyingParty) lastCallback() callback {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.last
}

func callbackURL(ln net.Listener) string { return "http://" + ln.Addr().String() + "/auth/callback" }

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// rawTokens is a relying party that keeps the raw ID token it gets, through plain
// golang.org/x/oauth2: the tests hand such tokens (another client's, tampered) to
// Provider.Verify.
func rawTokens(t *testing.T, ln net.Listener, issuer, id, secret string) *relyingParty {
	t.Helper()
	rp := newRelyingParty(t, ln)
	cfg := oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: rp.URL + "/auth/callback",
		Endpoint: endpoint(t, issuer), Scopes: []string{"openid", "profile", "email", "groups"}}
	rp.start = func(f oidc.Flow) string {
		return cfg.AuthCodeURL(f.State, oauth2.SetAuthURLParam("nonce", f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	}
	rp.end = func(ctx context.Context, f oidc.Flow, code string) (any, error) {
		tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
		if err != nil {
			return nil, err
		}
		raw, _ := tok.Extra("id_token").(string)
		return raw, nil
	}
	return rp
}

func endpoint(t *testing.T, issuer string) oauth2.Endpoint {
	t.Helper()
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Auth  string `json:"authorization_endpoint"`
		Token string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return oauth2.Endpoint{AuthURL: d.Auth, TokenURL: d.Token, AuthStyle: oauth2.AuthStyleInHeader}
}

// TestDexSignIn signs users in against a real Dex and checks what is accepted and
// what is refused, each refusal by its typed reason.
func TestDexSignIn(t *testing.T) {
	ctx := context.Background()
	rp := newRelyingParty(t, listen(t))
	ownLn, otherLn := listen(t), listen(t) // raw-token relying parties, for the token checks
	badSecret := newRelyingParty(t, listen(t))
	callbacks := []string{rp.URL + "/auth/callback", callbackURL(ownLn), callbackURL(otherLn), badSecret.URL + "/auth/callback"}
	dex := testenv.StartDex(t, []testenv.DexClient{
		{ID: clientID, Secret: clientSecret, RedirectURIs: callbacks},
		{ID: otherID, Secret: otherSecret, RedirectURIs: callbacks},
		{ID: cliID, Public: true},
	}, []testenv.DexUser{alice, bob})

	p, err := oidc.New(ctx, oidc.Config{Issuer: dex.Issuer, ClientID: clientID, ClientSecret: clientSecret,
		RedirectURL: rp.URL + "/auth/callback"})
	if err != nil {
		t.Fatal(err)
	}
	rp.use(&oidc.SignIn{Provider: p, Flows: rp.codec, CookiePath: "/auth"})

	t.Run("sign in maps username, email and groups", func(t *testing.T) {
		resp, body := dex.Login(t, browser(t), rp.URL+"/auth/login?next=/jobs", alice.Email, alice.Password)
		cb := rp.lastCallback()
		if resp.StatusCode != http.StatusOK || cb.err != nil {
			t.Fatalf("callback: %s %q, err %v", resp.Status, body, cb.err)
		}
		id := cb.result.(oidc.Identity)
		want := []string{"everyone", "release-editors"}
		if id.Username != "alice" || id.Email != alice.Email || !slices.Equal(id.Groups, want) || id.Subject == "" {
			t.Errorf("identity = %+v, want username alice, email %s, groups %v and a subject", id, alice.Email, want)
		}
		if got := string(body); got != "signed in; next=/jobs" {
			t.Errorf("landing = %q, want next=/jobs", got)
		}
	})

	t.Run("a user in no group signs in with no groups", func(t *testing.T) {
		dex.Login(t, browser(t), rp.URL+"/auth/login", bob.Email, bob.Password)
		cb := rp.lastCallback()
		if cb.err != nil {
			t.Fatal(cb.err)
		}
		if id := cb.result.(oidc.Identity); id.Username != "bob" || len(id.Groups) != 0 {
			t.Errorf("identity = %+v, want bob with no groups", id)
		}
	})

	t.Run("a public client signs in with PKCE alone on a port it chose", func(t *testing.T) {
		// What `switchyard login --sso` will do: listen on a free loopback port,
		// opened after Dex started, so no redirect URL was registered for it.
		cli := newRelyingParty(t, listen(t))
		pc, err := oidc.New(ctx, oidc.Config{Issuer: dex.Issuer, ClientID: cliID, RedirectURL: cli.URL + "/auth/callback"})
		if err != nil {
			t.Fatal(err)
		}
		cli.use(&oidc.SignIn{Provider: pc, Flows: cli.codec, CookiePath: "/auth"})
		resp, body := dex.Login(t, browser(t), cli.URL+"/auth/login", alice.Email, alice.Password)
		cb := cli.lastCallback()
		if resp.StatusCode != http.StatusOK || cb.err != nil {
			t.Fatalf("callback: %s %q, err %v", resp.Status, body, cb.err)
		}
		if id := cb.result.(oidc.Identity); id.Username != "alice" || len(id.Groups) != 2 {
			t.Errorf("identity = %+v, want alice with her two groups", id)
		}
	})

	t.Run("a code redeemed with another PKCE verifier is refused", func(t *testing.T) {
		thief := newRelyingParty(t, listen(t))
		pc, err := oidc.New(ctx, oidc.Config{Issuer: dex.Issuer, ClientID: cliID, RedirectURL: thief.URL + "/auth/callback"})
		if err != nil {
			t.Fatal(err)
		}
		thief.start = func(f oidc.Flow) string { return pc.AuthURL(f.State, f.Nonce, f.Verifier) }
		thief.end = func(ctx context.Context, f oidc.Flow, code string) (any, error) {
			return pc.Exchange(ctx, code, oauth2.GenerateVerifier(), f.Nonce) // not the flow's verifier
		}
		resp, _ := dex.Login(t, browser(t), thief.URL+"/auth/login", alice.Email, alice.Password)
		wantRefused(t, resp, thief.lastCallback().err, oidc.ErrCodeRejected)
	})

	t.Run("a wrong client secret is named as our configuration", func(t *testing.T) {
		bad, err := oidc.New(ctx, oidc.Config{Issuer: dex.Issuer, ClientID: clientID, ClientSecret: "wrong",
			RedirectURL: badSecret.URL + "/auth/callback"})
		if err != nil {
			t.Fatal(err)
		}
		badSecret.use(&oidc.SignIn{Provider: bad, Flows: badSecret.codec, CookiePath: "/auth"})
		resp, _ := dex.Login(t, browser(t), badSecret.URL+"/auth/login", alice.Email, alice.Password)
		wantRefused(t, resp, badSecret.lastCallback().err, oidc.ErrConfig)
	})

	t.Run("a replayed state is refused", func(t *testing.T) {
		b := browser(t)
		dex.Login(t, b, rp.URL+"/auth/login", alice.Email, alice.Password)
		first := rp.lastCallback()
		if first.err != nil || first.cookie == "" {
			t.Fatalf("first callback: err %v, cookie %q", first.err, first.cookie)
		}
		// The same browser goes back to the callback: its flow cookie was cleared.
		resp, _ := b.Get(rp.URL + "/auth/callback?" + first.rawQuery)
		resp.Body.Close()
		wantRefused(t, resp, rp.lastCallback().err, oidc.ErrNoFlow)
		// Someone who kept the cookie sends it again with the same callback: the
		// cookie and state still match, the provider refuses the spent code.
		req, _ := http.NewRequest(http.MethodGet, rp.URL+"/auth/callback?"+first.rawQuery, nil)
		req.AddCookie(&http.Cookie{Name: oidc.FlowCookie, Value: first.cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantRefused(t, resp, rp.lastCallback().err, oidc.ErrCodeRejected)
	})

	t.Run("a callback without a code is refused", func(t *testing.T) {
		b := browser(t)
		// A sign-in is in progress (cookie set) when the callback comes without a code.
		nr := &http.Client{Jar: b.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := nr.Get(rp.URL + "/auth/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		state := mustURL(t, resp.Header.Get("Location")).Query().Get("state")
		resp, err = b.Get(rp.URL + "/auth/callback?state=" + state)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantRefused(t, resp, rp.lastCallback().err, oidc.ErrMissingCode)
	})

	t.Run("a callback for another sign-in is refused", func(t *testing.T) {
		b := browser(t)
		nr := &http.Client{Jar: b.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := nr.Get(rp.URL + "/auth/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		resp, err = b.Get(rp.URL + "/auth/callback?code=abc&state=not-this-sign-in")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		wantRefused(t, resp, rp.lastCallback().err, oidc.ErrStateMismatch)
	})

	// Raw ID tokens from Dex, for the token checks.
	ownRaw := rawToken(t, dex, rawTokens(t, ownLn, dex.Issuer, clientID, clientSecret))
	otherRaw := rawToken(t, dex, rawTokens(t, otherLn, dex.Issuer, otherID, otherSecret))

	t.Run("the raw token of our client verifies", func(t *testing.T) {
		if id, err := p.Verify(ctx, ownRaw, ""); err != nil || id.Username != "alice" {
			t.Fatalf("Verify = %+v, %v; want alice", id, err)
		}
	})
	t.Run("a token for another audience is refused", func(t *testing.T) {
		_, err := p.Verify(ctx, otherRaw, "")
		wantReason(t, err, oidc.ErrWrongAudience)
	})
	t.Run("a tampered token is refused", func(t *testing.T) {
		_, err := p.Verify(ctx, tamper(t, ownRaw), "")
		wantReason(t, err, oidc.ErrBadSignature)
	})
	t.Run("an expired token is refused", func(t *testing.T) {
		later, err := oidc.New(ctx, oidc.Config{Issuer: dex.Issuer, ClientID: clientID, RedirectURL: rp.URL + "/auth/callback",
			Now: func() time.Time { return time.Now().Add(48 * time.Hour) }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = later.Verify(ctx, ownRaw, "")
		wantReason(t, err, oidc.ErrExpired)
	})
	t.Run("a token for another sign-in (nonce) is refused", func(t *testing.T) {
		_, err := p.Verify(ctx, ownRaw, "another-nonce")
		wantReason(t, err, oidc.ErrNonceMismatch)
	})
	t.Run("an oversized or malformed token is refused before any work", func(t *testing.T) {
		_, err := p.Verify(ctx, strings.Repeat("a", oidc.MaxIDTokenLen+1), "")
		wantReason(t, err, oidc.ErrTooLong)
		_, err = p.Verify(ctx, "not.a-jwt", "")
		wantReason(t, err, oidc.ErrMalformed)
		_, err = p.Exchange(ctx, strings.Repeat("c", oidc.MaxCodeLen+1), "v", "n")
		wantReason(t, err, oidc.ErrTooLong)
	})
	t.Run("a forged code is refused by the provider", func(t *testing.T) {
		_, err := p.Exchange(ctx, "forged-code", oauth2.GenerateVerifier(), "n")
		wantReason(t, err, oidc.ErrCodeRejected)
	})
	t.Run("a token from another issuer is refused", func(t *testing.T) {
		ln := listen(t)
		dex2 := testenv.StartDex(t, []testenv.DexClient{{ID: clientID, Secret: clientSecret, RedirectURIs: []string{callbackURL(ln)}}},
			[]testenv.DexUser{alice})
		foreign := rawToken(t, dex2, rawTokens(t, ln, dex2.Issuer, clientID, clientSecret))
		_, err := p.Verify(ctx, foreign, "")
		wantReason(t, err, oidc.ErrWrongIssuer)
	})
}

func rawToken(t *testing.T, dex *testenv.Dex, rp *relyingParty) string {
	t.Helper()
	resp, body := dex.Login(t, browser(t), rp.URL+"/auth/login", alice.Email, alice.Password)
	cb := rp.lastCallback()
	if resp.StatusCode != http.StatusOK || cb.err != nil {
		t.Fatalf("sign-in for a raw token: %s %q, err %v", resp.Status, body, cb.err)
	}
	raw, _ := cb.result.(string)
	if strings.Count(raw, ".") != 2 {
		t.Fatalf("raw ID token %q is not a JWT", raw)
	}
	return raw
}

// tamper changes the token's groups and keeps its signature.
func tamper(t *testing.T, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["groups"] = []string{"platform-admins"}
	payload, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func wantRefused(t *testing.T, resp *http.Response, err, reason error) {
	t.Helper()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %s, want 401", resp.Status)
	}
	wantReason(t, err, reason)
}

func wantReason(t *testing.T, err, reason error) {
	t.Helper()
	var e *oidc.Error
	if !errors.Is(err, reason) || !errors.As(err, &e) {
		t.Fatalf("err = %v, want an *oidc.Error with reason %q", err, reason)
	}
	t.Logf("refused: %v", e)
	if strings.Contains(e.Error(), "eyJ") {
		t.Errorf("message %q quotes a token", e.Error())
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
