package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// newManager opens a SQLite store and a key file in dataDir (reused when the
// test passes the same dir again, as a restarted server would).
func newManager(t *testing.T, dataDir string) *Manager {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dataDir}, nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	k, err := LoadKeyring(dataDir, "")
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	m := &Manager{Store: st, Keyring: k, ProbeTimeout: 5 * time.Second, SyncTimeout: 15 * time.Second}
	t.Cleanup(m.Close)
	return m
}

// closedPortKubeconfig is a self-contained kubeconfig for a port nothing
// listens on.
func closedPortKubeconfig(t *testing.T) []byte {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return []byte(strings.Replace(testKubeconfig, "127.0.0.1:6443", addr, 1))
}

func TestRegisterDetectsCapabilities(t *testing.T) {
	ctx := context.Background()
	withArgo, noArgo := testenv.Kubeconfig(t), testenv.KubeconfigNoArgo(t)
	m := newManager(t, t.TempDir())
	tests := []struct {
		name       string
		register   func() (store.Cluster, error)
		argo, isti bool
	}{
		{"switchyard", func() (store.Cluster, error) { return m.RegisterFromPath(ctx, "switchyard", withArgo, "") }, true, true},
		{"switchyard-2", func() (store.Cluster, error) {
			return m.Register(ctx, "switchyard-2", testenv.FlatKubeconfig(t, noArgo), "")
		}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			c, err := tt.register()
			took := time.Since(start)
			if err != nil {
				t.Fatalf("register: %v", err)
			}
			t.Logf("register+probe of %s took %v", tt.name, took)
			st := c.Status
			if !st.Reachable || st.Error != "" || st.KubernetesVersion != "v1.34.5" || st.ProbedAt == nil {
				t.Errorf("status = %+v; want reachable, no error, v1.34.5, probed", st)
			}
			if st.ArgoInstalled != tt.argo || st.IstioInstalled != tt.isti {
				t.Errorf("argo, istio = %v, %v; want %v, %v", st.ArgoInstalled, st.IstioInstalled, tt.argo, tt.isti)
			}
			// The local Argo controller is a process, not a Deployment.
			if st.ArgoVersion != "" {
				t.Errorf("ArgoVersion = %q, want empty (no controller Deployment)", st.ArgoVersion)
			}
			if c.SealedKubeconfig != nil || c.Name != tt.name || c.ID == 0 {
				t.Errorf("returned cluster %q id %d with %d kubeconfig bytes; want %q, an ID and no kubeconfig", c.Name, c.ID, len(c.SealedKubeconfig), tt.name)
			}
			stored, err := m.Store.GetCluster(ctx, c.ID)
			if err != nil || stored.Status.ArgoInstalled != tt.argo || stored.Context == "" {
				t.Errorf("stored = %+v, %v; want argo %v and the context", stored.Status, err, tt.argo)
			}
			raw, _ := os.ReadFile(withArgo)
			if strings.Contains(string(stored.SealedKubeconfig), "apiVersion") || len(stored.SealedKubeconfig) == 0 || len(raw) == 0 {
				t.Error("stored kubeconfig is empty or in clear")
			}
		})
	}
	t.Run("duplicate name", func(t *testing.T) {
		_, err := m.RegisterFromPath(ctx, "switchyard", withArgo, "")
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("second registration error = %v, want store.ErrConflict", err)
		}
	})
	t.Run("probe again", func(t *testing.T) {
		c, _ := m.Store.GetClusterByName(ctx, "switchyard")
		st, err := m.Probe(ctx, c.ID)
		if err != nil || !st.Reachable || !st.ArgoInstalled || !st.ProbedAt.After(*c.Status.ProbedAt) {
			t.Errorf("Probe = %+v, %v; want reachable with Argo, probed later than %v", st, err, c.Status.ProbedAt)
		}
	})
}

func TestRegisterUnreachable(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, t.TempDir())
	start := time.Now()
	c, err := m.Register(ctx, "gone", closedPortKubeconfig(t), "")
	if err != nil {
		t.Fatalf("Register: %v; want the cluster stored as unreachable", err)
	}
	t.Logf("register+probe of a closed port took %v", time.Since(start))
	st := c.Status
	if st.Reachable || !strings.Contains(st.Error, "connection refused") || st.ArgoInstalled || st.KubernetesVersion != "" {
		t.Errorf("status = %+v; want unreachable with a connection-refused error and no capabilities", st)
	}
	_, err = m.Conn(ctx, c.ID)
	var ue *UnreachableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnreachable) || ue.Cluster != "gone" || !strings.Contains(ue.Reason, "connection refused") {
		t.Errorf("Conn error = %v; want an UnreachableError for gone with the probe's reason", err)
	}
	if _, err := m.Conn(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Conn(unknown) error = %v, want store.ErrNotFound", err)
	}
}

