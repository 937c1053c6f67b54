package api_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/api"
	"github.com/switchyard/switchyard/internal/store"
)

// auditCount is how many audit events the log holds (up to 1000).
func (e *env) auditCount() int {
	e.t.Helper()
	es, err := e.admin.Audit(context.Background(), client.AuditQuery{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(es)
}

// dbSize is the size of the SQLite database and its WAL, 0 on PostgreSQL.
func dbSize(dir string) int64 {
	var n int64
	for _, f := range []string{"switchyard.db", "switchyard.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// TestHugeLoginNames: a login name over the user-name limit is a 422 naming
// username and the limit, and leaves no trace: 40 names of 60 KB add no
// audit row and don't grow the database by their size.
func TestHugeLoginNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		rows := e.auditCount()
		c := e.client()
		const n, size = 40, 60 << 10
		for i := range n {
			name := fmt.Sprintf("%d%s", i, strings.Repeat("x", size))
			_, err := c.Login(ctx, name, "whatever-password")
			ce := wantStatus(t, "login with a 60 KB name", err, http.StatusUnprocessableEntity)
			if ce != nil && (ce.Field != "username" || !strings.Contains(ce.Message, "at most 64 characters")) {
				t.Fatalf("login with a 60 KB name: %+v, want field username and the limit of 64 characters", ce)
			}
		}
		if got := e.auditCount(); got != rows {
			t.Errorf("audit rows %d after %d huge login names, want %d (none added)", got, n, rows)
		}
	})
}

// TestHugeLoginNamesDiskSQLite measures the SQLite files: N huge names must
// not grow them by N × size (they once grew by 2 MB per attempt).
func TestHugeLoginNamesDiskSQLite(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, store.Options{DataDir: dir})
	before := dbSize(dir)
	c := e.client()
	const n, size = 40, 60 << 10
	for i := range n {
		c.Login(t.Context(), fmt.Sprintf("%d%s", i, strings.Repeat("x", size)), "whatever-password")
	}
	grew := dbSize(dir) - before
	t.Logf("database and WAL after %d login names of %d bytes: %+d bytes", n, size, grew)
	if grew > n*size/10 {
		t.Errorf("database grew by %d bytes after %d login names of %d bytes, want O(1) (< %d)", grew, n, size, n*size/10)
	}
}

// TestRateLimitedLoginsRecordedOnce: once a user is locked out, the first
// refusal is in the audit log and the next 30 are only counted.
func TestRateLimitedLoginsRecordedOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.user("bob", false)
		c := e.client()
		for range 5 {
			c.Login(ctx, "bob", "wrong")
		}
		for i := range 30 {
			_, err := c.Login(ctx, "bob", "wrong")
			wantStatus(t, fmt.Sprintf("refused login %d", i+1), err, http.StatusTooManyRequests)
		}
		denied, err := e.admin.Audit(ctx, client.AuditQuery{Action: "login", Outcome: client.OutcomeDenied, Actor: "bob"})
		if err != nil || len(denied) != 1 {
			t.Errorf("denied logins of bob in the audit log = %d (%v), want 1 for the lockout", len(denied), err)
		}
	})
}

