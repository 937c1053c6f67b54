package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/testenv"
)

// secretToken is the credential of unreachableKubeconfig: it must never
// come back from the API or reach the audit log.
const secretToken = "sy-test-kubeconfig-secret-7f3a9c"

// unreachableKubeconfig is a self-contained kubeconfig for a port nothing
// listens on (port 1 needs root to listen): probes fail at once with
// "connection refused".
const unreachableKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: gone
  cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
users:
- name: gone
  user:
    token: ` + secretToken + `
contexts:
- name: gone
  context:
    cluster: gone
    user: gone
current-context: gone
`

// flattened returns a kubeconfig file in the self-contained form the API
// takes (kubectl config view --flatten), and the secrets in it.
func flattened(t *testing.T, path string) (string, []string) {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		t.Fatal(err)
	}
	raw, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A leak would show the data as the kubeconfig has it (base64) or
	// decoded (PEM lines, a token): look for a piece of each.
	var secrets []string
	for _, u := range cfg.AuthInfos {
		for _, b := range [][]byte{u.ClientKeyData, u.ClientCertificateData, []byte(u.Token)} {
			if len(b) < 80 {
				continue
			}
			enc := base64.StdEncoding.EncodeToString(b)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			secrets = append(secrets, enc[len(enc)/2:len(enc)/2+40], lines[len(lines)/2])
		}
	}
	if len(secrets) == 0 {
		t.Fatalf("%s has no credentials to look for", path)
	}
	return string(raw), secrets
}

// recorder keeps every response body a client receives.
type recorder struct {
	mu     sync.Mutex
	bodies []string
}

// RoundTrip implements http.RoundTripper.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	r.bodies = append(r.bodies, req.Method+" "+req.URL.Path+" → "+string(body))
	r.mu.Unlock()
	return resp, err
}

// leaks returns the recorded responses that contain any of secrets.
func (r *recorder) leaks(secrets []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		for _, s := range secrets {
			if strings.Contains(b, s) {
				out = append(out, b)
			}
		}
	}
	return out
}

// recordedLogin signs in with a client whose responses rec keeps.
func (e *env) recordedLogin(username, password string, rec *recorder) *client.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := e.client(client.WithHTTPClient(&http.Client{Jar: jar, Transport: rec}))
	if _, err := c.Login(context.Background(), username, password); err != nil {
		e.t.Fatalf("login %s: %v", username, err)
	}
	return c
}

// TestClustersAndPickers registers the two local clusters and an unreachable
// one through the API, then reads the pickers as workspace members: Argo and
// Istio detected (or not), only bound namespaces visible, Services marked
// against a Deployment, an unreachable cluster answered with its error, and
// never a credential in any answer or in the audit log.
func TestClustersAndPickers(t *testing.T) {
	withArgo, noArgo := testenv.Kubeconfig(t), testenv.KubeconfigNoArgo(t)
	kcArgo, secrets := flattened(t, withArgo)
	kcNoArgo, secrets2 := flattened(t, noArgo)
	secrets = append(append(secrets, secrets2...), secretToken)
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		rec := &recorder{}
		admin := e.recordedLogin("admin", adminPassword, rec)
		registerClusters(t, admin, kcArgo, kcNoArgo)

		e.user("ed", false)
		e.user("vi", false)
		e.user("out", false)
		ed, vi, out := e.recordedLogin("ed", "password-ed", rec), e.recordedLogin("vi", "password-vi", rec), e.recordedLogin("out", "password-out", rec)
		ws := e.workspace(map[string]string{"ed": client.RoleEditor, "vi": client.RoleViewer})
		other := e.workspace(map[string]string{"out": client.RoleAdmin})
		for _, b := range []struct{ ws, cluster, ns string }{
			{ws, "switchyard", "demo"}, {ws, "switchyard-2", "demo"}, {ws, "gone", "demo"}, {other, "switchyard", "kube-system"},
		} {
			if _, err := admin.CreateBinding(ctx, b.ws, client.NewBinding{Cluster: b.cluster, Namespace: b.ns}); err != nil {
				t.Fatalf("bind %s/%s to %s: %v", b.cluster, b.ns, b.ws, err)
			}
		}

		t.Run("cluster routes are platform admins' only", func(t *testing.T) {
			for name, c := range map[string]*client.Client{"editor": ed, "viewer": vi, "outsider": out} {
				tries := map[string]error{}
				_, tries["list"] = c.Clusters(ctx)
				_, tries["get"] = c.Cluster(ctx, "switchyard")
				_, tries["create"] = c.CreateCluster(ctx, client.NewCluster{Name: "mine", Kubeconfig: unreachableKubeconfig})
				_, tries["probe"] = c.ProbeCluster(ctx, "switchyard")
				_, tries["update"] = c.UpdateCluster(ctx, "switchyard", client.ClusterUpdate{ArgoInstanceID: ptr("mine")})
				tries["delete"] = c.DeleteCluster(ctx, "gone")
				for what, err := range tries {
					wantStatus(t, name+" "+what, err, 403)
				}
			}
		})
		t.Run("argo instance ID", func(t *testing.T) {
			_, err := admin.CreateCluster(ctx, client.NewCluster{Name: "tenant", Kubeconfig: unreachableKubeconfig, ArgoInstanceID: "Not valid!"})
			if ce := wantStatus(t, "create with a bad instance ID", err, 422); ce != nil && ce.Field != "argo_instance_id" {
				t.Errorf("field %q, want argo_instance_id", ce.Field)
			}
			if _, err := admin.Cluster(ctx, "tenant"); client.StatusOf(err) != 404 {
				t.Errorf("a refused registration left cluster tenant: %v", err)
			}
			c, err := admin.CreateCluster(ctx, client.NewCluster{Name: "tenant", Kubeconfig: unreachableKubeconfig, ArgoInstanceID: "team-a"})
			if err != nil || c.ArgoInstanceID != "team-a" {
				t.Fatalf("create with an instance ID: %+v, %v", c, err)
			}
			c, err = admin.UpdateCluster(ctx, "tenant", client.ClusterUpdate{ArgoInstanceID: ptr("team-b")})
			if err != nil || c.ArgoInstanceID != "team-b" {
				t.Fatalf("update the instance ID: %+v, %v", c, err)
			}
			_, err = admin.UpdateCluster(ctx, "tenant", client.ClusterUpdate{ArgoInstanceID: ptr(strings.Repeat("x", 64))})
			if ce := wantStatus(t, "update with a too long instance ID", err, 422); ce != nil && ce.Field != "argo_instance_id" {
				t.Errorf("field %q, want argo_instance_id", ce.Field)
			}
			if c, err := admin.Cluster(ctx, "tenant"); err != nil || c.ArgoInstanceID != "team-b" {
				t.Errorf("after a refused update: %+v, %v; want team-b kept", c, err)
			}
			_, err = admin.UpdateCluster(ctx, "nope", client.ClusterUpdate{ArgoInstanceID: ptr("x")})
			wantStatus(t, "update a missing cluster", err, 404)
			if err := admin.DeleteCluster(ctx, "tenant"); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("workspace clusters", func(t *testing.T) { checkWorkspaceClusters(t, vi, ed, out, ws, other) })
		t.Run("deployments", func(t *testing.T) { checkDeployments(t, vi, out, ws, other) })
		t.Run("services", func(t *testing.T) { checkServices(t, ed, ws) })
		t.Run("unreachable", func(t *testing.T) {
			_, err := vi.Deployments(ctx, ws, "gone", "demo")
			ce := wantStatus(t, "deployments of gone", err, 503)
			if ce != nil && (ce.Code != "cluster_unreachable" || !strings.Contains(ce.Message, "gone") || !strings.Contains(ce.Message, "connection refused")) {
				t.Errorf("unreachable cluster: %v; want code cluster_unreachable naming gone and the reason", ce)
			}
		})
		t.Run("delete", func(t *testing.T) {
			if err := admin.DeleteCluster(ctx, "gone"); err != nil {
				t.Fatal(err)
			}
			_, err := admin.Cluster(ctx, "gone")
			wantStatus(t, "get deleted cluster", err, 404)
			wcs, err := vi.WorkspaceClusters(ctx, ws)
			if err != nil || len(wcs) != 2 {
				t.Errorf("workspace clusters after delete = %+v, %v; want switchyard and switchyard-2", wcs, err)
			}
		})
		t.Run("audit", func(t *testing.T) {
			events, err := admin.Audit(ctx, client.AuditQuery{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"cluster.create/success/admin", "cluster.create/denied/ed", "cluster.probe/success/admin",
				"cluster.probe/denied/vi", "cluster.delete/success/admin", "cluster.delete/denied/out"} {
				if !hasEvent(events, want) {
					t.Errorf("no %s event in the audit log", want)
				}
			}
			for _, ev := range events {
				for _, s := range secrets {
					if strings.Contains(ev.Detail, s) || strings.Contains(ev.Target, s) {
						t.Errorf("audit event %+v contains a kubeconfig secret", ev)
					}
				}
			}
		})
		if leaks := rec.leaks(secrets); len(leaks) > 0 {
			t.Errorf("%d responses contain a kubeconfig secret, e.g. %.300s", len(leaks), leaks[0])
		}
	})
}

// registerClusters registers switchyard (Argo + Istio), switchyard-2 (neither)
// and gone (unreachable), and checks what their probes found.
func registerClusters(t *testing.T, admin *client.Client, kcArgo, kcNoArgo string) {
	t.Helper()
	ctx := t.Context()
	for _, tt := range []struct {
		name, kubeconfig         string
		reachable, argo, istio   bool
		version, errorContaining string
	}{
		{"switchyard", kcArgo, true, true, true, "v1.34.5", ""},
		{"switchyard-2", kcNoArgo, true, false, false, "v1.34.5", ""},
		{"gone", unreachableKubeconfig, false, false, false, "", "connection refused"},
	} {
		c, err := admin.CreateCluster(ctx, client.NewCluster{Name: tt.name, Kubeconfig: tt.kubeconfig})
		if err != nil {
			t.Fatalf("register %s: %v", tt.name, err)
		}
		st := c.Status
		if c.Name != tt.name || st.Reachable != tt.reachable || st.ArgoInstalled != tt.argo || st.IstioInstalled != tt.istio ||
			st.KubernetesVersion != tt.version || st.ProbedAt == nil || c.CreatedAt.IsZero() {
			t.Errorf("registered %s = %+v; want reachable %v, argo %v, istio %v, kubernetes %q, probed",
				tt.name, c, tt.reachable, tt.argo, tt.istio, tt.version)
		}
		if (tt.errorContaining == "") != (st.Error == "") || !strings.Contains(st.Error, tt.errorContaining) {
			t.Errorf("%s status error = %q, want one containing %q", tt.name, st.Error, tt.errorContaining)
		}
	}
	cs, err := admin.Clusters(ctx)
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if err != nil || !slices.Equal(names, []string{"gone", "switchyard", "switchyard-2"}) {
		t.Errorf("Clusters = %q, %v; want gone, switchyard, switchyard-2", names, err)
	}
	before, err := admin.Cluster(ctx, "switchyard")
	if err != nil {
		t.Fatal(err)
	}
	after, err := admin.ProbeCluster(ctx, "switchyard")
	if err != nil || !after.Status.Reachable || !after.Status.ArgoInstalled || !after.Status.ProbedAt.After(*before.Status.ProbedAt) {
		t.Errorf("ProbeCluster = %+v, %v; want reachable with Argo, probed after %v", after, err, before.Status.ProbedAt)
	}
	_, err = admin.CreateCluster(ctx, client.NewCluster{Name: "switchyard", Kubeconfig: kcArgo})
	wantStatus(t, "register switchyard twice", err, 409)
	_, err = admin.Cluster(ctx, "nope")
	wantStatus(t, "get unknown cluster", err, 404)
}

// checkWorkspaceClusters: members see the workspace's clusters, their
// capabilities and bound namespaces; nobody sees another workspace's.
func checkWorkspaceClusters(t *testing.T, vi, ed, out *client.Client, ws, other string) {
	ctx := t.Context()
	for _, c := range []*client.Client{vi, ed} {
		wcs, err := c.WorkspaceClusters(ctx, ws)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]client.WorkspaceCluster{}
		var names []string
		for _, wc := range wcs {
			got[wc.Name] = wc
			names = append(names, wc.Name)
			if len(wc.Namespaces) != 1 || wc.Namespaces[0].Name != "demo" {
				t.Errorf("%s namespaces = %+v, want only demo", wc.Name, wc.Namespaces)
			}
		}
		if !slices.Equal(names, []string{"gone", "switchyard", "switchyard-2"}) {
			t.Fatalf("workspace clusters = %q, want gone, switchyard, switchyard-2", names)
		}
		if sy := got["switchyard"]; !sy.Available || sy.Reason != "" || !sy.Status.ArgoInstalled || !sy.Status.IstioInstalled {
			t.Errorf("switchyard = %+v; want available with Argo and Istio", sy)
		}
		if sy2 := got["switchyard-2"]; sy2.Available || sy2.Reason != "Argo Rollouts not installed" || !sy2.Status.Reachable {
			t.Errorf("switchyard-2 = %+v; want reachable, unavailable: Argo Rollouts not installed", sy2)
		}
		if g := got["gone"]; g.Available || g.Status.Reachable || !strings.Contains(g.Reason, "connection refused") {
			t.Errorf("gone = %+v; want unavailable, unreachable with the error", g)
		}
	}
	_, err := out.WorkspaceClusters(ctx, ws)
	wantStatus(t, "outsider lists the workspace's clusters", err, 404)
	wcs, err := out.WorkspaceClusters(ctx, other)
	if err != nil || len(wcs) != 1 || wcs[0].Name != "switchyard" || len(wcs[0].Namespaces) != 1 || wcs[0].Namespaces[0].Name != "kube-system" {
		t.Errorf("other workspace's clusters = %+v, %v; want only switchyard/kube-system", wcs, err)
	}
}

// checkDeployments reads the demo Deployments and checks that unbound
// namespaces, clusters and workspaces answer 404.
func checkDeployments(t *testing.T, vi, out *client.Client, ws, other string) {
	ctx := t.Context()
	for _, cl := range []string{"switchyard", "switchyard-2"} {
		ds, err := vi.Deployments(ctx, ws, cl, "demo")
		if err != nil {
			t.Fatalf("deployments of %s/demo: %v", cl, err)
		}
		if len(ds) != 2 || ds[0].Name != "web" || ds[1].Name != "worker" {
			t.Fatalf("deployments of %s/demo = %+v; want web, worker", cl, ds)
		}
		web := ds[0]
		if web.Namespace != "demo" || web.Replicas != 3 || web.ReadyReplicas != 3 ||
			!slices.Equal(web.Images, []string{"example/web:1.0.0"}) || web.PodLabels["app"] != "web" {
			t.Errorf("%s demo/web = %+v; want 3 of 3 ready, image example/web:1.0.0, pod label app=web", cl, web)
		}
	}
	for what, call := range map[string]func() error{
		"unbound namespace":             func() error { _, err := vi.Deployments(ctx, ws, "switchyard", "kube-system"); return err },
		"unknown cluster":               func() error { _, err := vi.Deployments(ctx, ws, "nope", "demo"); return err },
		"outsider":                      func() error { _, err := out.Deployments(ctx, ws, "switchyard", "demo"); return err },
		"namespace bound elsewhere":     func() error { _, err := out.Deployments(ctx, other, "switchyard", "demo"); return err },
		"another workspace's namespace": func() error { _, err := vi.Deployments(ctx, other, "switchyard", "kube-system"); return err },
	} {
		wantStatus(t, what, call(), 404)
	}
	if _, err := out.Deployments(ctx, other, "switchyard", "kube-system"); err != nil {
		t.Errorf("deployments of the outsider's own namespace: %v", err)
	}
}

// checkServices: demo/web selects Deployment web; demo/worker does not
// select Deployment worker, and says why.
func checkServices(t *testing.T, ed *client.Client, ws string) {
	ctx := t.Context()
	byName := func(deployment string) map[string]client.Service {
		svcs, err := ed.Services(ctx, ws, "switchyard", "demo", deployment)
		if err != nil {
			t.Fatalf("services for %q: %v", deployment, err)
		}
		m := map[string]client.Service{}
		for _, s := range svcs {
			m[s.Name] = s
		}
		return m
	}
	web := byName("web")["web"]
	if !web.SelectsDeployment || web.Reason != "" || web.Selector["app"] != "web" || !slices.Equal(web.Ports, []int32{80}) {
		t.Errorf("service web for deployment web = %+v; want selecting, port 80", web)
	}
	worker := byName("worker")["worker"]
	if worker.SelectsDeployment || !strings.Contains(worker.Reason, "worker-legacy") {
		t.Errorf("service worker for deployment worker = %+v; want not selecting, with the reason", worker)
	}
	if none := byName("")["web"]; none.SelectsDeployment {
		t.Errorf("service web with no deployment = %+v; want not selecting", none)
	}
	_, err := ed.Services(ctx, ws, "switchyard", "demo", "nope")
	wantStatus(t, "services for an unknown deployment", err, 404)
}

// TestCreateClusterBadInput: every bad registration is a 4xx naming the
// field, and no answer or audit event repeats the kubeconfig.
func TestCreateClusterBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		rec := &recorder{}
		admin := e.recordedLogin("admin", adminPassword, rec)
		if _, err := admin.CreateCluster(ctx, client.NewCluster{Name: "gone", Kubeconfig: unreachableKubeconfig}); err != nil {
			t.Fatal(err)
		}
		withFile := strings.Replace(unreachableKubeconfig, "insecure-skip-tls-verify: true", "certificate-authority: /etc/ssl/ca.crt", 1)
		withExec := strings.Replace(unreachableKubeconfig, "token: "+secretToken, "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/"+secretToken+"}", 1)
		for _, tt := range []struct {
			name   string
			req    client.NewCluster
			status int
			field  string
		}{
			{"invalid name", client.NewCluster{Name: "Bad_Name", Kubeconfig: unreachableKubeconfig}, 422, "name"},
			{"empty name", client.NewCluster{Kubeconfig: unreachableKubeconfig}, 422, "name"},
			{"long name", client.NewCluster{Name: strings.Repeat("a", 64), Kubeconfig: unreachableKubeconfig}, 422, "name"},
			{"empty kubeconfig", client.NewCluster{Name: "c1"}, 422, "kubeconfig"},
			{"garbage kubeconfig", client.NewCluster{Name: "c1", Kubeconfig: "{{ not yaml " + secretToken}, 422, "kubeconfig"},
			{"not a kubeconfig", client.NewCluster{Name: "c1", Kubeconfig: "just text " + secretToken}, 422, "kubeconfig"},
			{"unknown context", client.NewCluster{Name: "c1", Kubeconfig: unreachableKubeconfig, Context: "nope"}, 422, "context"},
			{"file reference", client.NewCluster{Name: "c1", Kubeconfig: withFile}, 422, "kubeconfig"},
			{"credential plugin", client.NewCluster{Name: "c1", Kubeconfig: withExec}, 422, "kubeconfig"},
			{"kubeconfig over 1 MiB", client.NewCluster{Name: "c1", Kubeconfig: unreachableKubeconfig + "# " + strings.Repeat("x", 1<<20)}, 422, "kubeconfig"},
			{"taken name", client.NewCluster{Name: "gone", Kubeconfig: unreachableKubeconfig}, 409, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := admin.CreateCluster(ctx, tt.req)
				if ce := wantStatus(t, tt.name, err, tt.status); ce != nil && ce.Field != tt.field {
					t.Errorf("%s: field = %q, want %q (%v)", tt.name, ce.Field, tt.field, ce)
				}
			})
		}
		raw := map[string]struct {
			body   string
			status int
		}{
			"unknown field":  {`{"name":"c2","kubeconfig":"x","server":"y"}`, 400},
			"malformed JSON": {`{"name":`, 400},
			"too large":      {`{"name":"c2","kubeconfig":"` + strings.Repeat("x", 3<<20) + `"}`, 413},
		}
		for name, tt := range raw {
			err := admin.Raw(ctx, "POST", "/api/v1/clusters", "application/json", []byte(tt.body), nil)
			wantStatus(t, name, err, tt.status)
		}
		if cs, err := admin.Clusters(ctx); err != nil || len(cs) != 1 {
			t.Errorf("clusters = %+v, %v; want only gone", cs, err)
		}
		events, err := admin.Audit(ctx, client.AuditQuery{Limit: 1000})
		if err != nil || !hasEvent(events, "cluster.create/failure/admin") {
			t.Errorf("audit = %+v, %v; want failed cluster.create events", events, err)
		}
		for _, ev := range events {
			if strings.Contains(ev.Detail, secretToken) {
				t.Errorf("audit event %+v repeats the kubeconfig", ev)
			}
		}
		if leaks := rec.leaks([]string{secretToken}); len(leaks) > 0 {
			t.Errorf("%d responses repeat the kubeconfig, e.g. %.300s", len(leaks), leaks[0])
		}
	})
}

// TestReplaceKubeconfig: PUT /clusters/{name}/kubeconfig stores the new
// credentials in place of the old (the probe sees the new server), keeps the
// cluster's settings, checks the kubeconfig as a registration does, and never
// repeats it.
func TestReplaceKubeconfig(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		rec := &recorder{}
		admin := e.recordedLogin("admin", adminPassword, rec)
		if _, err := admin.CreateCluster(ctx, client.NewCluster{Name: "gone", Kubeconfig: unreachableKubeconfig, ArgoInstanceID: "team-a"}); err != nil {
			t.Fatal(err)
		}
		moved := strings.Replace(unreachableKubeconfig, "https://127.0.0.1:1", "https://127.0.0.1:2", 1)
		cl, err := admin.ReplaceClusterKubeconfig(ctx, "gone", client.KubeconfigUpdate{Kubeconfig: moved})
		if err != nil {
			t.Fatal(err)
		}
		if cl.Status.Reachable || !strings.Contains(cl.Status.Error, "127.0.0.1:2") || cl.ArgoInstanceID != "team-a" {
			t.Errorf("after replace = %+v; want probed at 127.0.0.1:2, instance team-a kept", cl)
		}
		if cl, err := admin.ProbeCluster(ctx, "gone"); err != nil || !strings.Contains(cl.Status.Error, "127.0.0.1:2") {
			t.Errorf("probe after replace = %+v, %v; want the stored kubeconfig to be the new one", cl, err)
		}
		withExec := strings.Replace(unreachableKubeconfig, "token: "+secretToken, "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/"+secretToken+"}", 1)
		for _, tt := range []struct {
			name, cluster string
			req           client.KubeconfigUpdate
			status        int
			field         string
		}{
			{"empty kubeconfig", "gone", client.KubeconfigUpdate{}, 422, "kubeconfig"},
			{"garbage kubeconfig", "gone", client.KubeconfigUpdate{Kubeconfig: "{{ not yaml " + secretToken}, 422, "kubeconfig"},
			{"credential plugin", "gone", client.KubeconfigUpdate{Kubeconfig: withExec}, 422, "kubeconfig"},
			{"unknown context", "gone", client.KubeconfigUpdate{Kubeconfig: unreachableKubeconfig, Context: "nope"}, 422, "context"},
			{"unknown cluster", "nope", client.KubeconfigUpdate{Kubeconfig: unreachableKubeconfig}, 404, ""},
		} {
			_, err := admin.ReplaceClusterKubeconfig(ctx, tt.cluster, tt.req)
			if ce := wantStatus(t, tt.name, err, tt.status); ce != nil && ce.Field != tt.field {
				t.Errorf("%s: field = %q, want %q (%v)", tt.name, ce.Field, tt.field, ce)
			}
		}
		err = admin.Raw(ctx, "PUT", "/api/v1/clusters/gone/kubeconfig", "application/json", []byte(`{"kubeconfig":"x","name":"y"}`), nil)
		wantStatus(t, "unknown field", err, 400)
		if cl, err := admin.Cluster(ctx, "gone"); err != nil || !strings.Contains(cl.Status.Error, "127.0.0.1:2") {
			t.Errorf("after refused replacements = %+v, %v; want the accepted one kept", cl, err)
		}
		events, err := admin.Audit(ctx, client.AuditQuery{Limit: 1000})
		if err != nil || !hasEvent(events, "cluster.kubeconfig/success/admin") || !hasEvent(events, "cluster.kubeconfig/failure/admin") {
			t.Errorf("audit = %+v, %v; want cluster.kubeconfig events", events, err)
		}
		for _, ev := range events {
			if strings.Contains(ev.Detail, secretToken) {
				t.Errorf("audit event %+v repeats the kubeconfig", ev)
			}
		}
		if leaks := rec.leaks([]string{secretToken}); len(leaks) > 0 {
			t.Errorf("%d responses repeat the kubeconfig, e.g. %.300s", len(leaks), leaks[0])
		}
	})
}
