package notifications

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
)

func TestRequestCheck(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", MaxURLLen)
	tests := []struct {
		name  string
		req   Request
		field string // "" means valid
	}{
		{"defaults", Request{URL: "http://127.0.0.1:9000/hook"}, ""},
		{"slack", Request{URL: "https://hooks.example.com/services/T/B/x", Format: "slack", Events: []string{"promoted"}}, ""},
		{"ftp", Request{URL: "ftp://example.com/x"}, "url"},
		{"no scheme", Request{URL: "example.com/hook"}, "url"},
		{"javascript", Request{URL: "javascript:alert(1)"}, "url"},
		{"no host", Request{URL: "http:///x"}, "url"},
		{"userinfo", Request{URL: "https://user:pw@example.com/"}, "url"},
		{"empty", Request{}, "url"},
		{"too long", Request{URL: long}, "url"},
		{"control", Request{URL: "http://example.com/\n"}, "url"},
		{"unknown event", Request{URL: "http://x", Events: []string{"exploded"}}, "events"},
		{"too many events", Request{URL: "http://x", Events: slices.Repeat([]string{"promoted"}, 100)}, "events"},
		{"format", Request{URL: "http://x", Format: "teams"}, "format"},
		{"short secret", Request{URL: "http://x", Secret: "short"}, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.Check()
			var ve *store.ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("Check: %v, want valid", err)
			case tt.field != "" && (!errors.As(err, &ve) || ve.Field != tt.field):
				t.Fatalf("Check: %v, want an error on field %s", err, tt.field)
			case tt.field == "" && (got.Format == "" || len(got.Events) == 0):
				t.Fatalf("Check = %+v, want format and events filled", got)
			}
		})
	}
	got, _ := Request{URL: "http://x", Events: []string{"deleted", "promoted", "deleted"}}.Check()
	if want := []string{"promoted", "deleted"}; !slices.Equal(got.Events, want) {
		t.Errorf("events = %v, want %v (Kinds order, no duplicates)", got.Events, want)
	}
}

func TestSignVerify(t *testing.T) {
	secret, body := []byte("s3cret-s3cret-s3cret"), []byte(`{"event":"promoted"}`)
	sig := Sign(secret, 1700000000, body)
	// Known answer: printf '1700000000.{"event":"promoted"}' | openssl dgst -sha256 -hmac s3cret-s3cret-s3cret
	if want := "sha256=baf9177565d43e839e7a0fa8272f247f177a212b1662f007fa35c985288b4053"; sig != want {
		t.Fatalf("signature %q, want %q", sig, want)
	}
	if !Verify(secret, "1700000000", body, sig) {
		t.Error("Verify refused Sign's own signature")
	}
	for name, ok := range map[string]bool{
		"other body":      Verify(secret, "1700000000", []byte(`{"event":"aborted"}`), sig),
		"other timestamp": Verify(secret, "1700000001", body, sig),
		"other secret":    Verify([]byte("another-secret-xx"), "1700000000", body, sig),
	} {
		if ok {
			t.Errorf("%s: verified, want refused", name)
		}
	}
}

func rollout(abortedAt string) *unstructured.Unstructured {
	ro := &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{}}}
	if abortedAt != "" {
		ro.Object["status"] = map[string]any{"abortedAt": abortedAt}
	}
	return ro
}

