package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/cli"
	"github.com/switchyard/switchyard/internal/registration"
	"github.com/switchyard/switchyard/internal/testenv"
)

// saTarget is where a test makes Switchyard's ServiceAccount: a kubeconfig,
// its context, and names no other test uses.
type saTarget struct {
	kubeconfig, context, namespace, sa string
	admin                              kubernetes.Interface
}

func newSATarget(t *testing.T, kubeconfig, prefix string) saTarget {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := testenv.Clients(t, kubeconfig)
	ns := testenv.Namespace(t, admin, prefix)
	return saTarget{kubeconfig: kubeconfig, context: cfg.CurrentContext, namespace: ns, sa: "switchyard-" + ns, admin: admin}
}

// flags are the --from-context flags of this target.
func (g saTarget) flags() []string {
	return []string{"--from-context", g.context, "--kubeconfig", g.kubeconfig, "--namespace", g.namespace, "--service-account", g.sa}
}

// tokenSecrets are Switchyard's token Secrets of the ServiceAccount.
func (g saTarget) tokenSecrets(t *testing.T) []corev1.Secret {
	t.Helper()
	list, err := g.admin.CoreV1().Secrets(g.namespace).List(t.Context(), metav1.ListOptions{LabelSelector: registration.ManagedByLabel + "=switchyard"})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// checkGone: no ServiceAccount, ClusterRole, binding or token Secret is left.
func (g saTarget) checkGone(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	gets := map[string]error{}
	_, gets["ServiceAccount"] = g.admin.CoreV1().ServiceAccounts(g.namespace).Get(ctx, g.sa, metav1.GetOptions{})
	_, gets["ClusterRole"] = g.admin.RbacV1().ClusterRoles().Get(ctx, g.sa, metav1.GetOptions{})
	_, gets["ClusterRoleBinding"] = g.admin.RbacV1().ClusterRoleBindings().Get(ctx, g.sa, metav1.GetOptions{})
	for what, err := range gets {
		if !apierrors.IsNotFound(err) {
			t.Errorf("%s after remove --cleanup: %v, want not found", what, err)
		}
	}
	if s := g.tokenSecrets(t); len(s) != 0 {
		t.Errorf("token Secrets after remove --cleanup = %d, want none", len(s))
	}
}

// cleanup removes what the test may have left, after a failure.
func (g saTarget) cleanup(t *testing.T) {
	t.Cleanup(func() {
		ctx := context.Background()
		_ = g.admin.RbacV1().ClusterRoleBindings().Delete(ctx, g.sa, metav1.DeleteOptions{})
		_ = g.admin.RbacV1().ClusterRoles().Delete(ctx, g.sa, metav1.DeleteOptions{})
	})
}

// tokenClient is a client of the cluster whose only credential is token.
func tokenClient(t *testing.T, kubeconfig string, token []byte) kubernetes.Interface {
	t.Helper()
	rc := rest.AnonymousClientConfig(testenv.RESTConfig(t, kubeconfig))
	rc.BearerToken = string(token)
	kc, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

func (s *sy) cluster(args ...string) client.Cluster {
	s.t.Helper()
	var cl client.Cluster
	out := s.ok(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &cl); err != nil {
		s.t.Fatalf("%s -o json = %q: %v", strings.Join(args, " "), out, err)
	}
	return cl
}

// eventually polls ok for up to 30 s (a deleted token stops working once
// the API server's token cache notices, within about 10 s).
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// TestClusterAddFromContext registers the second local cluster with a
// ServiceAccount of Switchyard's own, as argocd cluster add does: refused
// unconfirmed, then created and registered (the server probes it with the
// token), rotated (the old token is refused, the cluster stays reachable),
// proven to be what the server uses (revoking it makes the cluster
// unreachable; rotating again heals it), and removed with --cleanup leaving
// nothing behind.
func TestClusterAddFromContext(t *testing.T) {
	url := startServer(t)
	s := newCLI(t)
	s.env = []string{"SWITCHYARD_URL=" + url}
	if _, errs, code := s.run(password+"\n", "login", url, "-u", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errs)
	}
	g := newSATarget(t, testenv.KubeconfigNoArgo(t), "cli-register")
	g.cleanup(t)
	add := append([]string{"cluster", "add", "second"}, g.flags()...)

	t.Run("bad flags", func(t *testing.T) {
		s.fails(cli.ExitUsage, "pass --yes", add...)
		s.fails(cli.ExitUsage, "--namespace goes with --from-context", "cluster", "add", "x", "--kubeconfig", g.kubeconfig, "--namespace", "a")
		s.fails(cli.ExitUsage, "--kube-context picks", append(add, "--kube-context", "x", "--yes")...)
		s.fails(cli.ExitUsage, "from-context", "cluster", "remove", "second", "--cleanup")
		s.fails(cli.ExitUsage, "from-context", "cluster", "rotate-credentials", "second")
		s.fails(cli.ExitError, `"nope"`, "cluster", "add", "x", "--from-context", "nope", "--kubeconfig", g.kubeconfig, "--yes")
		if _, err := g.admin.CoreV1().ServiceAccounts(g.namespace).Get(t.Context(), g.sa, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("ServiceAccount after refused adds: %v, want not found", err)
		}
	})
	var first []byte
	t.Run("add", func(t *testing.T) {
		out, errs, code := s.run("", append(add, "--yes", "-o", "json")...)
		if code != 0 {
			t.Fatalf("cluster add --from-context: exit %d: %s", code, errs)
		}
		for _, line := range (registration.Plan{Namespace: g.namespace, ServiceAccount: g.sa, ClusterRole: g.sa}).Describe() {
			if !strings.Contains(errs, line) {
				t.Errorf("cluster add printed %q, want the plan's line %q", errs, line)
			}
		}
		var cl client.Cluster
		if err := json.Unmarshal([]byte(out), &cl); err != nil || !cl.Status.Reachable || cl.Status.Error != "" {
			t.Fatalf("cluster add -o json = %s, %v; want reachable", out, err)
		}
		secrets := g.tokenSecrets(t)
		if len(secrets) != 1 {
			t.Fatalf("token Secrets = %d, want 1", len(secrets))
		}
		first = secrets[0].Data[corev1.ServiceAccountTokenKey]
		kc := tokenClient(t, g.kubeconfig, first)
		if _, err := kc.CoreV1().Secrets("").List(t.Context(), metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("list Secrets with the token: %v, want forbidden", err)
		}
		s.fails(cli.ExitError, "already registered", append(add, "--yes")...)
	})
	t.Run("rotate-credentials", func(t *testing.T) {
		rotate := append([]string{"cluster", "rotate-credentials", "second"}, g.flags()...)
		if cl := s.cluster(rotate...); !cl.Status.Reachable || cl.Status.Error != "" {
			t.Errorf("rotate-credentials = %+v, want reachable", cl.Status)
		}
		old := tokenClient(t, g.kubeconfig, first)
		eventually(t, "the old token to be refused", func() bool {
			_, err := old.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{Limit: 1})
			return apierrors.IsUnauthorized(err)
		})
		if cl := s.cluster("cluster", "probe", "second"); !cl.Status.Reachable || cl.Status.Error != "" {
			t.Errorf("probe after rotation = %+v, want reachable", cl.Status)
		}
		secrets := g.tokenSecrets(t)
		if len(secrets) != 1 || string(secrets[0].Data[corev1.ServiceAccountTokenKey]) == string(first) {
			t.Fatalf("token Secrets after rotation = %d, want 1 with a new token", len(secrets))
		}
		// The server uses that token: revoked, the cluster becomes unreachable;
		// rotating again heals it.
		if err := g.admin.CoreV1().Secrets(g.namespace).Delete(t.Context(), secrets[0].Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the server to be refused with the revoked token", func() bool {
			return !s.cluster("cluster", "probe", "second").Status.Reachable
		})
		if cl := s.cluster(rotate...); !cl.Status.Reachable {
			t.Errorf("rotate-credentials after revocation = %+v, want reachable", cl.Status)
		}
	})
	t.Run("remove --cleanup", func(t *testing.T) {
		out := s.ok(append([]string{"cluster", "remove", "second", "--cleanup"}, g.flags()...)...)
		if !strings.Contains(out, "cluster second removed") || !strings.Contains(out, "deleted ServiceAccount "+g.namespace+"/"+g.sa) {
			t.Errorf("remove --cleanup printed %q", out)
		}
		g.checkGone(t)
		s.fails(cli.ExitError, "error: ", "cluster", "get", "second")
		// Run again: nothing registered, nothing left; both are fine.
		_, errs, code := s.run("", append([]string{"cluster", "remove", "second", "--cleanup"}, g.flags()...)...)
		if code != 0 || !strings.Contains(errs, "not registered") {
			t.Errorf("remove --cleanup again: exit %d, stderr %q; want 0, not registered", code, errs)
		}
	})
	t.Run("a failed registration leaves nothing", func(t *testing.T) {
		// An Argo instance ID that is not a label value: the server refuses
		// the registration after the ServiceAccount was made.
		s.fails(cli.ExitError, "removed again", append(add, "--yes", "--argo-instance-id", "Bad!")...)
		g.checkGone(t)
	})
}

