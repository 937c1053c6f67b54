package registration

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/switchyard/switchyard/internal/cluster"
	"github.com/switchyard/switchyard/internal/store"
	"github.com/switchyard/switchyard/internal/testenv"
)

// plan is a Plan of names no other test uses, in a fresh namespace.
func plan(t *testing.T, kc kubernetes.Interface) Plan {
	ns := testenv.Namespace(t, kc, "registration")
	return Plan{Namespace: ns, ServiceAccount: DefaultName, ClusterRole: DefaultName + "-" + ns}
}

// clientOf is a client whose only credential is the kubeconfig's.
func clientOf(t *testing.T, kubeconfig []byte) kubernetes.Interface {
	t.Helper()
	rc, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// TestAddRotateRemove registers the second local cluster the way `cluster
// add --context` would: Add creates the ServiceAccount and friends with the
// admin's kubeconfig; the server accepts the kubeconfig it returns; its token
// may list namespaces but not read Secrets; Rotate replaces the token and
// the old one stops working; Remove leaves nothing behind.
func TestAddRotateRemove(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := testenv.KubeconfigNoArgo(t)
	admin, _ := testenv.Clients(t, path)
	r, err := New(path, "", plan(t, admin))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Remove(context.Background()) })
	var first []byte
	t.Run("add", func(t *testing.T) {
		if first, err = r.Add(ctx, "second"); err != nil {
			t.Fatal(err)
		}
		registerWithServer(ctx, t, first)
		kc := clientOf(t, first)
		if _, err := kc.CoreV1().Namespaces().List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
			t.Errorf("list namespaces with the token: %v", err)
		}
		if _, err := kc.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("list Secrets with the token: %v, want forbidden", err)
		}
	})
	t.Run("add again reuses the token", func(t *testing.T) {
		again, err := r.Add(ctx, "second")
		if err != nil || string(again) != string(first) {
			t.Fatalf("Add again = %v, same kubeconfig %v; want the same token", err, string(again) == string(first))
		}
	})
	t.Run("rotate", func(t *testing.T) {
		rotated, err := r.Rotate(ctx, "second")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := clientOf(t, rotated).CoreV1().Namespaces().List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
			t.Errorf("list namespaces with the new token: %v", err)
		}
		old := clientOf(t, first)
		waitFor(ctx, t, "the old token to be refused", func() bool {
			_, err := old.CoreV1().Namespaces().List(ctx, metav1.ListOptions{Limit: 1})
			return apierrors.IsUnauthorized(err)
		})
		if s, _ := r.tokenSecrets(ctx); len(s) != 1 {
			t.Errorf("token Secrets after rotation = %d, want 1", len(s))
		}
	})
	t.Run("remove leaves nothing", func(t *testing.T) {
		if err := r.Remove(ctx); err != nil {
			t.Fatal(err)
		}
		checkGone(ctx, t, admin, r.Plan)
		if err := r.Remove(ctx); err != nil {
			t.Errorf("Remove again: %v, want nothing to do", err)
		}
	})
}

// registerWithServer registers the kubeconfig as the server does with an
// uploaded one: self-contained, no plugins, reachable.
func registerWithServer(ctx context.Context, t *testing.T, kubeconfig []byte) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{DataDir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := cluster.LoadKeyring(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	m := &cluster.Manager{Store: st, Keyring: keys}
	defer m.Close()
	c, err := m.Register(ctx, "second", kubeconfig, "")
	if err != nil || !c.Status.Reachable || c.Status.Error != "" {
		t.Fatalf("register the kubeconfig Add made = %+v, %v; want reachable", c.Status, err)
	}
}

func checkGone(ctx context.Context, t *testing.T, kc kubernetes.Interface, p Plan) {
	t.Helper()
	gets := map[string]error{}
	_, gets["ServiceAccount"] = kc.CoreV1().ServiceAccounts(p.Namespace).Get(ctx, p.ServiceAccount, metav1.GetOptions{})
	_, gets["ClusterRole"] = kc.RbacV1().ClusterRoles().Get(ctx, p.ClusterRole, metav1.GetOptions{})
	_, gets["ClusterRoleBinding"] = kc.RbacV1().ClusterRoleBindings().Get(ctx, p.ClusterRole, metav1.GetOptions{})
	for what, err := range gets {
		if !apierrors.IsNotFound(err) {
			t.Errorf("%s after Remove: %v, want not found", what, err)
		}
	}
	secrets, err := kc.CoreV1().Secrets(p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + managedBy})
	if err != nil || len(secrets.Items) != 0 {
		t.Errorf("Switchyard's Secrets after Remove = %d, %v; want none", len(secrets.Items), err)
	}
}

// TestAddLeavesOthersAlone: a ClusterRole of the Plan's name that Switchyard
// did not create is neither changed nor deleted, and the error names the step.
func TestAddLeavesOthersAlone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := testenv.KubeconfigNoArgo(t)
	admin, _ := testenv.Clients(t, path)
	p := plan(t, admin)
	theirs := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: p.ClusterRole}}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, theirs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.RbacV1().ClusterRoles().Delete(context.Background(), p.ClusterRole, metav1.DeleteOptions{})
	})
	r, err := New(path, "", p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Add(ctx, "second")
	if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), "create ClusterRole") {
		t.Fatalf("Add over someone else's ClusterRole = %v, want ErrNotOurs at step create ClusterRole", err)
	}
	if err := r.Remove(ctx); !errors.Is(err, ErrNotOurs) {
		t.Fatalf("Remove = %v, want ErrNotOurs for the ClusterRole", err)
	}
	if got, err := admin.RbacV1().ClusterRoles().Get(ctx, p.ClusterRole, metav1.GetOptions{}); err != nil || len(got.Rules) != 0 {
		t.Fatalf("their ClusterRole = %+v, %v; want it untouched", got, err)
	}
}

func waitFor(ctx context.Context, t *testing.T, what string, ok func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestRotateWithRefused: when the new kubeconfig cannot be installed, the
// new token Secret is deleted again and the old token stays the only one,
// still working.
func TestRotateWithRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path := testenv.KubeconfigNoArgo(t)
	admin, _ := testenv.Clients(t, path)
	r, err := New(path, "", plan(t, admin))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Remove(context.Background()) })
	first, err := r.Add(ctx, "second")
	if err != nil {
		t.Fatal(err)
	}
	refused := errors.New("server refused")
	var got []byte
	err = r.RotateWith(ctx, "second", func(_ context.Context, kubeconfig []byte) error { got = kubeconfig; return refused })
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), "register the new token") {
		t.Fatalf("RotateWith = %v, want the install error at step register the new token", err)
	}
	if len(got) == 0 || string(got) == string(first) {
		t.Errorf("install got the old kubeconfig (or none), want one with a new token")
	}
	if s, _ := r.tokenSecrets(ctx); len(s) != 1 {
		t.Errorf("token Secrets after a refused rotation = %d, want 1 (the old)", len(s))
	}
	if _, err := clientOf(t, first).CoreV1().Namespaces().List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		t.Errorf("the old token after a refused rotation: %v, want it working", err)
	}
}
