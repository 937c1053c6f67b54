package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/notifications"
	"github.com/switchyard/switchyard/internal/server"
	"github.com/switchyard/switchyard/internal/testenv"
)

// receiver is a webhook endpoint that checks every delivery's signature and
// keeps what it got. failFirst makes it answer 500 to the first tries of
// each delivery.
type receiver struct {
	t         *testing.T
	srv       *httptest.Server
	failFirst int

	mu     sync.Mutex
	secret []byte
	got    []delivery     // accepted deliveries
	tries  map[string]int // by X-Switchyard-Delivery
}

type delivery struct {
	id    string // X-Switchyard-Delivery
	kind  string
	event notifications.Event
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{t: t, failFirst: failFirst, tries: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !notifications.Verify(r.secret, req.Header.Get(notifications.HeaderTimestamp), body, req.Header.Get(notifications.HeaderSignature)) {
		r.t.Errorf("delivery %s: bad signature %q", body, req.Header.Get(notifications.HeaderSignature))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := req.Header.Get(notifications.HeaderDelivery)
	r.tries[id]++
	if r.tries[id] <= r.failFirst {
		http.Error(w, "not now", http.StatusInternalServerError)
		return
	}
	var e notifications.Event
	if err := json.Unmarshal(body, &e); err != nil {
		r.t.Errorf("delivery body %s: %v", body, err)
	}
	if h := req.Header.Get(notifications.HeaderEvent); h != string(e.Kind) {
		r.t.Errorf("%s header %q, body says %q", notifications.HeaderEvent, h, e.Kind)
	}
	r.got = append(r.got, delivery{id: id, kind: string(e.Kind), event: e})
	w.WriteHeader(http.StatusNoContent)
}

// kinds returns the kinds of the events received, in order, and how many
// times each event key arrived.
func (r *receiver) kinds() ([]string, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []string
	per := map[string]int{}
	for _, d := range r.got {
		if per[d.event.Key] == 0 {
			ks = append(ks, d.kind)
		}
		per[d.event.Key]++
	}
	return ks, per
}

// replica runs a full server (HTTP and background work) until the test ends.
func replica(t *testing.T, opts server.Options) string {
	t.Helper()
	s, err := server.New(t.Context(), opts, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	server.SetNotificationTimings(s, 200*time.Millisecond, 100*time.Millisecond, 2*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Serve(ctx, ln, slog.New(slog.DiscardHandler)); err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		s.Close()
	})
	url := "http://" + ln.Addr().String()
	testenv.WaitReady(t, url)
	return url
}

var analysisTemplateGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "analysistemplates"}

// TestNotificationsTwoReplicas runs two replicas on one PostgreSQL database
// and a release on the real cluster: awaiting promotion, a promote, a check
// after the switch that fails so that Argo switches back on its own, and the
// job's deletion. A receiver subscribed to every event gets each exactly
// once, signed; one that fails twice gets the third try; one that is down
// shows its failures in the delivery log.
func TestNotificationsTwoReplicas(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	dbURL := testenv.PostgresDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	var urls []string
	for range 2 {
		urls = append(urls, replica(t, server.Options{DataDir: t.TempDir(), DatabaseURL: dbURL, SecretKey: key,
			BcryptCost: bcrypt.MinCost, AdminPassword: "admin-password"}))
	}
	admins := make([]*client.Client, 2)
	for i, u := range urls {
		admins[i] = newClient(t, u)
		if _, err := admins[i].Login(ctx, "admin", "admin-password"); err != nil {
			t.Fatal(err)
		}
	}
	kc, dyn := testenv.Clients(t, kubeconfig)
	ns := testenv.Namespace(t, kc, "notify")
	testenv.App(ctx, t, kc, ns, "app", 2, nil)
	const ws = "team"
	mustDo(t, func() error {
		_, err := admins[0].CreateCluster(ctx, client.NewCluster{Name: "local", Kubeconfig: string(testenv.FlatKubeconfig(t, kubeconfig))})
		return err
	})
	mustDo(t, func() error { _, err := admins[0].CreateWorkspace(ctx, client.NewWorkspace{Name: ws}); return err })
	mustDo(t, func() error {
		_, err := admins[0].CreateBinding(ctx, ws, client.NewBinding{Cluster: "local", Namespace: ns})
		return err
	})

	good, flaky := newReceiver(t, 0), newReceiver(t, 2)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL + "/hook"
	down.Close() // nothing listens there any more
	subscribe := func(c *client.Client, url string, events ...string) *client.Notification {
		t.Helper()
		n, err := c.CreateNotification(ctx, ws, client.NewNotification{URL: url, Events: events})
		if err != nil || n.Secret == "" {
			t.Fatalf("subscribe %s: %+v, %v; want one with a secret", url, n, err)
		}
		return n
	}
	good.secret = []byte(subscribe(admins[0], good.srv.URL+"/all").Secret)
	flaky.secret = []byte(subscribe(admins[1], flaky.srv.URL+"/flaky", "awaiting-promotion").Secret)
	downSub := subscribe(admins[0], downURL, "awaiting-promotion")

	// The job, made through replica 2; its check after the switch always fails.
	mustDo(t, func() error {
		_, err := admins[1].CreateJob(ctx, ws, client.NewJob{Name: "app-bg", Cluster: "local", Namespace: ns, Deployment: "app", Service: "app"})
		return err
	})
	waitJob(ctx, t, admins[0], ws, "Healthy")
	check := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok": false}`)
	}))
	t.Cleanup(check.Close)
	failingCheck(ctx, t, dyn, ns, check.URL)

	mustDo(t, func() error {
		_, err := admins[0].Deploy(ctx, ws, "app-bg", map[string]string{"app": "example/app:2"})
		return err
	})
	waitJob(ctx, t, admins[1], ws, "Awaiting promotion")
	mustDo(t, func() error { _, err := admins[1].Promote(ctx, ws, "app-bg", false); return err })
	// Argo runs the check after the switch, sees it fail and switches back by itself.
	waitJob(ctx, t, admins[0], ws, "Aborted")
	mustDo(t, func() error { _, err := admins[0].DeleteJob(ctx, ws, "app-bg", false); return err })

	want := []string{"awaiting-promotion", "promoted", "check-failed", "switched-back", "deleted"}
	testenv.Eventually(ctx, t, "every event at the receiver", func() bool {
		ks, _ := good.kinds()
		return len(ks) >= len(want)
	}, func() string { ks, _ := good.kinds(); return fmt.Sprint(ks) })
	// Both replicas sweep every 2 s: give a duplicate time to show.
	time.Sleep(5 * time.Second)

	t.Run("exactly one signed delivery per event", func(t *testing.T) {
		ks, per := good.kinds()
		sorted := slices.Clone(ks)
		sort.Strings(sorted)
		wantSorted := slices.Clone(want)
		sort.Strings(wantSorted)
		if !slices.Equal(sorted, wantSorted) {
			t.Errorf("events received %v, want %v", ks, want)
		}
		for k, n := range per {
			if n != 1 {
				t.Errorf("event %s delivered %d times, want once", k, n)
			}
		}
	})
	t.Run("the check and the switch back say what happened", func(t *testing.T) {
		good.mu.Lock()
		defer good.mu.Unlock()
		for _, d := range good.got {
			switch d.kind {
			case "check-failed":
				if d.event.Check != "error-rate" || !strings.Contains(d.event.Text, "error-rate") {
					t.Errorf("check-failed event %+v, want it to name check error-rate", d.event)
				}
			case "switched-back":
				if d.event.Revision != 1 || !slices.Equal(d.event.Images, []string{"example/app:1"}) {
					t.Errorf("switched-back event %+v, want revision 1 (example/app:1)", d.event)
				}
			}
		}
	})
	t.Run("a receiver that fails twice gets the third try", func(t *testing.T) {
		flaky.mu.Lock()
		got, tries := len(flaky.got), flaky.tries
		flaky.mu.Unlock()
		if got != 1 {
			t.Fatalf("flaky receiver accepted %d deliveries, want 1", got)
		}
		for id, n := range tries {
			if n != 3 {
				t.Errorf("delivery %s tried %d times, want 3", id, n)
			}
		}
		subs, err := admins[0].Notifications(ctx, ws)
		if err != nil {
			t.Fatal(err)
		}
		log, err := admins[0].NotificationDeliveries(ctx, ws, subs[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		var outcomes []string
		for _, a := range slices.Backward(log) {
			outcomes = append(outcomes, fmt.Sprintf("%d:%s:%d", a.Attempt, a.Outcome, a.StatusCode))
		}
		if w := []string{"1:retrying:500", "2:retrying:500", "3:delivered:204"}; !slices.Equal(outcomes, w) {
			t.Errorf("delivery log %v, want %v", outcomes, w)
		}
	})
	t.Run("a receiver that is down shows its failures", func(t *testing.T) {
		log, err := admins[1].NotificationDeliveries(ctx, ws, downSub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) < 2 {
			t.Fatalf("delivery log %+v, want at least two failed attempts", log)
		}
		for _, a := range log {
			if a.StatusCode != 0 || a.Error == "" || a.Outcome == "delivered" || strings.Contains(a.Error, downURL) {
				t.Errorf("attempt %+v, want a failure with no answer, its error without the URL", a)
			}
		}
	})
}

// waitJob waits until the job shows phase.
func waitJob(ctx context.Context, t *testing.T, c *client.Client, ws, phase string) {
	t.Helper()
	var last string
	testenv.Eventually(ctx, t, "job phase "+phase, func() bool {
		j, err := c.Job(ctx, ws, "app-bg")
		if err != nil {
			last = err.Error()
			return false
		}
		last = j.Phase + ": " + j.Message
		return j.Phase == phase
	}, func() string { return last })
}

// failingCheck gives the job's Rollout an analysis after the switch (the
// checks feature writes these; here it is written by hand) whose web metric
// "error-rate" fails: the URL answers {"ok": false}.
func failingCheck(ctx context.Context, t *testing.T, dyn dynamic.Interface, ns, url string) {
	t.Helper()
	tmpl := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
		"metadata": map[string]any{"name": "error-rate"},
		"spec": map[string]any{"metrics": []any{map[string]any{
			"name": "error-rate", "count": int64(1), "failureLimit": int64(0), "successCondition": "result == true",
			"provider": map[string]any{"web": map[string]any{"url": url, "jsonPath": "{$.ok}"}},
		}}},
	}}
	if _, err := dyn.Resource(analysisTemplateGVR).Namespace(ns).Create(ctx, tmpl, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create analysis template: %v", err)
	}
	patch := `{"spec":{"strategy":{"blueGreen":{"postPromotionAnalysis":{"templates":[{"templateName":"error-rate"}]}}}}}`
	if _, err := dyn.Resource(cluster.RolloutGVR).Namespace(ns).Patch(ctx, "app-bg", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("patch rollout: %v", err)
	}
}
