package auth_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), store.Options{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newAuth(t *testing.T) (*auth.Authenticator, store.User) {
	t.Helper()
	s := openStore(t)
	h := &auth.Hasher{Cost: bcrypt.MinCost}
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(t.Context(), store.User{Username: "alice", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewAuthenticator(s, h), u
}

func TestHasher(t *testing.T) {
	h := &auth.Hasher{Cost: bcrypt.MinCost}
	hash, err := h.Hash("secret-1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hash, "secret-1") {
		t.Fatal("hash contains the password")
	}
	if cost, _ := bcrypt.Cost([]byte(hash)); cost != bcrypt.MinCost {
		t.Errorf("cost = %d, want %d", cost, bcrypt.MinCost)
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{{"secret-1", true}, {"secret-2", false}, {"", false}} {
		if got := h.Verify(hash, tc.password); got != tc.want {
			t.Errorf("Verify(%q) = %v, want %v", tc.password, got, tc.want)
		}
	}
	if cost, _ := bcrypt.Cost([]byte(must((&auth.Hasher{}).Hash("x")))); cost != auth.DefaultBcryptCost {
		t.Errorf("default cost = %d, want %d", cost, auth.DefaultBcryptCost)
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func TestNewAPIToken(t *testing.T) {
	tok, prefix, hash := auth.NewAPIToken()
	tok2, _, _ := auth.NewAPIToken()
	if !auth.IsAPIToken(tok) || !strings.HasPrefix(tok, prefix) || len(tok) < 40 {
		t.Errorf("token %q (prefix %q) malformed", tok, prefix)
	}
	if tok == tok2 || hash != auth.HashToken(tok) || strings.Contains(hash, tok) {
		t.Errorf("tokens not random or hash wrong")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := &auth.Limiter{Max: 3, Window: time.Minute, Now: func() time.Time { return now }}
	steps := []struct {
		advance  time.Duration
		fail     bool
		wantWait bool
	}{
		{0, true, false}, {time.Second, true, false}, {time.Second, true, true}, // third failure: blocked
		{30 * time.Second, false, true},  // still inside the window
		{28 * time.Second, false, false}, // the first failure left the window
		{0, true, true},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if s.fail {
			l.Fail("k")
		}
		if got := l.Allow("k"); (got > 0) != s.wantWait {
			t.Errorf("step %d: Allow = %v, want blocked %v", i, got, s.wantWait)
		}
		if l.Allow("other") != 0 {
			t.Errorf("step %d: an unrelated key is blocked", i)
		}
	}
	l.Reset("k")
	if l.Allow("k") != 0 {
		t.Error("Allow after Reset is blocked")
	}
}

func TestLoginRateLimit(t *testing.T) {
	a, _ := newAuth(t)
	ctx := t.Context()
	for i := range 5 {
		if _, err := a.Login(ctx, "alice", "wrong", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("attempt %d: err = %v, want ErrBadCredentials", i, err)
		}
	}
	var rl *auth.RateLimitedError
	if _, err := a.Login(ctx, "alice", "correct horse", "10.0.0.2"); !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Fatalf("after 5 failures, right password from another address: err = %v, want RateLimitedError", err)
	}
	// The limit per address also covers other usernames from that address.
	for i := range 20 {
		a.Login(ctx, fmt.Sprintf("nobody-%d", i), "x", "10.0.0.9")
	}
	if _, err := a.Login(ctx, "bob", "x", "10.0.0.9"); !errors.As(err, &rl) {
		t.Errorf("after 20 failures from one address: err = %v, want RateLimitedError", err)
	}
}

func TestSessionLifecycle(t *testing.T) {
	a, u := newAuth(t)
	ctx := t.Context()
	got, err := a.Login(ctx, "alice", "correct horse", "10.0.0.1")
	if err != nil || got.ID != u.ID {
		t.Fatalf("Login = %v, %v", got, err)
	}
	rec := httptest.NewRecorder()
	ss, err := a.StartSession(ctx, rec, httptest.NewRequest("POST", "/", nil), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || cookie.Name != auth.SessionCookie {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", cookie)
	}
	if ss.ID == cookie.Value || ss.ID != auth.HashToken(cookie.Value) {
		t.Error("store must keep the hash of the cookie token, not the token")
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookie)
	p, err := a.Authenticate(req)
	if err != nil || p.User.ID != u.ID || !p.ViaSession() {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	// Absolute expiry: a week later the session is over even if used all along.
	a.AbsoluteTimeout = time.Hour
	a.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := a.Authenticate(req); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("past absolute timeout: err = %v, want ErrUnauthenticated", err)
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	a, u := newAuth(t)
	a.IdleTimeout = 50 * time.Millisecond
	rec := httptest.NewRecorder()
	if _, err := a.StartSession(t.Context(), rec, httptest.NewRequest("POST", "/", nil), u.ID); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(rec.Result().Cookies()[0])
	time.Sleep(100 * time.Millisecond)
	if _, err := a.Authenticate(req); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("idle past timeout: err = %v, want ErrUnauthenticated", err)
	}
}

func TestSecureCookieOnTLS(t *testing.T) {
	a, u := newAuth(t)
	rec := httptest.NewRecorder()
	if _, err := a.StartSession(t.Context(), rec, httptest.NewRequest("POST", "https://example.test/", nil), u.ID); err != nil {
		t.Fatal(err)
	}
	if c := rec.Result().Cookies()[0]; !c.Secure {
		t.Errorf("cookie over TLS is not Secure")
	}
}

func TestAuthenticateToken(t *testing.T) {
	a, u := newAuth(t)
	ctx := t.Context()
	tok, rec, err := a.CreateAPIToken(ctx, u.ID, "ci", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, header string
		ok           bool
	}{
		{"valid", "Bearer " + tok, true},
		{"no bearer word", tok, false},
		{"wrong token", "Bearer sy_nope", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Authorization", tc.header)
			p, err := a.Authenticate(req)
			if tc.ok != (err == nil) {
				t.Fatalf("Authenticate = %v, want ok %v", err, tc.ok)
			}
			if tc.ok && (p.TokenID != rec.ID || p.ViaSession()) {
				t.Errorf("principal %+v, want token %d", p, rec.ID)
			}
		})
	}
	toks, _ := a.Store.ListAPITokens(ctx, u.ID)
	if toks[0].LastUsedAt == nil {
		t.Error("LastUsedAt not recorded")
	}
	a.Store.RevokeAPIToken(ctx, u.ID, rec.ID)
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if _, err := a.Authenticate(req); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("revoked token: err = %v, want ErrUnauthenticated", err)
	}
}

func TestAuthenticateExpiringToken(t *testing.T) {
	a, u := newAuth(t)
	ctx := t.Context()
	bearer := func(tok string) *http.Request {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return req
	}
	before := time.Now()
	tok, rec, err := a.CreateAPIToken(ctx, u.ID, "daily", 24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ExpiresAt == nil || rec.ExpiresAt.Before(before.Add(24*time.Hour).Add(-time.Second)) || rec.ExpiresAt.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("ExpiresAt = %v, want a day from now", rec.ExpiresAt)
	}
	if _, err := a.Authenticate(bearer(tok)); err != nil {
		t.Errorf("token expiring tomorrow: %v, want it to authenticate", err)
	}
	// Issued two days ago for a day: the store's clock finds it expired, and
	// the caller is told so rather than "unknown".
	a.Now = func() time.Time { return time.Now().Add(-48 * time.Hour) }
	old, _, err := a.CreateAPIToken(ctx, u.ID, "old", 24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Authenticate(bearer(old))
	if !errors.Is(err, auth.ErrUnauthenticated) || !strings.Contains(err.Error(), "API token expired at ") {
		t.Errorf("expired token: err = %v, want ErrUnauthenticated saying the token expired", err)
	}
	if _, err := a.Authenticate(bearer("sy_nope")); err == nil || strings.Contains(err.Error(), "expired") {
		t.Errorf("unknown token: err = %v, want ErrUnauthenticated not speaking of expiry", err)
	}
}

func TestCheckCSRF(t *testing.T) {
	session := auth.Principal{Session: &store.Session{CSRFToken: "tok"}}
	token := auth.Principal{TokenID: 1}
	tests := []struct {
		name, method, header string
		p                    auth.Principal
		wantErr              bool
	}{
		{"session GET", "GET", "", session, false},
		{"session POST without", "POST", "", session, true},
		{"session DELETE wrong", "DELETE", "bad", session, true},
		{"session PUT right", "PUT", "tok", session, false},
		{"token POST without", "POST", "", token, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/", nil)
			if tc.header != "" {
				r.Header.Set(auth.CSRFHeader, tc.header)
			}
			if err := auth.CheckCSRF(r, tc.p); (err != nil) != tc.wantErr {
				t.Errorf("CheckCSRF = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestBootstrap(t *testing.T) {
	tests := []struct{ name, password string }{{"from env", "from-the-env"}, {"random", ""}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			h := &auth.Hasher{Cost: bcrypt.MinCost}
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			for range 2 { // the second start must change nothing
				if err := auth.Bootstrap(t.Context(), s, h, tc.password, logger); err != nil {
					t.Fatal(err)
				}
			}
			users, _ := s.ListUsers(t.Context())
			if len(users) != 1 || users[0].Username != "admin" || !users[0].PlatformAdmin {
				t.Fatalf("users = %+v, want one platform admin", users)
			}
			pw := tc.password
			if pw == "" {
				_, after, _ := strings.Cut(logs.String(), "password=")
				pw = strings.Fields(after)[0]
			} else if strings.Contains(logs.String(), pw) {
				t.Error("a password from the environment was logged")
			}
			if !h.Verify(users[0].PasswordHash, pw) {
				t.Errorf("admin password does not verify (logs: %s)", logs.String())
			}
			if n := strings.Count(logs.String(), "password="); tc.password == "" && n != 1 {
				t.Errorf("random password logged %d times, want once", n)
			}
		})
	}
}

// TestLoginRateLimitConcurrent: wrong passwords sent all at once for one
// user get at most the limit (5) of answers that check the password; the
// rest are rate limited, although none of the first had failed yet when
// they came in.
func TestLoginRateLimitConcurrent(t *testing.T) {
	s := openStore(t)
	h := &auth.Hasher{Cost: 10} // slow enough that the attempts overlap
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(t.Context(), store.User{Username: "alice", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	a := auth.NewAuthenticator(s, h)
	const n = 20
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		go func() {
			<-start
			_, err := a.Login(t.Context(), "alice", "wrong", fmt.Sprintf("10.0.1.%d", i))
			errs <- err
		}()
	}
	close(start)
	checked := 0
	for range n {
		var rl *auth.RateLimitedError
		switch err := <-errs; {
		case errors.Is(err, auth.ErrBadCredentials):
			checked++
		case errors.As(err, &rl):
		default:
			t.Errorf("login: %v, want bad credentials or rate limited", err)
		}
	}
	if checked > 5 {
		t.Errorf("%d of %d simultaneous wrong passwords were checked, want at most 5", checked, n)
	}
}
