package install

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// saMount is where a pod's ServiceAccount token and CA are mounted; client-go's
// in-cluster config reads them there.
const saMount = "/var/run/secrets/kubernetes.io/serviceaccount"

// inPod is the command prefix that runs the server as if in a pod: in its own
// mount namespace, with dir (token, ca.crt, namespace) mounted at saMount.
// /run is a fresh tmpfs there, so nothing of the machine's is touched.
func inPod(dir string) []string {
	script := `mount -t tmpfs tmpfs /run && mkdir -p ` + saMount + ` && mount --bind "$0" ` + saMount + ` && exec "$@"`
	return []string{"unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, dir}
}

// TestInCluster runs `switchyard serve --in-cluster home` as in a pod of the
// local cluster: the chart's ServiceAccount token and the cluster's CA
// mounted where pods have them and KUBERNETES_SERVICE_HOST/PORT naming the
// API server. The server registers the cluster, reaches it with that
// token, and stores nothing secret; a restart keeps the one registration.
func TestInCluster(t *testing.T) {
	skip := t.Skip
	if os.Getenv("SWITCHYARD_REQUIRE_TOOLS") == "1" { // make test: a missing tool is a failure
		skip = t.Fatal
	}
	if os.Getuid() != 0 {
		skip("needs root for a mount namespace (unshare --mount)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		skip("needs unshare (util-linux)")
	}
	kubeconfig := testenv.Kubeconfig(t)
	kc, _ := testenv.Clients(t, kubeconfig)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	saNS, sa := chartServiceAccount(t, kubeconfig, kc)
	tok := token(ctx, t, kc, saNS, sa)
	admin := testenv.RESTConfig(t, kubeconfig)
	u, err := url.Parse(admin.Host)
	if err != nil {
		t.Fatal(err)
	}
	ca := admin.CAData
	if len(ca) == 0 {
		if ca, err = os.ReadFile(admin.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	mount := t.TempDir()
	for name, body := range map[string][]byte{"token": []byte(tok), "ca.crt": ca, "namespace": []byte(saNS)} {
		if err := os.WriteFile(filepath.Join(mount, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"KUBERNETES_SERVICE_HOST=" + u.Hostname(), "KUBERNETES_SERVICE_PORT=" + u.Port(), "SWITCHYARD_IN_CLUSTER=home"}
	appNS := testenv.Namespace(t, kc, "in-cluster-app")
	makeApp(ctx, t, kc, appNS)

	s := startServer(t, "", inPod(mount), env)
	c := s.admin(t)
	t.Run("registered and reachable", func(t *testing.T) {
		cl, err := c.Cluster(ctx, "home")
		if err != nil || !cl.Status.Reachable || !cl.Status.ArgoInstalled || cl.Status.KubernetesVersion == "" {
			t.Fatalf("cluster home = %+v, %v; want reachable, with its version and Argo Rollouts", cl, err)
		}
		if log := s.logText(t); !strings.Contains(log, `msg="in-cluster cluster registered" cluster=home`) || !strings.Contains(log, "server="+admin.Host) {
			t.Errorf("the server log does not say it registered home in-cluster at %s:\n%s", admin.Host, log)
		}
	})
	t.Run("reads the cluster with the pod's token", func(t *testing.T) {
		if _, err := c.CreateWorkspace(ctx, client.NewWorkspace{Name: "team"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateBinding(ctx, "team", client.NewBinding{Cluster: "home", Namespace: appNS}); err != nil {
			t.Fatal(err)
		}
		deps, err := c.Deployments(ctx, "team", "home", appNS)
		if err != nil || len(deps) != 1 || deps[0].Name != "web" {
			t.Fatalf("Deployments of %s = %+v, %v; want web", appNS, deps, err)
		}
	})
	s.stop()
	t.Run("restart keeps one registration", func(t *testing.T) {
		s2 := startServer(t, s.dir, inPod(mount), env, "--in-cluster", "home")
		cs, err := s2.admin(t).Clusters(ctx)
		if err != nil || len(cs) != 1 || cs[0].Name != "home" {
			t.Fatalf("clusters after restart = %+v, %v; want only home", cs, err)
		}
		s2.stop()
	})
	t.Run("nothing secret stored", func(t *testing.T) { checkNothingStored(ctx, t, s.dir, tok, ca) })
}

// checkNothingStored opens the stopped server's store: the cluster is marked
// in-cluster with no kubeconfig, and no file of the data directory holds
// the token or the CA.
func checkNothingStored(ctx context.Context, t *testing.T, dir, tok string, ca []byte) {
	st, err := store.Open(ctx, store.Options{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.GetClusterByName(ctx, "home")
	if err != nil || !c.InCluster || len(c.SealedKubeconfig) != 0 {
		t.Fatalf("stored cluster home = in-cluster %v with %d bytes of kubeconfig, %v; want in-cluster and none", c.InCluster, len(c.SealedKubeconfig), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || e.IsDir() {
			continue
		}
		if bytes.Contains(b, []byte(tok)) || bytes.Contains(b, bytes.TrimSpace(ca)[30:90]) {
			t.Errorf("%s holds the ServiceAccount token or CA", e.Name())
		}
	}
}
