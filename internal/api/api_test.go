package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/client"
)

func TestLoginLogoutToken(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user("alice", false)
		c := e.client()
		_, err := c.Login(ctx, "alice", "wrong password")
		wantStatus(t, "login with a wrong password", err, 401)
		_, err = c.Login(ctx, "nobody", "wrong password")
		wantStatus(t, "login as an unknown user", err, 401)
		_, err = c.Me(ctx)
		wantStatus(t, "me before login", err, 401)

		s, err := c.Login(ctx, "alice", "password-alice")
		if err != nil || s.User.Username != "alice" || s.CSRFToken == "" || s.ExpiresAt == nil {
			t.Fatalf("Login = %+v, %v; want alice with a CSRF token and expiry", s, err)
		}
		nt, err := c.CreateToken(ctx, "ci", 0)
		if err != nil || !strings.HasPrefix(nt.Secret, "sy_") || !strings.HasPrefix(nt.Secret, nt.Prefix) {
			t.Fatalf("CreateToken = %+v, %v; want a sy_ token", nt, err)
		}
		_, err = c.CreateToken(ctx, "ci", 0)
		wantStatus(t, "second live token with the same name", err, 409)

		tc := e.client(client.WithToken(nt.Secret))
		me, err := tc.Me(ctx)
		if err != nil || me.User.Username != "alice" || me.CSRFToken != "" {
			t.Fatalf("Me by token = %+v, %v; want alice without a CSRF token", me, err)
		}
		toks, err := c.Tokens(ctx)
		if err != nil || len(toks) != 1 || toks[0].LastUsedAt == nil {
			t.Fatalf("Tokens = %+v, %v; want one token with last use recorded", toks, err)
		}
		if err := c.RevokeToken(ctx, nt.ID); err != nil {
			t.Fatal(err)
		}
		_, err = tc.Me(ctx)
		wantStatus(t, "revoked token", err, 401)
		wantStatus(t, "revoking another's or a revoked token", e.admin.RevokeToken(ctx, nt.ID), 404)

		if err := c.Logout(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = c.Me(ctx)
		wantStatus(t, "me after logout", err, 401)

		audit, err := e.admin.Audit(ctx, client.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"login/failure/alice", "login/failure/nobody", "login/success/alice", "token.create/success/alice", "token.revoke/success/alice", "logout/success/alice"} {
			if !hasEvent(audit, want) {
				t.Errorf("audit log lacks %s", want)
			}
		}
	})
}

// hasEvent reports whether the log has an event "action/outcome/actor".
func hasEvent(es []client.AuditEvent, want string) bool {
	for _, e := range es {
		if e.Action+"/"+e.Outcome+"/"+e.Actor == want {
			return true
		}
	}
	return false
}

func TestCSRF(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		c := e.admin
		good, _ := c.Me(ctx)
		c.SetCSRFToken("")
		_, err := c.CreateWorkspace(ctx, client.NewWorkspace{Name: "no-token"})
		if ce := wantStatus(t, "cookie write without CSRF token", err, 403); ce != nil && ce.Code != "csrf" {
			t.Errorf("code = %q, want csrf", ce.Code)
		}
		c.SetCSRFToken("forged")
		_, err = c.CreateWorkspace(ctx, client.NewWorkspace{Name: "bad-token"})
		wantStatus(t, "cookie write with a wrong CSRF token", err, 403)
		_, err = c.Workspaces(ctx)
		wantStatus(t, "cookie read without CSRF token", err, 0)
		c.SetCSRFToken(good.CSRFToken)
		_, err = c.CreateWorkspace(ctx, client.NewWorkspace{Name: "with-token"})
		wantStatus(t, "cookie write with the CSRF token", err, 0)

		nt, err := c.CreateToken(ctx, "ci", 0)
		if err != nil {
			t.Fatal(err)
		}
		tc := e.client(client.WithToken(nt.Secret))
		_, err = tc.CreateWorkspace(ctx, client.NewWorkspace{Name: "by-bearer"})
		wantStatus(t, "bearer write without CSRF token", err, 0)
		ws, _ := c.Workspaces(ctx)
		if len(ws) != 2 {
			t.Errorf("workspaces = %+v, want exactly the two allowed writes", ws)
		}
		// Both refused writes are on record as denied, with what was tried.
		denied, err := c.Audit(ctx, client.AuditQuery{Action: "request.csrf", Outcome: client.OutcomeDenied})
		if err != nil || len(denied) != 2 || denied[0].Target != "POST /api/v1/workspaces" || denied[0].Actor != "admin" {
			t.Errorf("audit of CSRF refusals = %+v, %v; want two denied POST /api/v1/workspaces by admin", denied, err)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user("bob", false)
		c := e.client()
		for i := range 5 {
			_, err := c.Login(ctx, "bob", "wrong")
			wantStatus(t, fmt.Sprintf("failed login %d", i+1), err, 401)
		}
		_, err := c.Login(ctx, "bob", "password-bob")
		if audit, _ := e.admin.Audit(ctx, client.AuditQuery{Limit: 1}); !hasEvent(audit, "login/denied/bob") {
			t.Errorf("rate-limited login not audited as denied: %+v", audit)
		}
		if ce := wantStatus(t, "login after 5 failures, right password", err, 429); ce != nil && ce.RetryAfter <= 0 {
			t.Errorf("429 without Retry-After: %+v", ce)
		}
		_, err = c.Login(ctx, "admin", adminPassword)
		wantStatus(t, "another user from the same address", err, 0)
	})
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t, storeOptsSQLite(t))
	for _, tc := range []struct {
		path, want string
	}{
		{"/healthz", "ok"},
		{"/readyz", "ok"},
		{"/api/v1/openapi.json", `"openapi": "3.`},
		{"/metrics", `switchyard_login_failures_total`},
	} {
		e.client().Login(t.Context(), "admin", "wrong") // feeds the login failure metric
		resp, err := http.Get(e.url + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s = %d %.200q, want 200 containing %q", tc.path, resp.StatusCode, body, tc.want)
		}
	}
	resp, _ := http.Get(e.url + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `switchyard_http_requests_total{code="401",route="POST /api/v1/login"}`; !bytes.Contains(body, []byte(want)) {
		t.Errorf("metrics lack %s", want)
	}
}

