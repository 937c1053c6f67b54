package install

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/testenv"
)

// postgresValues is the chart's multi-replica PostgreSQL example.
func postgresValues(t testing.TB) string {
	return filepath.Join(chartDir(t), "ci", "postgres-values.yaml")
}

// helmCmd runs helm with its cache and configuration in a temporary
// directory, so the test reads and writes nothing of the user's.
func helmCmd(t testing.TB, args ...string) ([]byte, error) {
	t.Helper()
	home := t.TempDir()
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		t.Setenv(v, filepath.Join(home, v))
	}
	return runErr(nil, helm(t), args...)
}

func mustHelm(t testing.TB, args ...string) []byte {
	t.Helper()
	out, err := helmCmd(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// TestChartLint runs helm lint --strict on the default values and on the
// multi-replica PostgreSQL example.
func TestChartLint(t *testing.T) {
	for _, values := range [][]string{nil, {"-f", postgresValues(t)}} {
		t.Run(fmt.Sprint(values), func(t *testing.T) {
			out := mustHelm(t, append([]string{"lint", "--strict", chartDir(t)}, values...)...)
			if !bytes.Contains(out, []byte("0 chart(s) failed")) {
				t.Fatalf("helm lint:\n%s", out)
			}
		})
	}
}

// TestChartRefusesBadValues checks that values that cannot work are refused
// by the schema or the chart, naming what is wrong.
func TestChartRefusesBadValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  []string
		want string
	}{
		{"several replicas on SQLite", []string{"replicaCount=2"}, "replicaCount > 1 needs PostgreSQL"},
		{"short secret key", []string{"auth.secretKey=c2hvcnQ="}, "secretKey"},
		{"not a postgres URL", []string{"database.url=mysql://db/x"}, "url"},
		{"unknown value", []string{"replicas=2"}, "replicas"},
		{"cluster name not a DNS label", []string{"inClusterName=Home_Cluster"}, "inClusterName"},
		{"shared ReadWriteOnce volume", []string{"replicaCount=2", "database.url=postgres://db/x", "persistence.enabled=true"}, "ReadWriteOnce"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"template", "sy", chartDir(t)}
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			out, err := helmCmd(t, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("helm template --set %v = %v (output %d bytes); want an error naming %q", tc.set, err, len(out), tc.want)
			}
		})
	}
}

