package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/html"
)

// DexClient is an OAuth2 client Dex knows (a staticClients entry). A Public client
// (a CLI) has no secret and, with no RedirectURIs, may redirect to any
// http://127.0.0.1:<port> or http://localhost:<port>.
type DexClient struct {
	ID, Secret   string
	RedirectURIs []string
	Public       bool
}

// DexUser is a user of Dex's password database (a staticPasswords entry): it signs
// in with Email and Password and gets Groups in its ID token (Dex v2.45 gives static
// passwords groups; the mock connectors give a fixed user).
type DexUser struct {
	Email, Username, Password string
	Groups                    []string
}

// Dex is a running Dex, the OpenID provider of the sign-in tests.
type Dex struct {
	Issuer string // http://127.0.0.1:<port>/dex
	cmd    *exec.Cmd
	log    *syncBuffer
}

// StartDex runs Dex (SWITCHYARD_TEST_DEX, built by hack/oidc/build-dex.sh) on a free
// loopback port with in-memory storage, the given clients and users, and no consent
// screen, and stops it when the test ends. It skips the test when the binary is not
// configured, unless SWITCHYARD_REQUIRE_TOOLS=1.
func StartDex(t testing.TB, clients []DexClient, users []DexUser) *Dex {
	t.Helper()
	bin := need(t, "SWITCHYARD_TEST_DEX", "SWITCHYARD_REQUIRE_TOOLS", "Dex (hack/oidc/build-dex.sh)")
	addr := FreeAddr(t)
	d := &Dex{Issuer: "http://" + addr + "/dex", log: &syncBuffer{}}
	cfgPath := filepath.Join(t.TempDir(), "dex.json") // JSON is YAML: Dex reads it as is
	if err := os.WriteFile(cfgPath, dexConfig(t, d.Issuer, addr, clients, users), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, "serve", cfgPath)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start dex: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("dex log:\n%s", d.log.String())
		}
	})
	d.waitReady(t, exited)
	return d
}

func dexConfig(t testing.TB, issuer, addr string, clients []DexClient, users []DexUser) []byte {
	t.Helper()
	type client struct {
		ID           string   `json:"id"`
		Secret       string   `json:"secret,omitempty"`
		Name         string   `json:"name"`
		RedirectURIs []string `json:"redirectURIs,omitempty"`
		Public       bool     `json:"public,omitempty"`
	}
	type password struct {
		Email             string   `json:"email"`
		Hash              string   `json:"hash"`
		Username          string   `json:"username"`
		PreferredUsername string   `json:"preferredUsername"`
		UserID            string   `json:"userID"`
		Groups            []string `json:"groups"`
	}
	var cs []client
	for _, c := range clients {
		cs = append(cs, client{ID: c.ID, Secret: c.Secret, Name: c.ID, RedirectURIs: c.RedirectURIs, Public: c.Public})
	}
	var ps []password
	for i, u := range users {
		// bcrypt.DefaultCost: Dex refuses hashes cheaper than that.
		h, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.DefaultCost)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, password{Email: u.Email, Hash: string(h), Username: u.Username,
			PreferredUsername: u.Username, UserID: fmt.Sprintf("user-%d", i+1), Groups: u.Groups})
	}
	b, err := json.Marshal(map[string]any{
		"issuer":           issuer,
		"storage":          map[string]any{"type": "memory"},
		"web":              map[string]any{"http": addr},
		"logger":           map[string]any{"level": "debug"},
		"oauth2":           map[string]any{"skipApprovalScreen": true, "responseTypes": []string{"code"}},
		"enablePasswordDB": true,
		"staticClients":    cs,
		"staticPasswords":  ps,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d *Dex) waitReady(t testing.TB, exited <-chan error) {
	t.Helper()
	discovery := d.Issuer + "/.well-known/openid-configuration"
	var last error
	for range 400 { // about 20 s
		select {
		case err := <-exited:
			t.Fatalf("dex exited before it was ready (%v); log:\n%s", err, d.log.String())
		default:
		}
		resp, err := http.Get(discovery)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("GET %s: %s", discovery, resp.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("dex never became ready: %v; log:\n%s", last, d.log.String())
}

// Login signs a user in the way a browser does: it follows authURL to Dex's login
// form, posts email and password to it, and follows the redirects to the client's
// redirect URL. It returns the last response (the redirect URL's answer), body read.
// client must have a cookie jar.
func (d *Dex) Login(t testing.TB, client *http.Client, authURL, email, password string) (*http.Response, []byte) {
	t.Helper()
	resp, body := get(t, client, authURL)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), d.Issuer) {
		t.Fatalf("GET auth URL: landed on %s (%s), want Dex's login form; body: %.300s", resp.Request.URL, resp.Status, body)
	}
	action, err := formAction(body)
	if err != nil {
		t.Fatalf("Dex login page %s: %v; body: %.300s", resp.Request.URL, err, body)
	}
	target := resp.Request.URL.ResolveReference(action)
	form := url.Values{"login": {email}, "password": {password}}
	post, err := client.PostForm(target.String(), form)
	if err != nil {
		t.Fatalf("POST login form %s: %v", target, err)
	}
	defer post.Body.Close()
	b, err := io.ReadAll(io.LimitReader(post.Body, 1<<20))
	if err != nil {
		t.Fatalf("read %s: %v", post.Request.URL, err)
	}
	return post, b
}

func get(t testing.TB, client *http.Client, u string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("read %s: %v", u, err)
	}
	return resp, b
}

// formAction returns the action of the first form on an HTML page that has a
// password field (Dex's password.html).
func formAction(page []byte) (*url.URL, error) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, err
	}
	var action string
	var found, inForm bool
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" {
			action, inForm = attr(n, "action"), true
			defer func() { inForm = false }()
		}
		if inForm && n.Type == html.ElementNode && n.Data == "input" && attr(n, "type") == "password" {
			found = true
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if !found {
		return nil, fmt.Errorf("no form with a password field")
	}
	return url.Parse(action)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// syncBuffer collects a process's output for the test log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // keep the first MiB
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