// TestLastAdminRace: two workspace admins demote each other at once, 30
// rounds on each store: the workspace always keeps an admin and the loser
// gets the 409 on role.
func TestLastAdminRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ana, ben := e.user("ana", false), e.user("ben", false)
		ws := e.workspace(map[string]string{"ana": "admin", "ben": "admin"})
		for round := range 30 {
			var wg sync.WaitGroup
			errs := make([]error, 2)
			start := make(chan struct{}) // both requests leave at once
			wg.Go(func() { <-start; _, errs[0] = ana.PutMember(ctx, ws, "ben", client.RoleViewer) })
			wg.Go(func() { <-start; _, errs[1] = ben.PutMember(ctx, ws, "ana", client.RoleViewer) })
			close(start)
			wg.Wait()
			ms, err := e.admin.Members(ctx, ws)
			if err != nil {
				t.Fatal(err)
			}
			admins := 0
			for _, m := range ms {
				if m.Role == client.RoleAdmin {
					admins++
				}
			}
			if admins == 0 {
				t.Fatalf("round %d: no admin left (answers %v)", round, errs)
			}
			// The loser is refused: 409 on role when the check ran against the
			// winner's change, or 403 when it was already demoted by then.
			for _, err := range errs {
				var ce *client.Error
				if err != nil && (!errors.As(err, &ce) || !(ce.Status == http.StatusConflict && ce.Field == "role" || ce.Status == http.StatusForbidden)) {
					t.Errorf("round %d: losing demotion %v, want 409 on role or 403", round, err)
				}
			}
			for _, u := range []string{"ana", "ben"} {
				if _, err := e.admin.PutMember(ctx, ws, u, client.RoleAdmin); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// TestMemberLookupNoEnumeration: a viewer asking for a user who does not
// exist and for an existing non-member gets the same answer, with no
// internal IDs in it.
func TestMemberLookupNoEnumeration(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		vic := e.user("vic", false)
		e.user("outsider", false)
		ws := e.workspace(map[string]string{"vic": "viewer"})
		_, errGhost := vic.Member(ctx, ws, "nosuchuser")
		_, errOut := vic.Member(ctx, ws, "outsider")
		ghost := wantStatus(t, "GET a member that is no user", errGhost, http.StatusNotFound)
		out := wantStatus(t, "GET a user that is no member", errOut, http.StatusNotFound)
		if ghost == nil || out == nil {
			return
		}
		if g, o := strings.ReplaceAll(ghost.Message, "nosuchuser", "X"), strings.ReplaceAll(out.Message, "outsider", "X"); g != o || ghost.Code != out.Code {
			t.Errorf("answers differ: %q (%s) for no user, %q (%s) for a non-member", ghost.Message, ghost.Code, out.Message, out.Code)
		}
		if regexp.MustCompile(`\d+ of workspace \d+`).MatchString(out.Message) || strings.Contains(out.Message, "user ") {
			t.Errorf("non-member answer %q names internal IDs", out.Message)
		}
	})
}

// TestTokenChildrenDontOutliveParent: a request authenticated by a 1-day
// token gets child tokens that end when it does, whatever lifetime they ask
// for (never-expiring included: clamped, not refused).
func TestTokenChildrenDontOutliveParent(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		c := e.user("carol", false)
		parent, err := c.CreateToken(ctx, "daily", 1)
		if err != nil || parent.ExpiresAt == nil {
			t.Fatalf("CreateToken daily = %+v, %v", parent, err)
		}
		byToken := e.client(client.WithToken(parent.Secret))
		for _, days := range []int{0, 30} {
			child, err := byToken.CreateToken(ctx, fmt.Sprintf("child-%d", days), days)
			if err != nil {
				t.Fatalf("CreateToken with a token, %d days: %v", days, err)
			}
			if child.ExpiresAt == nil || !child.ExpiresAt.Equal(*parent.ExpiresAt) {
				t.Errorf("child token asking %d days expires %v, want the parent's %v", days, child.ExpiresAt, *parent.ExpiresAt)
			}
		}
		short, err := byToken.CreateToken(ctx, "hourly-ish", 1)
		if err != nil || short.ExpiresAt == nil || short.ExpiresAt.After(*parent.ExpiresAt) {
			t.Errorf("child token of 1 day = %+v, %v; want an expiry not after the parent's", short, err)
		}
		// A session has no expiry to pass on: never-expiring tokens stay possible.
		if forever, err := c.CreateToken(ctx, "forever", 0); err != nil || forever.ExpiresAt != nil {
			t.Errorf("CreateToken by session without expiry = %+v, %v; want no ExpiresAt", forever, err)
		}
	})
}

