package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/server"
)

// reverseProxy serves on 127.0.0.1 a reverse proxy to the server at addr
// that appends its client's address to X-Forwarded-For (as nginx's
// proxy_add_x_forwarded_for does) and says it was reached over HTTPS, as a
// TLS-terminating ingress would. It returns its address.
func reverseProxy(t *testing.T, addr string) string {
	t.Helper()
	target := &url.URL{Scheme: "http", Host: addr}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		peer, _, _ := net.SplitHostPort(pr.In.RemoteAddr)
		xff := peer
		if prior := pr.In.Header.Get("X-Forwarded-For"); prior != "" {
			xff = prior + ", " + peer
		}
		pr.Out.Header.Set("X-Forwarded-For", xff)
		pr.Out.Header.Set("X-Forwarded-Proto", "https")
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// headerTransport connects from a given loopback address and adds headers
// to every request; it keeps the last response's Set-Cookie headers.
type headerTransport struct {
	base      *http.Transport
	header    http.Header
	setCookie []string
}

func (h *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range h.header {
		r.Header[k] = vs
	}
	resp, err := h.base.RoundTrip(r)
	if err == nil {
		h.setCookie = resp.Header.Values("Set-Cookie")
	}
	return resp, err
}

// clientFrom is an API client to baseURL connecting from the loopback
// address local and sending header with every request.
func clientFrom(t *testing.T, local, baseURL string, header http.Header) (*client.Client, *headerTransport) {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	tr := &headerTransport{base: &http.Transport{DialContext: d.DialContext}, header: header}
	t.Cleanup(tr.base.CloseIdleConnections)
	jar, _ := cookiejar.New(nil)
	c, err := client.New(baseURL, client.WithHTTPClient(&http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	return c, tr
}

// failLogins makes n failed logins with c, each under a new name (so that
// only the address limit counts), and returns the status of each.
func failLogins(ctx context.Context, c *client.Client, prefix string, n int) []int {
	var codes []int
	for i := range n {
		_, err := c.Login(ctx, prefix+strconv.Itoa(i), "wrong-password")
		codes = append(codes, client.StatusOf(err))
	}
	return codes
}

// TestTrustedProxy: through a reverse proxy listed in --trusted-proxies, the
// client's forwarded address (the right-most untrusted entry of
// X-Forwarded-For, not the one it forged left of it) is rate-limited and
// audited as itself, and X-Forwarded-Proto: https makes the session cookie
// Secure. The same headers sent straight from an untrusted peer (127.0.0.2)
// are ignored.
func TestTrustedProxy(t *testing.T) {
	addr := serve(t, server.Options{TrustedProxies: "127.0.0.1/32, ::1"}, nil)
	viaProxy := "http://" + reverseProxy(t, addr)
	forged := http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Forwarded-Proto": {"https"}}
	ctx := t.Context()

	// 127.0.0.3 fails 20 logins through the proxy: the address limit (20 in 5 minutes).
	c3, _ := clientFrom(t, "127.0.0.3", viaProxy, forged)
	codes := failLogins(ctx, c3, "nobody-a", 21)
	for i, code := range codes[:20] {
		if code != http.StatusUnauthorized {
			t.Fatalf("failed login %d from 127.0.0.3 via the proxy: %d, want 401", i+1, code)
		}
	}
	if codes[20] != http.StatusTooManyRequests {
		t.Fatalf("login 21 from 127.0.0.3 via the proxy: %d, want 429 (its forwarded address is limited)", codes[20])
	}

	t.Run("another client of the same proxy is not limited", func(t *testing.T) {
		c4, tr := clientFrom(t, "127.0.0.4", viaProxy, nil)
		if got := failLogins(ctx, c4, "nobody-b", 1); got[0] != http.StatusUnauthorized {
			t.Errorf("failed login from 127.0.0.4 via the proxy: %d, want 401 (not the proxy's or 127.0.0.3's bucket)", got[0])
		}
		if _, err := c4.Login(ctx, "admin", "admin-password"); err != nil {
			t.Fatalf("admin login via the proxy: %v", err)
		}
		if !secureCookie(tr.setCookie) {
			t.Errorf("session cookie via the proxy (X-Forwarded-Proto: https): %q, want Secure", tr.setCookie)
		}
		events, err := c4.Audit(ctx, client.AuditQuery{Action: "login", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		from := loginAddrs(events)
		if from["127.0.0.3"] != 20 || from["127.0.0.4"] != 2 {
			t.Errorf("login audit addresses: %v, want 20 (+1 lockout row counted separately) from 127.0.0.3 and 2 from 127.0.0.4", from)
		}
		for _, bad := range []string{"127.0.0.1", "203.0.113.7"} {
			if from[bad] != 0 {
				t.Errorf("login audit addresses: %v, want none from %s (the proxy / a forged entry)", from, bad)
			}
		}
	})

	t.Run("the same headers from an untrusted peer are ignored", func(t *testing.T) {
		// 127.0.0.2 claims to be the locked-out 127.0.0.3, over HTTPS.
		claim := http.Header{"X-Forwarded-For": {"127.0.0.3"}, "X-Forwarded-Proto": {"https"}}
		c2, tr := clientFrom(t, "127.0.0.2", "http://"+addr, claim)
		if got := failLogins(ctx, c2, "nobody-c", 1); got[0] != http.StatusUnauthorized {
			t.Errorf("failed login from 127.0.0.2 claiming 127.0.0.3: %d, want 401 (its own address, not limited)", got[0])
		}
		if _, err := c2.Login(ctx, "admin", "admin-password"); err != nil {
			t.Fatalf("admin login from 127.0.0.2: %v", err)
		}
		if secureCookie(tr.setCookie) {
			t.Errorf("session cookie to an untrusted peer claiming https: %q, want not Secure", tr.setCookie)
		}
		events, err := c2.Audit(ctx, client.AuditQuery{Action: "login", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if from := loginAddrs(events); from["127.0.0.2"] != 2 || from["127.0.0.3"] != 20 {
			t.Errorf("login audit addresses: %v, want 2 from 127.0.0.2 and still 20 from 127.0.0.3", from)
		}
	})
}

// loginAddrs counts login audit events by the address in their detail ("from ADDR…").
func loginAddrs(events []client.AuditEvent) map[string]int {
	out := map[string]int{}
	for _, e := range events {
		rest, ok := strings.CutPrefix(e.Detail, "from ")
		if !ok {
			continue
		}
		addr, _, _ := strings.Cut(rest, ";")
		if e.Outcome == client.OutcomeDenied { // the lockout's one row
			addr += " (lockout)"
		}
		out[addr]++
	}
	return out
}

func secureCookie(setCookie []string) bool {
	for _, sc := range setCookie {
		c, err := http.ParseSetCookie(sc)
		if err == nil && c.Name == auth.SessionCookie {
			return c.Secure
		}
	}
	return false
}

// TestTrustedProxiesInvalid: a range that doesn't parse stops the server,
// naming the flag.
func TestTrustedProxiesInvalid(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0.0/8,,nonsense"} {
		_, err := server.New(t.Context(), server.Options{DataDir: t.TempDir(), TrustedProxies: bad}, nil)
		if err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
			t.Errorf("New with --trusted-proxies %q: %v, want an error naming --trusted-proxies", bad, err)
		}
	}
	for _, bad := range []string{"ftp://x", "https://x/switchyard", "https://"} {
		_, err := server.New(t.Context(), server.Options{DataDir: t.TempDir(), ExternalURL: bad}, nil)
		if err == nil || !strings.Contains(err.Error(), "--external-url") {
			t.Errorf("New with --external-url %q: %v, want an error naming --external-url", bad, err)
		}
	}
	var _ = errors.New
}
