package install

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/registration"
	"github.com/switchyard/switchyard/internal/testenv"
)

// TestChartRBAC proves the chart's RBAC sufficient and minimal: a real
// server whose only credential is a token of the chart's ServiceAccount
// carries a job through create → deploy → promote → rollback → delete, with
// no request refused; every right the ClusterRole grants was used on the way
// (a recording proxy between the server and the API server sees each
// request); and the same token may not read Secrets.
func TestChartRBAC(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	kc, _ := testenv.Clients(t, kubeconfig)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	saNS, sa := chartServiceAccount(t, kubeconfig, kc)
	tok := token(ctx, t, kc, saNS, sa)
	admin := testenv.RESTConfig(t, kubeconfig)
	t.Run("token may not read Secrets", func(t *testing.T) { checkNoSecrets(ctx, t, admin, tok) })

	rec := startRecorder(t, admin)
	s := runJobWith(ctx, t, kc, rec.kubeconfig(t, tok))
	t.Run("nothing refused", func(t *testing.T) {
		if refused := rec.refused(); len(refused) > 0 {
			t.Errorf("the API server refused %s", strings.Join(refused, ", "))
		}
		if lines := forbiddenLines(s.logText(t)); lines != "" {
			t.Errorf("the server log reports refusals:\n%s", lines)
		}
	})
	t.Run("every right used", func(t *testing.T) {
		used := rec.used()
		for _, g := range grants(cluster.Permissions) {
			if !used[g] && raceOnly[g] == "" {
				t.Errorf("the ClusterRole grants %q, which a job's whole life never used", g)
			}
		}
	})
}

// runJobWith starts a server, registers the cluster with kubeconfig as "sa"
// and runs a job's whole life there on a fresh application.
func runJobWith(ctx context.Context, t *testing.T, kc kubernetes.Interface, kubeconfig []byte) *server {
	t.Helper()
	appNS := testenv.Namespace(t, kc, "job-app")
	makeApp(ctx, t, kc, appNS)
	s := startServer(t, "", nil, nil)
	c := s.admin(t)
	cl, err := c.CreateCluster(ctx, client.NewCluster{Name: "sa", Kubeconfig: string(kubeconfig)})
	if err != nil || !cl.Status.Reachable || !cl.Status.ArgoInstalled {
		t.Fatalf("register the cluster with the ServiceAccount's token: %+v, %v; want reachable with Argo Rollouts", cl, err)
	}
	if _, err := c.CreateWorkspace(ctx, client.NewWorkspace{Name: "team"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBinding(ctx, "team", client.NewBinding{Cluster: "sa", Namespace: appNS}); err != nil {
		t.Fatal(err)
	}
	jobLifecycle(ctx, t, c, "team", appNS)
	return s
}

// TestRegisteredServiceAccount runs a job with the kubeconfig
// registration.Add makes (what `cluster add --context` will use), then
// removes what Add created.
func TestRegisteredServiceAccount(t *testing.T) {
	path := testenv.Kubeconfig(t)
	kc, _ := testenv.Clients(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := testenv.Namespace(t, kc, "registration")
	r, err := registration.New(path, "", registration.Plan{Namespace: ns, ServiceAccount: registration.DefaultName, ClusterRole: registration.DefaultName + "-" + ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Remove(context.Background()) })
	kubeconfig, err := r.Add(ctx, "sa")
	if err != nil {
		t.Fatal(err)
	}
	s := runJobWith(ctx, t, kc, kubeconfig)
	if lines := forbiddenLines(s.logText(t)); lines != "" {
		t.Errorf("the server log reports refusals:\n%s", lines)
	}
	if err := r.Remove(ctx); err != nil {
		t.Fatalf("remove: %v", err)
	}
}

// raceOnly are rights the code uses only when it wins a race, and so not on
// every run: granted because it may need them, each with the reason.
var raceOnly = map[string]string{
	"/services delete": "the preview Service is owned by the Rollout: the garbage collector may delete it before Switchyard does",
}

// checkNoSecrets checks that the token is refused reading Secrets, in any
// namespace and in its own, while it may list Rollouts.
func checkNoSecrets(ctx context.Context, t *testing.T, admin *rest.Config, tok string) {
	rc := rest.AnonymousClientConfig(admin)
	rc.BearerToken = tok
	kc, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list Secrets in every namespace: %v, want forbidden", err)
	}
	if _, err := kc.CoreV1().Secrets("kube-system").Get(ctx, "any", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("get a Secret in kube-system: %v, want forbidden", err)
	}
	if _, err := kc.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list ConfigMaps: %v, want forbidden", err)
	}
	if _, err := kc.CoreV1().Namespaces().List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		t.Errorf("list namespaces with the token: %v, want allowed", err)
	}
}

// makeApp creates Deployment "web" (2 replicas, container "app") and
// Service "web" selecting it, and waits for the Deployment to be ready.
func makeApp(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns string) {
	t.Helper()
	const replicas = 2
	testenv.App(ctx, t, kc, ns, "web", replicas, nil)
	testenv.Eventually(ctx, t, "Deployment web ready", func() bool {
		d, err := kc.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && d.Status.ReadyReplicas == replicas
	})
}

