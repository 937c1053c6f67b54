package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard/switchyard/client"
)

// logRecorder is a slog.Handler that keeps the records at WARN and above.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

// at returns the messages logged at level whose attributes mention s.
func (l *logRecorder) at(level slog.Level, s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		text := r.Message
		r.Attrs(func(a slog.Attr) bool { text += " " + a.String(); return true })
		if r.Level == level && strings.Contains(text, s) {
			out = append(out, text)
		}
	}
	return out
}

// checkUnreachableCreate creates a job on cluster "down" (a closed port):
// that is an outage, not bad input, so a 503 cluster_unreachable worth
// retrying (Retry-After), never a 422 on the cluster field; only platform
// administrators see where the API server is; and the server logs it as a
// warning, not an error.
func checkUnreachableCreate(ctx context.Context, t *testing.T, e *jobsEnv, editor *client.Client, ws string) {
	job := client.NewJob{Name: "down-bg", Cluster: "down", Namespace: "demo", Deployment: "web", Service: "web"}
	for _, c := range []struct {
		who      string
		c        *client.Client
		seesAddr bool
	}{{"editor", editor, false}, {"platform admin", e.admin, true}} {
		_, err := c.c.CreateJob(ctx, ws, job)
		ce := wantStatus(t, c.who+" creates a job on an unreachable cluster", err, http.StatusServiceUnavailable)
		if ce == nil {
			continue
		}
		if ce.Code != "cluster_unreachable" || ce.Field != "" || !strings.Contains(ce.Message, "down") || !strings.Contains(ce.Message, "connection refused") {
			t.Errorf("%s: %+v; want cluster_unreachable naming cluster down and the reason, on no field", c.who, ce)
		}
		if ce.RetryAfter <= 0 {
			t.Errorf("%s: no Retry-After on the 503: a cluster outage is worth retrying", c.who)
		}
		if sees := strings.Contains(ce.Message, "127.0.0.1"); sees != c.seesAddr {
			t.Errorf("%s: message %q; want the API server address shown: %v", c.who, ce.Message, c.seesAddr)
		}
		// The workspace's cluster list says why the cluster is unavailable, with
		// the address for platform administrators only.
		wcs, err := c.c.WorkspaceClusters(ctx, ws)
		if err != nil {
			t.Fatalf("%s lists the workspace's clusters: %v", c.who, err)
		}
		for _, wc := range wcs {
			if wc.Name != "down" {
				continue
			}
			text := wc.Reason + " " + wc.Status.Error
			if !strings.Contains(text, "connection refused") {
				t.Errorf("%s: cluster down reads %q; want the reason (connection refused)", c.who, text)
			}
			if sees := strings.Contains(text, "127.0.0.1"); sees != c.seesAddr {
				t.Errorf("%s: cluster down reads %q; want the API server address shown: %v", c.who, text, c.seesAddr)
			}
		}
	}
	if errs := e.logs.at(slog.LevelError, "down"); len(errs) > 0 {
		t.Errorf("an unreachable cluster was logged at ERROR: %q", errs)
	}
	if warns := e.logs.at(slog.LevelWarn, "down"); len(warns) == 0 {
		t.Error("an unreachable cluster was not logged at WARN")
	}
}