// TestChartRBACIsPermissions checks that the chart's ClusterRole grants
// exactly cluster.Permissions, what the code uses.
func TestChartRBACIsPermissions(t *testing.T) {
	out := mustHelm(t, "template", "sy", chartDir(t), "--show-only", "templates/rbac.yaml")
	var role rbacv1.ClusterRole
	for _, doc := range documents(t, out) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatal(err)
		}
		if tm.Kind == "ClusterRole" {
			if err := yaml.UnmarshalStrict(doc, &role); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(role.Rules) == 0 {
		t.Fatalf("the chart renders no ClusterRole with rules:\n%s", out)
	}
	got, want := grants(role.Rules), grants(cluster.Permissions)
	if !slices.Equal(got, want) {
		t.Fatalf("the chart's ClusterRole grants\n  %s\nwant cluster.Permissions\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, g := range got {
		if strings.Contains(g, "secrets") || strings.Contains(g, "*") {
			t.Errorf("the ClusterRole grants %s", g)
		}
	}
}

// grants flattens rules to sorted "group/resource verb" lines.
func grants(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out = append(out, g+"/"+res+" "+v)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// documents splits a YAML stream into its non-empty documents.
func documents(t testing.TB, stream []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if err != nil {
			return docs
		}
		if len(bytes.TrimSpace(doc)) > 0 && !bytes.Equal(bytes.TrimSpace(doc), []byte("---")) {
			docs = append(docs, doc)
		}
	}
}

// TestChartManifestsAccepted renders the chart for the default values and
// for the multi-replica PostgreSQL example and has the local cluster's real
// API server accept every object (server-side apply, dry run).
func TestChartManifestsAccepted(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	kc, _ := testenv.Clients(t, kubeconfig)
	ns := testenv.Namespace(t, kc, "chart-dry")
	for _, tc := range []struct {
		name   string
		values []string
		want   []string
	}{
		{"default", nil, []string{"Deployment", "Service", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Secret"}},
		{"postgres", []string{"-f", postgresValues(t)}, []string{"Deployment", "Service", "Ingress", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifests := mustHelm(t, append([]string{"template", "sy-" + tc.name, chartDir(t), "-n", ns}, tc.values...)...)
			for _, kind := range tc.want {
				if !bytes.Contains(manifests, []byte("\nkind: "+kind+"\n")) {
					t.Errorf("rendered chart has no %s", kind)
				}
			}
			out := run(t, manifests, "kubectl", "--kubeconfig", kubeconfig, "-n", ns, "apply", "--server-side",
				"--dry-run=server", "--field-manager=chart-test", "-f", "-")
			t.Logf("%s", out)
		})
	}
}

// TestChartInstall installs the chart on the local cluster (kwok runs the
// pods, whatever their image), checks what it created and uninstalls it.
func TestChartInstall(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	kc, _ := testenv.Clients(t, kubeconfig)
	ns := testenv.Namespace(t, kc, "chart-install")
	release := "sy-" + ns[len(ns)-5:]
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Uninstalled at the end even when a step fails (a no-op after the uninstall step).
	t.Cleanup(func() { _, _ = helmCmd(t, "uninstall", release, "--kubeconfig", kubeconfig, "-n", ns, "--wait") })
	var notes []byte
	if !t.Run("install", func(t *testing.T) {
		notes = mustHelm(t, "install", release, chartDir(t), "--kubeconfig", kubeconfig, "-n", ns,
			"--set", "image.tag=test", "--wait", "--timeout", "2m")
	}) {
		return
	}
	t.Run("NOTES say how to sign in", func(t *testing.T) {
		for _, want := range []string{"admin-password", "port-forward svc/" + release + "-switchyard"} {
			if !bytes.Contains(notes, []byte(want)) {
				t.Errorf("helm install output lacks %q:\n%s", want, notes)
			}
		}
	})
	name := release + "-switchyard"
	t.Run("objects", func(t *testing.T) { checkInstalled(ctx, t, kc, ns, name) })
	t.Run("uninstall", func(t *testing.T) {
		mustHelm(t, "uninstall", release, "--kubeconfig", kubeconfig, "-n", ns, "--wait", "--timeout", "2m")
		if _, err := kc.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("ClusterRole %s after uninstall: %v, want not found", name, err)
		}
		if _, err := kc.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("Deployment %s after uninstall: %v, want not found", name, err)
		}
	})
}

// checkInstalled checks the objects of an installed release: the hardened
// Deployment with its pods running, the Service, the ServiceAccount bound to
// the ClusterRole, and the Secret with a generated key.
func checkInstalled(ctx context.Context, t *testing.T, kc kubernetes.Interface, ns, name string) {
	dep, err := kc.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status.ReadyReplicas != 1 {
		t.Errorf("Deployment ready replicas = %d, want 1", dep.Status.ReadyReplicas)
	}
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	sc := c.SecurityContext
	switch {
	case pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot:
		t.Error("pod does not set runAsNonRoot")
	case sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("container root filesystem is not read-only")
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}):
		t.Errorf("container drops capabilities %v, want ALL", sc.Capabilities)
	case c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz":
		t.Error("probes are not /healthz (liveness) and /readyz (readiness)")
	case pod.ServiceAccountName != name:
		t.Errorf("serviceAccountName = %q, want %q", pod.ServiceAccountName, name)
	}
	if _, err := kc.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
		t.Errorf("Service: %v", err)
	}
	if _, err := kc.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
		t.Errorf("ServiceAccount: %v", err)
	}
	b, err := kc.RbacV1().ClusterRoleBindings().Get(ctx, name, metav1.GetOptions{})
	if err != nil || b.RoleRef.Name != name || len(b.Subjects) != 1 || b.Subjects[0].Name != name || b.Subjects[0].Namespace != ns {
		t.Errorf("ClusterRoleBinding = %+v, %v; want %s bound to ServiceAccount %s/%s", b, err, name, ns, name)
	}
	s, err := kc.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if key, err := base64.StdEncoding.DecodeString(string(s.Data["secret-key"])); err != nil || len(key) != 32 {
		t.Errorf("secret-key decodes to %d bytes (%v), want 32", len(key), err)
	}
	if len(s.Data["admin-password"]) < 16 {
		t.Errorf("admin-password has %d characters, want a generated one", len(s.Data["admin-password"]))
	}
	pods, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + strings.TrimSuffix(name, "-switchyard")})
	if err != nil || len(pods.Items) != 1 || pods.Items[0].Status.Phase != "Running" {
		t.Errorf("pods = %d, %v; want one Running", len(pods.Items), err)
	}
}
