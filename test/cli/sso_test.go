package cli

import (
	"bufio"
	"context"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestLoginSSO: `switchyard login URL --sso` signs in through a real Dex as a
// public client (PKCE, a loopback callback), the browser step driven over
// HTTP, and ends with a stored API token carrying the role of the user's group.
func TestLoginSSO(t *testing.T) {
	erin := testenv.DexUser{Email: "erin@example.com", Username: "erin", Password: "dex-password", Groups: []string{"release-editors"}}
	dex := testenv.StartDex(t, []testenv.DexClient{
		{ID: "switchyard", Secret: "web-secret", RedirectURIs: []string{"http://127.0.0.1:1/auth/callback"}},
		{ID: "switchyard-cli", Public: true},
	}, []testenv.DexUser{erin})
	t.Setenv("SWITCHYARD_OIDC_CLIENT_SECRET", "web-secret")
	url := startServer(t, "--oidc-issuer", dex.Issuer, "--oidc-client-id", "switchyard", "--oidc-cli-client-id", "switchyard-cli")

	admin := newCLI(t)
	if _, errs, code := admin.run(password+"\n", "login", url, "-u", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("admin login: %s", errs)
	}
	admin.ok("workspace", "create", "team")
	admin.ok("group-binding", "add", "release-editors", "--role", "editor", "-w", "team")

	s := newCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, "login", url, "--sso", "-w", "team")
	cmd.Env = append(os.Environ(), "SWITCHYARD_CONFIG="+s.config, "SWITCHYARD_URL=", "SWITCHYARD_TOKEN=", "SWITCHYARD_WORKSPACE=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	authURL := ""
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, dex.Issuer) {
			authURL = line
			break
		}
	}
	if authURL == "" {
		_ = cmd.Process.Kill()
		t.Fatalf("login --sso printed no URL of %s", dex.Issuer)
	}
	go func() { // drain the rest
		for sc.Scan() {
		}
	}()
	jar, _ := cookiejar.New(nil)
	resp, body := dex.Login(t, &http.Client{Jar: jar}, authURL, erin.Email, erin.Password)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Signed in to Switchyard") {
		t.Errorf("browser landed on %s (%s): %q", resp.Request.URL, resp.Status, body)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login --sso: %v; stdout %q", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "as erin") {
		t.Errorf("login --sso said %q, want logged in as erin", stdout.String())
	}
	if out := s.ok("whoami"); !strings.Contains(out, "erin") {
		t.Errorf("whoami = %q, want erin", out)
	}
	s.ok("job", "list") // an editor of team through release-editors
	for name, cx := range readConfig(t, s.config).Contexts {
		if !strings.HasPrefix(cx.Token, "sy_") || cx.User != "erin" {
			t.Errorf("stored context %s = %+v, want erin's API token", name, cx)
		}
	}
	evs := admin.ok("audit", "list", "--all", "--action", "login.sso", "-o", "json")
	if !strings.Contains(evs, "editor in team through group release-editors") {
		t.Errorf("audit = %s, want the CLI sign-in naming the group", evs)
	}

	t.Run("bad ID tokens are refused", func(t *testing.T) {
		cl, err := client.New(url)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			token  string
			status int
		}{
			{"", http.StatusUnprocessableEntity},
			{"not.a.jwt", http.StatusUnauthorized},
			{strings.Repeat("a", 70000), http.StatusUnprocessableEntity},
		} {
			_, err := cl.LoginSSO(t.Context(), tc.token, "", 0)
			if got := client.StatusOf(err); got != tc.status {
				t.Errorf("LoginSSO(%.20q…) = %v (status %d), want %d", tc.token, err, got, tc.status)
			}
		}
	})
	t.Run("a server without CLI sign-in says so", func(t *testing.T) {
		plain := startServer(t)
		newCLI(t).fails(1, "single sign-on", "login", plain, "--sso")
	})
}