func TestRegisterInvalid(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, t.TempDir())
	good := []byte(testKubeconfig)
	tests := []struct {
		name, cluster string
		kubeconfig    []byte
		context       string
		fields        []string
	}{
		{"bad name", "Prod_1", good, "", []string{"name"}},
		{"long name", strings.Repeat("a", 64), good, "", []string{"name"}},
		{"empty kubeconfig", "prod", nil, "", []string{"kubeconfig"}},
		{"garbage kubeconfig", "prod", []byte("::"), "", []string{"kubeconfig"}},
		{"unknown context", "prod", good, "nope", []string{"context"}},
		{"name and kubeconfig", "", []byte("::"), "", []string{"name", "kubeconfig"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Register(ctx, tt.cluster, tt.kubeconfig, tt.context)
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("Register error = %v, want store.ErrInvalid", err)
			}
			for _, f := range tt.fields {
				if !strings.Contains(err.Error(), f+": ") {
					t.Errorf("error %q does not name field %s", err, f)
				}
			}
			var ve *store.ValidationError
			if errors.As(err, &ve); ve == nil || ve.Field != tt.fields[0] {
				t.Errorf("first ValidationError = %v, want one on %s", ve, tt.fields[0])
			}
		})
	}
	if _, err := m.RegisterFromPath(ctx, "prod", testenv.Kubeconfig(t), "no-such-context"); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "context: ") {
		t.Errorf("RegisterFromPath with a bad context: error = %v, want a ValidationError on context", err)
	}
	if cs, _ := m.Clusters(ctx); len(cs) != 0 {
		t.Errorf("%d clusters stored after invalid registrations, want 0", len(cs))
	}
}

func TestPickers(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, t.TempDir())
	c, err := m.RegisterFromPath(ctx, "switchyard", testenv.Kubeconfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	conn, err := m.Conn(ctx, c.ID)
	if err != nil {
		t.Fatalf("Conn: %v", err)
	}
	t.Logf("first Conn (informer cache sync) took %v", time.Since(start))
	start = time.Now()
	if again, err := m.Conn(ctx, c.ID); err != nil || again != conn {
		t.Errorf("second Conn = %p, %v; want the cached %p", again, err, conn)
	}
	t.Logf("cached Conn took %v", time.Since(start))

	if nss := conn.Namespaces(); !slices.Contains(nss, "demo") || !slices.Contains(nss, "default") {
		t.Errorf("Namespaces = %v; want demo and default among them", nss)
	}
	var names []string
	for _, d := range conn.Deployments("demo") {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, []string{"web", "worker"}) {
		t.Errorf("Deployments(demo) = %v, want [web worker]", names)
	}
	if _, err := conn.Deployment("demo", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Deployment(demo, nope) error = %v, want store.ErrNotFound", err)
	}
	if _, err := conn.Services("demo", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Services(demo, nope) error = %v, want store.ErrNotFound", err)
	}
	for _, tt := range []struct {
		deployment string
		want       map[string]bool
	}{
		{"web", map[string]bool{"web": true, "worker": false}},
		{"worker", map[string]bool{"web": false, "worker": false}},
	} {
		svcs, err := conn.Services("demo", tt.deployment)
		if err != nil {
			t.Fatalf("Services(demo, %s): %v", tt.deployment, err)
		}
		got := map[string]bool{}
		for _, s := range svcs {
			got[s.Name] = s.SelectsDeployment
			if !s.SelectsDeployment && s.Reason == "" {
				t.Errorf("service %s does not select %s but gives no reason", s.Name, tt.deployment)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Services(demo, %s) selects = %v, want %v", tt.deployment, got, tt.want)
		}
	}
	if _, err := conn.Rollouts(ctx, "demo"); err != nil {
		t.Errorf("Rollouts(demo) on a cluster with Argo: %v", err)
	}
	if _, err := conn.Rollout(ctx, "demo", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Rollout(demo, nope) error = %v, want store.ErrNotFound", err)
	}
}

// TestCachesFollowTheCluster checks the pickers read a watched cache: a
// Service created after the Conn was built shows up without a new Conn.
// connectLocal registers the local cluster with a fresh Manager and returns
// its Conn and a client of the cluster.
func connectLocal(t *testing.T) (*Conn, kubernetes.Interface) {
	t.Helper()
	kubeconfig := testenv.Kubeconfig(t)
	kc, _ := testenv.Clients(t, kubeconfig)
	m := newManager(t, t.TempDir())
	c, err := m.RegisterFromPath(t.Context(), "switchyard", kubeconfig, "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := m.Conn(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return conn, kc
}

func TestCachesFollowTheCluster(t *testing.T) {
	ctx := context.Background()
	conn, kc := connectLocal(t)
	ns := testenv.Namespace(t, kc, "cluster-test")
	_, err := kc.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "late", Annotations: map[string]string{ManagedByRolloutAnnotation: "bg"}},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "late"}, Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		svcs, _ := conn.Services(ns, "")
		if len(svcs) == 1 && svcs[0].Name == "late" && svcs[0].ManagedByRollout == "bg" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Services(%s) = %+v after 10 s; want the new Service late managed by bg", ns, svcs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !slices.Contains(conn.Namespaces(), ns) {
		t.Errorf("Namespaces() lacks the new namespace %s", ns)
	}
}

