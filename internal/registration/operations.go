package registration

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/switchyard/switchyard/internal/cluster"
)

// tokenTimeout bounds the wait for the token controller to fill a new
// token Secret.
const tokenTimeout = 30 * time.Second

// ErrNotOurs is returned when an object of the Plan's names exists but was
// not made by Switchyard: it is neither changed nor deleted.
var ErrNotOurs = errors.New("exists and was not created by Switchyard")

// Add creates (or completes) the Plan's objects and returns a
// self-contained kubeconfig whose user is the ServiceAccount's token, for
// the server to register as name. Run again, it reuses what is there.
func (r *Registrar) Add(ctx context.Context, name string) ([]byte, error) {
	var secret string
	err := r.runSteps(ctx, []step{
		{"create ServiceAccount", r.ensureServiceAccount},
		{"create ClusterRole", r.ensureClusterRole},
		{"create ClusterRoleBinding", r.ensureBinding},
		{"create token Secret", func(ctx context.Context) (err error) { secret, err = r.ensureTokenSecret(ctx); return err }},
	})
	if err != nil {
		return nil, fmt.Errorf("add cluster %s: %w", name, err)
	}
	return r.kubeconfig(ctx, name, secret)
}

// Rotate makes a new token Secret, waits for its token, deletes every older
// one (which invalidates their tokens) and returns the kubeconfig with the
// new token: register it in place of the old one. RotateWith registers it
// before the old tokens go.
func (r *Registrar) Rotate(ctx context.Context, name string) ([]byte, error) {
	var out []byte
	err := r.RotateWith(ctx, name, func(_ context.Context, kubeconfig []byte) error { out = kubeconfig; return nil })
	return out, err
}

// RotateWith makes a new token Secret, waits for its token, hands the
// kubeconfig carrying it to install (which registers it with the server)
// and only then deletes every older token Secret, so the registered cluster
// is never left with a dead token. If install fails, the new Secret is
// deleted again and the old token stays the only one.
func (r *Registrar) RotateWith(ctx context.Context, name string, install func(ctx context.Context, kubeconfig []byte) error) error {
	var secret string
	err := r.runSteps(ctx, []step{
		{"create token Secret", func(ctx context.Context) (err error) { secret, err = r.createTokenSecret(ctx); return err }},
		{"register the new token", func(ctx context.Context) error {
			kubeconfig, err := r.kubeconfig(ctx, name, secret)
			if err == nil {
				err = install(ctx, kubeconfig)
			}
			if err != nil {
				if derr := r.Kube.CoreV1().Secrets(r.Plan.Namespace).Delete(ctx, secret, metav1.DeleteOptions{}); derr != nil && !apierrors.IsNotFound(derr) {
					err = errors.Join(err, fmt.Errorf("delete the new token Secret %s/%s again: %w", r.Plan.Namespace, secret, derr))
				}
			}
			return err
		}},
		{"delete old token Secrets", func(ctx context.Context) error { return r.deleteTokenSecrets(ctx, secret) }},
	})
	if err != nil {
		return fmt.Errorf("rotate credentials of cluster %s: %w", name, err)
	}
	return nil
}

// Remove deletes what Add created; what is already gone is fine, and what
// Switchyard did not create is left alone (ErrNotOurs).
func (r *Registrar) Remove(ctx context.Context) error {
	p := r.Plan
	rbac := r.Kube.RbacV1()
	err := r.runSteps(ctx, []step{
		{"delete ClusterRoleBinding", func(ctx context.Context) error {
			return deleteOurs(ctx, "ClusterRoleBinding "+p.ClusterRole, rbac.ClusterRoleBindings().Get, rbac.ClusterRoleBindings().Delete, p.ClusterRole)
		}},
		{"delete ClusterRole", func(ctx context.Context) error {
			return deleteOurs(ctx, "ClusterRole "+p.ClusterRole, rbac.ClusterRoles().Get, rbac.ClusterRoles().Delete, p.ClusterRole)
		}},
		{"delete token Secrets", func(ctx context.Context) error { return r.deleteTokenSecrets(ctx, "") }},
		{"delete ServiceAccount", func(ctx context.Context) error {
			sas := r.Kube.CoreV1().ServiceAccounts(p.Namespace)
			return deleteOurs(ctx, "ServiceAccount "+p.Namespace+"/"+p.ServiceAccount, sas.Get, sas.Delete, p.ServiceAccount)
		}},
	})
	if err != nil {
		return fmt.Errorf("remove Switchyard's ServiceAccount: %w", err)
	}
	return nil
}

func (r *Registrar) labels() map[string]string { return map[string]string{ManagedByLabel: managedBy} }

func ours(m metav1.Object) bool { return m.GetLabels()[ManagedByLabel] == managedBy }

func (r *Registrar) ensureServiceAccount(ctx context.Context) error {
	p := r.Plan
	sas := r.Kube.CoreV1().ServiceAccounts(p.Namespace)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: p.ServiceAccount, Labels: r.labels()}}
	_, err := sas.Create(ctx, sa, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		got, gerr := sas.Get(ctx, p.ServiceAccount, metav1.GetOptions{})
		if gerr != nil {
			return gerr
		}
		if !ours(got) {
			return fmt.Errorf("ServiceAccount %s/%s %w", p.Namespace, p.ServiceAccount, ErrNotOurs)
		}
		return nil
	}
	return err
}