// jobLifecycle runs a job through create → deploy → promote → rollback →
// delete through the public client, each step waiting for its outcome.
func jobLifecycle(ctx context.Context, t *testing.T, c *client.Client, ws, ns string) {
	const job = "web"
	steps := []struct {
		name string
		do   func() error
		done func(j *client.Job) bool
	}{
		{"create", func() error {
			_, err := c.CreateJob(ctx, ws, client.NewJob{Name: job, Cluster: "sa", Namespace: ns, Deployment: "web", Service: "web"})
			return err
		}, phase(client.PhaseHealthy, "example/app:1")},
		// Checks are AnalysisTemplates the job applies, owns and deletes; set and
		// removed before a release, so that no check runs (nothing answers it here).
		{"set checks", func() error {
			_, err := c.SetChecks(ctx, ws, job, []client.Check{{Name: "smoke", Kind: "http", When: "after", URL: "http://{{preview}}/healthz"}}, false)
			return err
		}, phase(client.PhaseHealthy, "example/app:1")},
		{"remove checks", func() error { _, err := c.SetChecks(ctx, ws, job, nil, false); return err },
			phase(client.PhaseHealthy, "example/app:1")},
		{"deploy", func() error { _, err := c.Deploy(ctx, ws, job, map[string]string{"app": "example/app:2"}); return err },
			phase(client.PhaseAwaitingPromotion, "example/app:1")},
		{"promote", func() error { _, err := c.Promote(ctx, ws, job, false); return err },
			phase(client.PhaseHealthy, "example/app:2")},
		{"rollback", func() error { _, err := c.Rollback(ctx, ws, job, 0); return err },
			phase(client.PhaseHealthy, "example/app:1")},
		{"delete", func() error { _, err := c.DeleteJob(ctx, ws, job, false); return err }, nil},
	}
	for _, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			var last *client.Job
			testenv.Eventually(ctx, t, st.name+" done", func() bool {
				j, err := c.Job(ctx, ws, job)
				if st.done == nil { // deleted: gone or marked so
					return client.StatusOf(err) == http.StatusNotFound || (err == nil && j.Phase == client.PhaseDeleted)
				}
				last = j
				return err == nil && st.done(j)
			}, func() string { return jobString(last) })
		})
		if !ok {
			return
		}
		if st.name == "create" {
			// Argo tells a roll back from a roll forward by its ReplicaSets' creation
			// times, which have one-second resolution (see release.TestFullPath):
			// blue and green must not be made within the same second.
			time.Sleep(1100 * time.Millisecond)
		}
	}
}

// phase is a job in the phase with image as its active one.
func phase(p, image string) func(j *client.Job) bool {
	return func(j *client.Job) bool { return j.Phase == p && slices.Equal(j.ActiveImages, []string{image}) }
}

func jobString(j *client.Job) string {
	if j == nil {
		return "no job read"
	}
	return "phase " + j.Phase + " (" + j.Message + j.StaleReason + "), active " + strings.Join(j.ActiveImages, ",") + ", preview " + strings.Join(j.PreviewImages, ",")
}

// recorder is a TLS reverse proxy to the API server that records, for every
// request, the right it needs ("group/resource verb", as RBAC names them)
// and whether it was refused.
type recorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	hit map[string]bool // right → used
	no  map[string]bool // right → refused at least once
}

func startRecorder(t *testing.T, admin *rest.Config) *recorder {
	t.Helper()
	target, err := url.Parse(admin.Host)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rest.TransportFor(rest.AnonymousClientConfig(admin))
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{hit: map[string]bool{}, no: map[string]bool{}}
	proxy := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.Out.Host = target.Host },
		Transport:     tr,
		FlushInterval: -1, // watches stream
	}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// Recorded before and after: a watch lasts as long as the server runs.
		r.record(req, 0)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(sw, req)
		r.record(req, sw.status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// kubeconfig is a self-contained kubeconfig reaching the API server through
// the recorder with token.
func (r *recorder) kubeconfig(t *testing.T, token string) []byte {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
	cfg := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"c": {Server: r.srv.URL, CertificateAuthorityData: ca}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"sa": {Token: token}},
		Contexts:       map[string]*clientcmdapi.Context{"sa": {Cluster: "c", AuthInfo: "sa"}},
		CurrentContext: "sa",
	}
	raw, err := clientcmd.Write(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (r *recorder) record(req *http.Request, status int) {
	rights := rightsOf(req, status)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range rights {
		r.hit[g] = true
		if status == http.StatusForbidden {
			r.no[g] = true
		}
	}
}

func (r *recorder) used() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps(r.hit)
}

func (r *recorder) refused() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for g := range r.no {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

func maps(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// rightsOf names the RBAC rights a resource request needs, as the API
// server's authorizer sees them; discovery and other non-resource paths
// need none. A server-side apply that created its object (201) needed
// create as well as patch.
func rightsOf(req *http.Request, status int) []string {
	group, resource, name, ok := resourceOf(req.URL.Path)
	if !ok {
		return nil
	}
	var verb string
	switch req.Method {
	case http.MethodGet:
		switch {
		case req.URL.Query().Get("watch") == "true" || req.URL.Query().Get("watch") == "1":
			verb = "watch"
		case name != "":
			verb = "get"
		default:
			verb = "list"
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
		if name == "" {
			verb = "deletecollection"
		}
	default:
		return nil
	}
	rights := []string{group + "/" + resource + " " + verb}
	if verb == "patch" && status == http.StatusCreated && strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch") {
		rights = append(rights, group+"/"+resource+" create")
	}
	return rights
}

// resourceOf parses /api/v1/… and /apis/GROUP/VERSION/… paths into the
// group, the resource (with its subresource: rollouts/status) and the name.
func resourceOf(path string) (group, resource, name string, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		group, parts = parts[1], parts[3:]
	default:
		return "", "", "", false
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		parts = parts[2:]
	}
	resource = parts[0]
	if len(parts) >= 2 {
		name = parts[1]
	}
	if len(parts) >= 3 {
		resource += "/" + parts[2]
	}
	return group, resource, name, true
}

// statusWriter remembers the status a handler wrote; Unwrap lets the proxy
// flush streamed watches through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