func TestNoArgoConn(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, t.TempDir())
	c, err := m.RegisterFromPath(ctx, "switchyard-2", testenv.KubeconfigNoArgo(t), "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := m.Conn(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Rollouts(ctx, "demo"); !errors.Is(err, ErrArgoNotInstalled) {
		t.Errorf("Rollouts on a cluster without Argo: error = %v, want ErrArgoNotInstalled", err)
	}
	if svcs, err := conn.Services("demo", "web"); err != nil || len(svcs) != 2 || !svcs[0].SelectsDeployment || svcs[1].SelectsDeployment {
		t.Errorf("Services(demo, web) = %+v, %v; want web selecting, worker not", svcs, err)
	}
}

// TestRestart checks a new Manager on the same database and key file sees
// and opens the same clusters, and one with another key fails clearly.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := newManager(t, dir)
	c, err := first.RegisterFromPath(ctx, "switchyard", testenv.Kubeconfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Register(ctx, "gone", closedPortKubeconfig(t), ""); err != nil {
		t.Fatal(err)
	}
	first.Close()

	second := newManager(t, dir)
	if err := second.VerifyKeys(ctx); err != nil {
		t.Fatalf("VerifyKeys after restart: %v", err)
	}
	cs, err := second.Clusters(ctx)
	if err != nil || len(cs) != 2 || cs[0].Name != "gone" || cs[1].Name != "switchyard" || cs[1].SealedKubeconfig != nil {
		t.Fatalf("Clusters after restart = %+v, %v; want gone and switchyard without kubeconfigs", cs, err)
	}
	conn, err := second.Conn(ctx, c.ID)
	if err != nil || !slices.Contains(conn.Namespaces(), "demo") {
		t.Fatalf("Conn after restart: %v", err)
	}

	other, err := LoadKeyring(t.TempDir(), base64.StdEncoding.EncodeToString(randomKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	wrong := &Manager{Store: second.Store, Keyring: other}
	t.Cleanup(wrong.Close)
	err = wrong.VerifyKeys(ctx)
	if !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "2 of 2") || !strings.Contains(err.Error(), "cluster switchyard") {
		t.Errorf("VerifyKeys with another key: error = %v; want ErrWrongKey naming both clusters", err)
	}
	if _, err := wrong.Conn(ctx, c.ID); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Conn with another key: error = %v, want ErrWrongKey", err)
	}
	if _, err := wrong.Probe(ctx, c.ID); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Probe with another key: error = %v, want ErrWrongKey", err)
	}
}