// ensureClusterRole creates the ClusterRole, or brings its rules up to
// cluster.Permissions (a newer Switchyard may use more).
func (r *Registrar) ensureClusterRole(ctx context.Context) error {
	roles := r.Kube.RbacV1().ClusterRoles()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: r.Plan.ClusterRole, Labels: r.labels()}, Rules: cluster.Permissions}
	_, err := roles.Create(ctx, role, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	got, err := roles.Get(ctx, r.Plan.ClusterRole, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if !ours(got) {
		return fmt.Errorf("ClusterRole %s %w", r.Plan.ClusterRole, ErrNotOurs)
	}
	got.Rules = cluster.Permissions
	_, err = roles.Update(ctx, got, metav1.UpdateOptions{})
	return err
}

func (r *Registrar) ensureBinding(ctx context.Context) error {
	p := r.Plan
	b := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: p.ClusterRole, Labels: r.labels()},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: p.ClusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: p.ServiceAccount, Namespace: p.Namespace}},
	}
	bindings := r.Kube.RbacV1().ClusterRoleBindings()
	_, err := bindings.Create(ctx, b, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	got, err := bindings.Get(ctx, p.ClusterRole, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if !ours(got) {
		return fmt.Errorf("ClusterRoleBinding %s %w", p.ClusterRole, ErrNotOurs)
	}
	return nil
}

// ensureTokenSecret returns the name of a token Secret of the
// ServiceAccount that has its token, creating one if there is none.
func (r *Registrar) ensureTokenSecret(ctx context.Context) (string, error) {
	existing, err := r.tokenSecrets(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range existing {
		if len(s.Data[corev1.ServiceAccountTokenKey]) > 0 {
			return s.Name, nil
		}
	}
	name, err := r.createTokenSecret(ctx)
	if err != nil {
		return "", err
	}
	_, err = r.waitToken(ctx, name)
	return name, err
}

// createTokenSecret asks the token controller for a long-lived token of the
// ServiceAccount.
func (r *Registrar) createTokenSecret(ctx context.Context) (string, error) {
	p := r.Plan
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: p.ServiceAccount + "-token-", Labels: r.labels(),
			Annotations: map[string]string{corev1.ServiceAccountNameKey: p.ServiceAccount},
		},
		Type: corev1.SecretTypeServiceAccountToken,
	}
	created, err := r.Kube.CoreV1().Secrets(p.Namespace).Create(ctx, s, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return created.Name, nil
}

// waitToken waits until the token controller has filled the Secret.
func (r *Registrar) waitToken(ctx context.Context, name string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, tokenTimeout)
	defer cancel()
	for {
		s, err := r.Kube.CoreV1().Secrets(r.Plan.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil && len(s.Data[corev1.ServiceAccountTokenKey]) > 0 {
			return s.Data[corev1.ServiceAccountTokenKey], nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("token Secret %s/%s got no token within %s (does the cluster run the token controller?): %w",
				r.Plan.Namespace, name, tokenTimeout, errors.Join(err, ctx.Err()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tokenSecrets lists the token Secrets Switchyard made for the ServiceAccount.
func (r *Registrar) tokenSecrets(ctx context.Context) ([]corev1.Secret, error) {
	list, err := r.Kube.CoreV1().Secrets(r.Plan.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: ManagedByLabel + "=" + managedBy, FieldSelector: "type=" + string(corev1.SecretTypeServiceAccountToken),
	})
	if err != nil {
		return nil, err
	}
	var out []corev1.Secret
	for _, s := range list.Items {
		if s.Annotations[corev1.ServiceAccountNameKey] == r.Plan.ServiceAccount {
			out = append(out, s)
		}
	}
	return out, nil
}

// deleteTokenSecrets deletes the ServiceAccount's token Secrets but keep.
func (r *Registrar) deleteTokenSecrets(ctx context.Context, keep string) error {
	secrets, err := r.tokenSecrets(ctx)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if s.Name == keep {
			continue
		}
		err := r.Kube.CoreV1().Secrets(r.Plan.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete Secret %s/%s: %w", r.Plan.Namespace, s.Name, err)
		}
	}
	return nil
}

// deleteOurs deletes an object if it is Switchyard's; gone already is fine.
func deleteOurs[T metav1.Object](ctx context.Context, what string,
	get func(context.Context, string, metav1.GetOptions) (T, error),
	del func(context.Context, string, metav1.DeleteOptions) error, name string) error {
	obj, err := get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ours(obj) {
		return fmt.Errorf("%s %w", what, ErrNotOurs)
	}
	if err := del(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// kubeconfig builds the self-contained kubeconfig of the token in secret.
func (r *Registrar) kubeconfig(ctx context.Context, name, secret string) ([]byte, error) {
	token, err := r.waitToken(ctx, secret)
	if err != nil {
		return nil, err
	}
	user := r.Plan.ServiceAccount
	cfg := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{name: {Server: r.Server, CertificateAuthorityData: r.CAData}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{user: {Token: string(token)}},
		Contexts:       map[string]*clientcmdapi.Context{name: {Cluster: name, AuthInfo: user}},
		CurrentContext: name,
	}
	raw, err := clientcmd.Write(cfg)
	if err != nil {
		return nil, fmt.Errorf("write kubeconfig of cluster %s: %w", name, err)
	}
	return raw, nil
}