// TestJobOnServiceAccountCluster runs a blue-green release on the first
// local cluster (it has Argo Rollouts) registered with cluster add
// --from-context: the job is carried by the created ServiceAccount's token
// alone, then remove --cleanup leaves nothing behind.
func TestJobOnServiceAccountCluster(t *testing.T) {
	kubeconfig := testenv.Kubeconfig(t)
	url := startServer(t)
	ns := app(t, kubeconfig)
	s := newCLI(t)
	s.env = []string{"SWITCHYARD_URL=" + url, "SWITCHYARD_WORKSPACE=team"}
	if _, errs, code := s.run(password+"\n", "login", url, "-u", "admin", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errs)
	}
	g := newSATarget(t, kubeconfig, "cli-sa-job")
	g.cleanup(t)
	if cl := s.cluster(append([]string{"cluster", "add", "sa-local", "--yes"}, g.flags()...)...); !cl.Status.Reachable || !cl.Status.ArgoInstalled {
		t.Fatalf("cluster add --from-context = %+v, want reachable with Argo Rollouts", cl.Status)
	}
	s.ok("workspace", "create", "team")
	s.ok("binding", "add", "sa-local", ns, "-w", "team")
	t.Run("release", func(t *testing.T) {
		s.ok("job", "create", "app-bg", "--cluster", "sa-local", "-n", ns, "--deployment", "app", "--service", "app")
		s.ok("job", "wait", "app-bg", "--for", "healthy", "--timeout", "90s")
		s.ok("job", "deploy", "app-bg", "--image", "app=example/app:2")
		s.ok("job", "wait", "app-bg", "--for", "awaiting-promotion", "--timeout", "90s")
		s.ok("job", "promote", "app-bg")
		s.ok("job", "wait", "app-bg", "--for", "healthy", "--timeout", "90s")
		if j := s.job("app-bg"); len(j.Versions) == 0 || !strings.Contains(s.ok("job", "history", "app-bg"), "example/app:2") {
			t.Errorf("job after promote = %+v, want example/app:2 in its history", j)
		}
		s.ok("job", "delete", "app-bg", "--yes", "--force")
		s.ok("job", "wait", "app-bg", "--for", "deleted", "--timeout", "90s")
	})
	s.ok(append([]string{"cluster", "remove", "sa-local", "--cleanup"}, g.flags()...)...)
	g.checkGone(t)
}