// TestReplicas checks that a Manager notices clusters another replica (a
// Manager on the same database) added or removed.
func TestReplicas(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := newManager(t, dir), newManager(t, dir)
	c, err := a.RegisterFromPath(ctx, "switchyard-2", testenv.KubeconfigNoArgo(t), "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := b.Conn(ctx, c.ID)
	if err != nil {
		t.Fatalf("replica b: Conn to a cluster a registered: %v", err)
	}
	if err := a.Remove(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.ProbeAll(ctx); err != nil {
		t.Fatal(err)
	}
	if b.cached(c.ID) != nil {
		t.Error("replica b still holds the Conn of a cluster a removed")
	}
	select {
	case <-conn.stop:
	default:
		t.Error("the removed cluster's Conn was not closed")
	}
	if _, err := b.Conn(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Conn to a removed cluster: error = %v, want store.ErrNotFound", err)
	}
}

// TestReplicaReconnectsOnNewCredentials: when replica a replaces a
// cluster's kubeconfig (cluster rotate-credentials), replica b's next probe
// closes its Conn built with the old one; the next Conn uses the new one.
func TestReplicaReconnectsOnNewCredentials(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := newManager(t, dir), newManager(t, dir)
	path := testenv.KubeconfigNoArgo(t)
	c, err := a.RegisterFromPath(ctx, "switchyard-2", path, "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := b.Conn(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.ProbeAll(ctx); err != nil || b.cached(c.ID) != conn {
		t.Fatalf("probe with unchanged credentials = %v; want the same Conn kept", err)
	}
	if _, err := a.ReplaceKubeconfig(ctx, c.ID, testenv.FlatKubeconfig(t, path), ""); err != nil {
		t.Fatal(err)
	}
	if err := b.ProbeAll(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-conn.stop:
	default:
		t.Error("replica b's Conn with the old credentials was not closed")
	}
	if again, err := b.Conn(ctx, c.ID); err != nil || again == conn {
		t.Errorf("Conn after the replacement = %v; want a new one", err)
	}
}

// TestRun checks the periodic loop probes every cluster, an unreachable one
// included, without one holding up the other.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := newManager(t, t.TempDir())
	m.ProbeInterval = 100 * time.Millisecond
	ok, err := m.RegisterFromPath(ctx, "switchyard", testenv.Kubeconfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := m.Register(ctx, "gone", closedPortKubeconfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, _ := m.Store.GetCluster(ctx, ok.ID)
		b, _ := m.Store.GetCluster(ctx, gone.ID)
		if a.Status.ProbedAt.After(*ok.Status.ProbedAt) && b.Status.ProbedAt.After(*gone.Status.ProbedAt) {
			if !a.Status.Reachable || b.Status.Reachable || b.Status.Error == "" {
				t.Errorf("after Run: switchyard %+v, gone %+v; want reachable and unreachable with an error", a.Status, b.Status)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not re-probe both clusters within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// TestArgoDetectedLater checks that a Conn built while Argo was not known to
// be installed starts its Rollout cache once a probe finds Argo, and stops it
// when Argo goes away.
func TestArgoDetectedLater(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, t.TempDir())
	c, err := m.RegisterFromPath(ctx, "switchyard", testenv.Kubeconfig(t), "")
	if err != nil {
		t.Fatal(err)
	}
	// Pretend the last probe predates the Argo install.
	st := c.Status
	st.ArgoInstalled = false
	if err := m.Store.UpdateClusterStatus(ctx, c.ID, st); err != nil {
		t.Fatal(err)
	}
	conn, err := m.Conn(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Rollouts(ctx, "demo"); !errors.Is(err, ErrArgoNotInstalled) {
		t.Fatalf("Rollouts before Argo was detected: error = %v, want ErrArgoNotInstalled", err)
	}
	if st, err := m.Probe(ctx, c.ID); err != nil || !st.ArgoInstalled {
		t.Fatalf("Probe = %+v, %v; want Argo detected", st, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := conn.Rollouts(wctx, "demo"); err != nil {
		t.Errorf("Rollouts after Argo was detected: %v", err)
	}
	conn.setArgo(false)
	if _, err := conn.Rollouts(ctx, "demo"); !errors.Is(err, ErrArgoNotInstalled) {
		t.Errorf("Rollouts after Argo went away: error = %v, want ErrArgoNotInstalled", err)
	}
}

// TestCachesHoldOnlyRollouts checks that the pod and event caches keep what
// Argo Rollouts made or reported and nothing else, so that memory follows
// what Switchyard manages, not the cluster's size.
func TestCachesHoldOnlyRollouts(t *testing.T) {
	ctx := t.Context()
	conn, kc := connectLocal(t)
	ns := testenv.Namespace(t, kc, "cache-scope")
	pod := func(name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example/x:1"}}}}
	}
	event := func(name, kind string) *corev1.Event {
		return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: name},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Name: "x", Namespace: ns}, Reason: "Test", Type: corev1.EventTypeNormal}
	}
	for _, p := range []*corev1.Pod{pod("plain", map[string]string{"app": "x"}), pod("rollout", map[string]string{"app": "x", RolloutHashLabel: "abc"})} {
		if _, err := kc.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []*corev1.Event{event("about-deployment", "Deployment"), event("about-rollout", "Rollout")} {
		if _, err := kc.CoreV1().Events(ns).Create(ctx, e, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	names := func(list func() ([]string, error)) []string {
		got, err := list()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return got
	}
	podNames := func() ([]string, error) {
		ps, err := conn.Listers.Pods.Pods(ns).List(labels.Everything())
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out, err
	}
	eventNames := func() ([]string, error) {
		es, err := conn.Listers.Events.Events(ns).List(labels.Everything())
		var out []string
		for _, e := range es {
			out = append(out, e.Name)
		}
		return out, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(names(podNames), []string{"rollout"}) || !slices.Equal(names(eventNames), []string{"about-rollout"}) {
		if time.Now().After(deadline) {
			t.Fatalf("cached pods %v and events %v after 10 s; want only the Rollout's pod and event", names(podNames), names(eventNames))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The plain ones must stay out, not merely arrive later.
	time.Sleep(500 * time.Millisecond)
	if got := names(podNames); !slices.Equal(got, []string{"rollout"}) {
		t.Errorf("cached pods %v, want only rollout", got)
	}
	if got := names(eventNames); !slices.Equal(got, []string{"about-rollout"}) {
		t.Errorf("cached events %v, want only about-rollout", got)
	}
}