// TestControlCharactersRefused: token names and workspace descriptions
// with a control character are a 422 naming the field.
func TestControlCharactersRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		for _, v := range []string{"ci\tjob", "ci\njob", "ci\rjob", "ci\x1bjob", "ci\u0085job", "ci\x7fjob"} {
			_, err := e.admin.CreateToken(ctx, v, 1)
			if ce := wantStatus(t, fmt.Sprintf("token name %q", v), err, http.StatusUnprocessableEntity); ce != nil && ce.Field != "name" {
				t.Errorf("token name %q: field %q, want name", v, ce.Field)
			}
			_, err = e.admin.CreateWorkspace(ctx, client.NewWorkspace{Name: e.name("ws"), Description: "the " + v})
			if ce := wantStatus(t, fmt.Sprintf("description %q", v), err, http.StatusUnprocessableEntity); ce != nil && ce.Field != "description" {
				t.Errorf("description %q: field %q, want description", v, ce.Field)
			}
		}
		if _, err := e.admin.CreateToken(ctx, "déploiement – ci", 1); err != nil {
			t.Errorf("a token name with non-ASCII letters and a dash: %v", err)
		}
	})
}

// TestResponseHardening: every API answer carries nosniff (routes, JSON
// errors, unknown routes), and a query that doesn't decode (%u0000) is a
// JSON 400 instead of being silently dropped (which listed every actor).
func TestResponseHardening(t *testing.T) {
	e := newEnv(t, storeOptsSQLite(t))
	for _, path := range []string{"/healthz", "/api/v1/me", "/api/v1/nosuch", "/api/v1/openapi.json"} {
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q, want nosniff", path, got)
		}
	}
	for _, q := range []string{"actor=%u0000", "actor=%zz", "target=a%"} {
		err := e.admin.Raw(t.Context(), "GET", "/api/v1/audit?"+q, "", nil, nil)
		if ce := wantStatus(t, "audit ?"+q, err, http.StatusBadRequest); ce != nil && ce.Code != "bad_request" {
			t.Errorf("audit ?%s: %+v, want code bad_request", q, ce)
		}
	}
}

// TestStreamsPerUser: a user gets DefaultMaxStreamsPerUser change streams at
// once; the next is a 429, and closing one makes room again.
func TestStreamsPerUser(t *testing.T) {
	e := newEnv(t, storeOptsSQLite(t))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c := e.user("sam", false)
	ws := e.workspace(map[string]string{"sam": "viewer"})
	tok, err := c.CreateToken(ctx, "streams", 1)
	if err != nil {
		t.Fatal(err)
	}
	open := func() (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/api/v1/workspaces/"+ws+"/changes", nil)
		req.Header.Set("Authorization", "Bearer "+tok.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			return resp, err
		}
		line, err := bufio.NewReader(resp.Body).ReadString('\n') // "retry: 1000": subscribed
		if err != nil || !strings.HasPrefix(line, "retry:") {
			return resp, fmt.Errorf("stream starts %q, %v", line, err)
		}
		return resp, nil
	}
	var streams []*http.Response
	defer func() {
		for _, r := range streams {
			r.Body.Close()
		}
	}()
	for i := range api.DefaultMaxStreamsPerUser {
		resp, err := open()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: %v %v", i+1, resp, err)
		}
		streams = append(streams, resp)
	}
	resp, err := open()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("stream %d: status %d, want 429", api.DefaultMaxStreamsPerUser+1, resp.StatusCode)
	}
	// Another user is not affected.
	if _, err := e.admin.Me(ctx); err != nil {
		t.Fatal(err)
	}
	streams[0].Body.Close()
	streams = streams[1:]
	for range 100 { // the server notices the closed stream shortly
		if resp, err = open(); err == nil && resp.StatusCode == http.StatusOK {
			streams = append(streams, resp)
			return
		}
		if resp != nil {
			resp.Body.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("after closing a stream, a new one: %v %v", resp, err)
}