func TestDetect(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	blue := release.Version{Revision: 1, PodHash: "aaa", Images: []string{"app:1"}, CreatedAt: t0}
	green := release.Version{Revision: 2, PodHash: "bbb", Images: []string{"app:2"}, CreatedAt: t0.Add(time.Minute)}
	on := func(v release.Version) release.Version { v.Active, v.Stable = true, true; return v }
	back := blue // blue brought back by a rollback: a newer revision, an older ReplicaSet
	back.Revision = 3
	job := store.Job{ID: 7, Name: "app-bg", State: store.JobActive, ClusterName: "local", Namespace: "ns"}
	post := `Rollout aborted update to revision 2: Blue/green post-promotion analysis phase error/failed: Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)`
	pre := strings.Replace(post, "post-promotion", "pre-promotion", 1)
	tests := []struct {
		name  string
		job   store.Job
		phase release.Phase
		msg   string
		vs    []release.Version
		ro    *unstructured.Unstructured
		stale bool
		want  []string // keys
	}{
		{"created", job, release.PhaseHealthy, "", []release.Version{on(blue)}, rollout(""), false, nil},
		{"green coming up", job, release.PhaseProgressing, "", []release.Version{green, on(blue)}, rollout(""), false, nil},
		{"awaiting", job, release.PhaseAwaitingPromotion, "", []release.Version{green, on(blue)}, rollout(""), false,
			[]string{"job/7/awaiting-promotion/2/bbb"}},
		{"promoted", job, release.PhaseHealthy, "", []release.Version{on(green), blue}, rollout(""), false,
			[]string{"job/7/promoted/2/bbb"}},
		{"verifying after the switch", job, release.PhaseVerifying, "", []release.Version{on(green), blue}, rollout(""), false,
			[]string{"job/7/promoted/2/bbb"}},
		{"rolled back", job, release.PhaseHealthy, "", []release.Version{on(back), green}, rollout(""), false,
			[]string{"job/7/switched-back/3/aaa"}},
		{"aborted by hand", job, release.PhaseAborted, "Rollout aborted update to revision 2", []release.Version{green, on(blue)},
			rollout("2026-01-01T00:05:00Z"), false, []string{"job/7/aborted/2026-01-01T00:05:00Z"}},
		{"check failed before the switch", job, release.PhaseAborted, pre, []release.Version{green, on(blue)},
			rollout("2026-01-01T00:05:00Z"), false, []string{"job/7/check-failed/2026-01-01T00:05:00Z", "job/7/aborted/2026-01-01T00:05:00Z"}},
		{"check failed after the switch", job, release.PhaseAborted, post, []release.Version{green, on(blue)},
			rollout("2026-01-01T00:05:00Z"), false, []string{"job/7/check-failed/2026-01-01T00:05:00Z", "job/7/switched-back/abort/2026-01-01T00:05:00Z"}},
		{"check failed after the switch, traffic not back yet", job, release.PhaseAborted, post,
			[]release.Version{func() release.Version { g := green; g.Active = true; return g }(), func() release.Version { b := blue; b.Stable = true; return b }()},
			rollout("2026-01-01T00:05:00Z"), false, []string{"job/7/check-failed/2026-01-01T00:05:00Z", "job/7/switched-back/abort/2026-01-01T00:05:00Z"}},
		{"degraded", job, release.PhaseDegraded, "ProgressDeadlineExceeded", []release.Version{green, on(blue)}, rollout(""), false,
			[]string{"job/7/degraded/2/bbb"}},
		{"stale", job, release.PhaseUnknown, "", []release.Version{on(green), blue}, rollout(""), true, nil},
		{"deleted", store.Job{ID: 7, Name: "app-bg", State: store.JobDeleted}, release.PhaseDeleted, "", nil, nil, false,
			[]string{"job/7/deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := release.View{Job: tt.job, Stale: tt.stale, Status: release.Status{Phase: tt.phase, Message: tt.msg, Versions: tt.vs}}
			evs := Detect("team", tt.job, v, tt.ro, t0)
			var keys []string
			for _, e := range evs {
				keys = append(keys, e.Key)
				if !strings.Contains(e.Key, "/"+string(e.Kind)+"/") && !strings.HasSuffix(e.Key, "/"+string(e.Kind)) {
					t.Errorf("key %q does not name kind %q", e.Key, e.Kind)
				}
				if e.Text == "" || !strings.Contains(e.Text, "app-bg") {
					t.Errorf("text %q, want a sentence naming the job", e.Text)
				}
			}
			if !slices.Equal(keys, tt.want) {
				t.Fatalf("keys = %q, want %q", keys, tt.want)
			}
			if strings.Contains(tt.name, "check failed") && evs[0].Check != "error-rate" {
				t.Errorf("check = %q, want error-rate", evs[0].Check)
			}
			if strings.HasPrefix(tt.name, "check failed after the switch") && evs[1].Revision != 1 {
				t.Errorf("switched back to revision %d, want 1 (the stable version)", evs[1].Revision)
			}
		})
	}
}

func TestBody(t *testing.T) {
	e := Event{Key: "job/1/promoted/2/x", Kind: KindPromoted, Job: "app", Workspace: "team", Text: "Job app <b> & co"}
	b, err := Body(store.FormatSlack, e)
	if err != nil {
		t.Fatal(err)
	}
	var slack map[string]string
	if err := json.Unmarshal(b, &slack); err != nil || len(slack) != 1 || slack["text"] != "Job app &lt;b&gt; &amp; co" {
		t.Fatalf("slack body %s, want only an escaped text", b)
	}
	b, _ = Body(store.FormatJSON, e)
	var generic Event
	if err := json.Unmarshal(b, &generic); err != nil || generic.Key != e.Key || generic.Kind != KindPromoted || generic.Job != "app" {
		t.Fatalf("json body %s, want the event", b)
	}
}

func TestBackoff(t *testing.T) {
	d := &Dispatcher{RetryBase: time.Second, MaxBackoff: 5 * time.Second}
	var got []time.Duration
	for n := 1; n <= 5; n++ {
		got = append(got, d.backoff(n))
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}; !slices.Equal(got, want) {
		t.Fatalf("backoff = %v, want %v", got, want)
	}
}

// TestTruncate: what a receiver answers goes into the log as printable
// UTF-8 (PostgreSQL refuses NUL and invalid UTF-8), cut between characters.
func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"fine", 100, "fine"},
		{"nul\x00and\nnewline", 100, "nul and newline"},
		{"bad \xff byte", 100, "bad ? byte"},
		{"ééééé", 5, "éé…"}, // 2 bytes each: two fit in 5
	} {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
