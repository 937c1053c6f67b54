package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/switchyard/switchyard/client"
	"github.com/switchyard/switchyard/internal/registration"
)

// rollbackTimeout bounds undoing a half-done cluster add, which runs even
// when the command was interrupted.
const rollbackTimeout = 30 * time.Second

// saFlags say where Switchyard's ServiceAccount is made, rotated or removed:
// a context of the user's own kubeconfig (exec credential plugins are fine:
// this runs on the user's machine) and the ServiceAccount's names.
type saFlags struct {
	fromContext    string
	kubeconfig     string // the user's kubeconfig; "" means KUBECONFIG, then ~/.kube/config
	namespace      string
	serviceAccount string
}

// bind adds --from-context, --namespace, --service-account and, with
// kubeconfig, --kubeconfig (cluster add has its own).
func (f *saFlags) bind(cmd *cobra.Command, kubeconfig bool) {
	cmd.Flags().StringVar(&f.fromContext, "from-context", "", "the context of your kubeconfig to create, rotate or remove Switchyard's ServiceAccount through")
	if kubeconfig {
		cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "your kubeconfig, for --from-context (default: KUBECONFIG, then ~/.kube/config)")
		_ = cmd.MarkFlagFilename("kubeconfig", "yaml", "yml", "conf")
	}
	cmd.Flags().StringVar(&f.namespace, "namespace", registration.DefaultNamespace, "namespace of the ServiceAccount and its token Secret, for --from-context")
	cmd.Flags().StringVar(&f.serviceAccount, "service-account", registration.DefaultName,
		"name of the ServiceAccount, its ClusterRole and ClusterRoleBinding, for --from-context")
}

// plan is what the flags name: the ClusterRole and binding are named as the
// ServiceAccount.
func (f *saFlags) plan() registration.Plan {
	return registration.Plan{Namespace: f.namespace, ServiceAccount: f.serviceAccount, ClusterRole: f.serviceAccount}
}

// registrar connects to the --from-context cluster with the user's own
// credentials.
func (f *saFlags) registrar() (*registration.Registrar, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	where := "your kubeconfig (KUBECONFIG or ~/.kube/config)"
	if f.kubeconfig != "" {
		rules.ExplicitPath, where = f.kubeconfig, f.kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.fromContext})
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("--from-context %s: load %s: %w", f.fromContext, where, err)
	}
	return registration.NewForConfig(rc, f.plan())
}