// TestBadInput sends every kind of broken request and checks for a 4xx
// naming the problem, never a 500.
func TestBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ws := e.workspace(nil)
		long := strings.Repeat("a", 64)
		tests := []struct {
			name, method, path, ctype, body string
			status                          int
			code, field                     string
		}{
			{"malformed JSON", "POST", "/api/v1/workspaces", "application/json", `{"name": `, 400, "bad_request", ""},
			{"syntax error", "POST", "/api/v1/workspaces", "application/json", `{name: "x"}`, 400, "bad_request", ""},
			{"empty body", "POST", "/api/v1/workspaces", "application/json", ``, 400, "bad_request", ""},
			{"array body", "POST", "/api/v1/workspaces", "application/json", `[]`, 400, "bad_request", ""},
			{"trailing data", "POST", "/api/v1/workspaces", "application/json", `{"name":"a"} {}`, 400, "bad_request", ""},
			{"unknown field", "POST", "/api/v1/workspaces", "application/json", `{"name":"a","colour":"red"}`, 400, "unknown_field", "colour"},
			{"wrong type", "POST", "/api/v1/workspaces", "application/json", `{"name":42}`, 422, "invalid", "name"},
			{"not JSON", "POST", "/api/v1/workspaces", "text/plain", `name=a`, 415, "unsupported_media_type", ""},
			{"oversized", "POST", "/api/v1/workspaces", "application/json", `{"name":"a","description":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "too_large", ""},
			{"name upper case", "POST", "/api/v1/workspaces", "application/json", `{"name":"Team"}`, 422, "invalid", "name"},
			{"name too long", "POST", "/api/v1/workspaces", "application/json", `{"name":"` + long + `"}`, 422, "invalid", "name"},
			{"name ends with dash", "POST", "/api/v1/workspaces", "application/json", `{"name":"team-"}`, 422, "invalid", "name"},
			{"name missing", "POST", "/api/v1/workspaces", "application/json", `{}`, 422, "invalid", "name"},
			{"duplicate workspace", "POST", "/api/v1/workspaces", "application/json", `{"name":"` + ws + `"}`, 409, "conflict", ""},
			{"bad username", "POST", "/api/v1/users", "application/json", `{"username":"Bad Name","password":"longenough"}`, 422, "invalid", "username"},
			{"short password", "POST", "/api/v1/users", "application/json", `{"username":"carol","password":"short"}`, 422, "invalid", "password"},
			{"bad role", "PUT", "/api/v1/workspaces/" + ws + "/members/admin", "application/json", `{"role":"owner"}`, 422, "invalid", "role"},
			{"unknown member user", "PUT", "/api/v1/workspaces/" + ws + "/members/ghost", "application/json", `{"role":"viewer"}`, 404, "not_found", ""},
			{"binding unknown cluster", "POST", "/api/v1/workspaces/" + ws + "/bindings", "application/json", `{"cluster":"nope","namespace":"demo"}`, 422, "invalid", "cluster"},
			{"binding bad namespace", "POST", "/api/v1/workspaces/" + ws + "/bindings", "application/json", `{"cluster":"nope","namespace":"Demo_1"}`, 422, "invalid", "namespace"},
			{"binding id not a number", "DELETE", "/api/v1/workspaces/" + ws + "/bindings/abc", "", ``, 400, "bad_request", "id"},
			{"token id not a number", "DELETE", "/api/v1/tokens/-1", "", ``, 400, "bad_request", "id"},
			{"audit limit", "GET", "/api/v1/audit?limit=100000", "", ``, 400, "bad_request", "limit"},
			{"audit before", "GET", "/api/v1/audit?before=x", "", ``, 400, "bad_request", "before"},
			{"unknown workspace", "GET", "/api/v1/workspaces/nope", "", ``, 404, "not_found", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var body []byte
				if tc.method != "GET" && tc.method != "DELETE" {
					body = []byte(tc.body)
				}
				err := e.admin.Raw(ctx, tc.method, tc.path, tc.ctype, body, nil)
				ce := wantStatus(t, tc.name, err, tc.status)
				if ce != nil && (ce.Code != tc.code || ce.Field != tc.field || ce.Message == "") {
					t.Errorf("error = %+v, want code %q field %q and a message", ce, tc.code, tc.field)
				}
			})
		}
	})
}
