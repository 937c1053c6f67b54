// Package testenv gives tests the real services `make test` starts: the local
// Kubernetes clusters and a throw-away PostgreSQL. A test that needs one and does
// not find it skips, unless the matching SWITCHYARD_REQUIRE_* variable is set (as
// `make test` does), in which case it fails: in CI a missing service is an error,
// never a silent skip.
package testenv

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Kubeconfig returns the path of the local cluster that runs Argo Rollouts and
// has the demo workload (hack/cluster/cluster.sh up switchyard).
func Kubeconfig(t testing.TB) string {
	t.Helper()
	return need(t, "SWITCHYARD_TEST_KUBECONFIG", "SWITCHYARD_REQUIRE_CLUSTER", "a local cluster (make cluster-up)")
}

// KubeconfigNoArgo returns the path of the second local cluster, which has the
// demo workload but no Argo Rollouts and no Istio CRDs.
func KubeconfigNoArgo(t testing.TB) string {
	t.Helper()
	return need(t, "SWITCHYARD_TEST_KUBECONFIG_NOARGO", "SWITCHYARD_REQUIRE_CLUSTER", "a second local cluster without Argo (make cluster-up-second)")
}

// ArgoController returns the path of the Argo Rollouts controller binary the
// local clusters run, for tests that start another one (hack/cluster/cluster.sh
// argo-controller prints it).
func ArgoController(t testing.TB) string {
	t.Helper()
	return need(t, "SWITCHYARD_TEST_ARGO_CONTROLLER", "SWITCHYARD_REQUIRE_CLUSTER", "the rollouts-controller binary (hack/cluster/cluster.sh argo-controller)")
}

// PostgresURL returns the URL of a PostgreSQL server the test may create databases on.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return need(t, "SWITCHYARD_TEST_POSTGRES_URL", "SWITCHYARD_REQUIRE_POSTGRES", "PostgreSQL (hack/postgres.sh start)")
}

// Tool returns the path of a command the test needs (install says how to
// get it): a skip when it is missing, a failure under SWITCHYARD_REQUIRE_TOOLS=1,
// which make test sets because it installs them.
func Tool(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("SWITCHYARD_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is required (SWITCHYARD_REQUIRE_TOOLS=1) but not installed (%s)", name, install)
	}
	t.Skipf("needs %s (%s)", name, install)
	return ""
}

func need(t testing.TB, key, require, what string) string {
	t.Helper()
	v := os.Getenv(key)
	if v != "" {
		return v
	}
	if os.Getenv(require) == "1" {
		t.Fatalf("%s is required (%s=1) but %s is not set", what, require, key)
	}
	t.Skipf("needs %s: set %s", what, key)
	return ""
}

// RESTConfig loads a client config from a kubeconfig file.
func RESTConfig(t testing.TB, kubeconfig string) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("load kubeconfig %s: %v", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	return cfg
}

// Clients returns a typed and a dynamic client for a kubeconfig file.
func Clients(t testing.TB, kubeconfig string) (kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	cfg := RESTConfig(t, kubeconfig)
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("kubernetes client: %v", err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("dynamic client: %v", err)
	}
	return kc, dc
}

// Namespace creates a namespace with a random name starting with prefix, waits
// until its default ServiceAccount exists (pods are refused before that, and the
// ReplicaSet controller then backs off for a minute), and deletes it when the test ends.
func Namespace(t testing.TB, kc kubernetes.Interface, prefix string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	t.Cleanup(func() {
		_ = kc.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	for {
		if _, err := kc.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return ns.Name
		}
		select {
		case <-ctx.Done():
			t.Fatalf("namespace %s: default ServiceAccount never appeared", ns.Name)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// FlatKubeconfig returns a kubeconfig file's self-contained form, its
// certificate files inlined, as `kubectl config view --flatten --minify`
// prints it and as the API takes it.
func FlatKubeconfig(t testing.TB, path string) []byte {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatalf("load kubeconfig %s: %v", path, err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		t.Fatalf("flatten kubeconfig %s: %v", path, err)
	}
	raw, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatalf("write kubeconfig: %v", err)
	}
	return raw
}