// serviceAccountExists says whether the Plan's ServiceAccount is there.
func serviceAccountExists(ctx context.Context, r *registration.Registrar) (bool, error) {
	p := r.Plan
	_, err := r.Kube.CoreV1().ServiceAccounts(p.Namespace).Get(ctx, p.ServiceAccount, metav1.GetOptions{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("look for ServiceAccount %s/%s: %w", p.Namespace, p.ServiceAccount, err)
}

// isNotFound says whether the server answered 404.
func isNotFound(err error) bool {
	var ce *client.Error
	return errors.As(err, &ce) && ce.Status == http.StatusNotFound
}

// confirm asks on the terminal; yes skips it. Without a terminal the caller
// has already required --yes.
func (c *cli) confirm(question string, yes bool) error {
	if yes {
		return nil
	}
	fmt.Fprintf(c.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(c.stdin).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
		return errors.New("nothing done")
	}
	return nil
}

// checkAddFlags refuses the ServiceAccount flags without --from-context, and
// an unconfirmable add.
func (c *cli) checkAddFlags(cmd *cobra.Command, f *saFlags, yes bool) error {
	switch {
	case f.fromContext == "" && f.kubeconfig == "":
		return usageError{"cluster add: pass --kubeconfig FILE (uploaded as is) or --from-context CTX (creates a ServiceAccount through that context of your kubeconfig)"}
	case f.fromContext != "" && cmd.Flags().Changed("kube-context"):
		return usageError{"cluster add: --kube-context picks a context of an uploaded file; with --from-context the context is --from-context's"}
	}
	if f.fromContext == "" {
		for _, name := range []string{"namespace", "service-account", "yes"} {
			if cmd.Flags().Changed(name) {
				return usageError{fmt.Sprintf("cluster add: --%s goes with --from-context (a file given with --kubeconfig alone is uploaded as is)", name)}
			}
		}
		return nil
	}
	if !yes && !c.stdinTTY {
		return usageError{"cluster add: --from-context creates objects in the cluster and there is no terminal to confirm on: pass --yes"}
	}
	return nil
}

// clusterAddFromContext creates Switchyard's ServiceAccount through the
// user's context and registers the kubeconfig carrying its token. If the
// registration fails, what this run created is removed again; objects that
// were there before (a ServiceAccount another registration uses) stay.
func (c *cli) clusterAddFromContext(ctx context.Context, s *session, o outputFlags, f *saFlags, nc client.NewCluster, yes bool) error {
	r, err := f.registrar()
	if err != nil {
		return err
	}
	if _, err := s.client.Cluster(ctx, nc.Name); err == nil {
		return fmt.Errorf("cluster %s is already registered: pick another name, or cluster rotate-credentials %s for a new token", nc.Name, nc.Name)
	} else if !isNotFound(err) {
		return err
	}
	fmt.Fprintf(c.stderr, "In the cluster of context %s (%s), Switchyard will create:\n", f.fromContext, r.Server)
	for _, line := range r.Plan.Describe() {
		fmt.Fprintf(c.stderr, "  %s\n", line)
	}
	if err := c.confirm(fmt.Sprintf("Create them and register cluster %s?", nc.Name), yes); err != nil {
		return err
	}
	existed, err := serviceAccountExists(ctx, r)
	if err != nil {
		return err
	}
	var cl *client.Cluster
	kubeconfig, err := r.Add(ctx, nc.Name)
	if err == nil {
		nc.Kubeconfig = string(kubeconfig)
		cl, err = s.client.CreateCluster(ctx, nc)
	}
	if err != nil {
		return c.undoAdd(ctx, r, existed, err)
	}
	return c.printCluster(o, cl)
}

// undoAdd removes what a failed add created, unless the ServiceAccount was
// there before it ran, and returns cause. What it did goes to stderr first:
// the server's error (cause) is printed as the last line, with its field.
func (c *cli) undoAdd(ctx context.Context, r *registration.Registrar, existed bool, cause error) error {
	p := r.Plan
	if existed {
		fmt.Fprintf(c.stderr, "ServiceAccount %s/%s was there before: left as it is\n", p.Namespace, p.ServiceAccount)
		return cause
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	if err := r.Remove(ctx); err != nil {
		fmt.Fprintf(c.stderr, "registration failed, and removing what was created failed too: %v\n", err)
		return cause
	}
	fmt.Fprintln(c.stderr, "registration failed: what was created in the cluster is removed again")
	return cause
}

const clusterRemoveLong = `Remove a registered cluster and its workspace bindings (platform admins).
Without --cleanup nothing in the cluster itself is touched.

--cleanup --from-context CTX then deletes, through that context of your
kubeconfig, what cluster add --from-context created there: the ServiceAccount,
its token Secrets, the ClusterRole and its binding (give the same --namespace
and --service-account as to add). Objects of those names that Switchyard did
not create are left alone, with an error.`

func (c *cli) clusterRemoveCmd() *cobra.Command {
	var f adminFlags
	var sa saFlags
	var cleanup bool
	cmd := c.clusterArg(c.adminCmd("remove NAME [--cleanup --from-context CTX]", "Remove a cluster and its workspace bindings", clusterRemoveLong,
		`  switchyard cluster remove staging
  switchyard cluster remove prod --cleanup --from-context prod-admin`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			return c.clusterRemove(ctx, s, &sa, args[0], cleanup)
		}), &f)
	cmd.Flags().BoolVar(&cleanup, "cleanup", false, "also delete Switchyard's ServiceAccount and its RBAC from the cluster (with --from-context)")
	sa.bind(cmd, true)
	cmd.MarkFlagsRequiredTogether("cleanup", "from-context")
	return cmd
}

func (c *cli) clusterRemove(ctx context.Context, s *session, sa *saFlags, name string, cleanup bool) error {
	var r *registration.Registrar
	if cleanup { // connect first: a context that does not load must not leave the cluster half removed
		var err error
		if r, err = sa.registrar(); err != nil {
			return err
		}
	}
	switch err := s.client.DeleteCluster(ctx, name); {
	case err == nil:
		fmt.Fprintf(c.stdout, "cluster %s removed\n", name)
	case cleanup && isNotFound(err):
		fmt.Fprintf(c.stderr, "cluster %s is not registered; cleaning up anyway\n", name)
	default:
		return err
	}
	if !cleanup {
		return nil
	}
	if err := r.Remove(ctx); err != nil {
		return err
	}
	p := r.Plan
	fmt.Fprintf(c.stdout, "deleted ServiceAccount %s/%s, its token Secrets, ClusterRole and ClusterRoleBinding %s (context %s)\n",
		p.Namespace, p.ServiceAccount, p.ClusterRole, sa.fromContext)
	return nil
}

const clusterRotateLong = `Give a cluster registered with cluster add --from-context a new token
(platform admins): through that context of your kubeconfig, make a new token
Secret of Switchyard's ServiceAccount, register the kubeconfig carrying it in
place of the old one (the server probes it), and only then delete the old
token Secrets, which invalidates their tokens. If the server refuses the new
kubeconfig, the new token is deleted and the old one stays in use.

Give the same --namespace and --service-account as to add.`

func (c *cli) clusterRotateCmd() *cobra.Command {
	var f adminFlags
	var sa saFlags
	cmd := c.clusterArg(c.adminCmd("rotate-credentials NAME --from-context CTX", "Give a cluster a new ServiceAccount token, drop the old", clusterRotateLong,
		`  switchyard cluster rotate-credentials prod --from-context prod-admin`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			return c.clusterRotate(ctx, s, f.out, &sa, args[0])
		}), &f)
	sa.bind(cmd, true)
	_ = cmd.MarkFlagRequired("from-context")
	return cmd
}

func (c *cli) clusterRotate(ctx context.Context, s *session, o outputFlags, sa *saFlags, name string) error {
	if _, err := s.client.Cluster(ctx, name); err != nil {
		return err
	}
	r, err := sa.registrar()
	if err != nil {
		return err
	}
	p := r.Plan
	if ok, err := serviceAccountExists(ctx, r); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("no ServiceAccount %s/%s in the cluster of context %s: was cluster %s added with --from-context (and these --namespace and --service-account)?",
			p.Namespace, p.ServiceAccount, sa.fromContext, name)
	}
	var cl *client.Cluster
	err = r.RotateWith(ctx, name, func(ctx context.Context, kubeconfig []byte) (err error) {
		cl, err = s.client.ReplaceClusterKubeconfig(ctx, name, client.KubeconfigUpdate{Kubeconfig: string(kubeconfig)})
		return err
	})
	if err != nil {
		return err
	}
	return c.printCluster(o, cl)
}
