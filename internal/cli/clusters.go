package cli

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/switchyard/switchyard/client"
)

var clusterCommands = []subcommand{
	{"list", "list the registered clusters (platform admins)", (*cli).clusterList},
	{"get", "show one cluster and its last probe", (*cli).clusterGet},
	{"add", "register a cluster from a kubeconfig file", (*cli).clusterAdd},
	{"remove", "remove a cluster and its workspace bindings", (*cli).clusterRemove},
	{"probe", "probe a cluster now", (*cli).clusterProbe},
	{"set", "change a cluster's settings: its Argo instance ID", (*cli).clusterSet},
}

// adminFlags are the flags of the administration commands.
type adminFlags struct {
	conn connFlags
	out  outputFlags
}

func (c *cli) adminStart(fs *flagSet, f *adminFlags, args []string, min, max int, workspace bool) (*session, []string, error) {
	f.conn.bind(fs, workspace)
	f.out.bind(fs)
	pos, err := c.parse(fs, args, min, max)
	if err != nil {
		return nil, nil, err
	}
	if err := f.out.check(); err != nil {
		return nil, nil, err
	}
	s, err := c.connect(f.conn)
	return s, pos, err
}

func clusterTable(w *tabwriter.Writer, cs []client.Cluster) {
	fmt.Fprintln(w, "NAME\tREACHABLE\tKUBERNETES\tARGO ROLLOUTS\tISTIO\tPROBED\tAGE\tERROR")
	now := time.Now()
	for _, cl := range cs {
		st := cl.Status
		argo := "no"
		if st.ArgoInstalled {
			argo = "yes " + st.ArgoVersion
		}
		if cl.ArgoInstanceID != "" {
			argo += " (instance " + cl.ArgoInstanceID + ")"
		}
		probed := "-"
		if st.ProbedAt != nil {
			probed = age(*st.ProbedAt, now) + " ago"
		}
		fmt.Fprintf(w, "%s\t%v\t%s\t%s\t%v\t%s\t%s\t%s\n", dash(cl.Name), st.Reachable, dash(st.KubernetesVersion), dash(argo),
			st.IstioInstalled, probed, age(cl.CreatedAt, now), dash(st.Error))
	}
}

func (c *cli) clusterList(ctx context.Context, args []string) error {
	var f adminFlags
	s, _, err := c.adminStart(newFlags("cluster list", "[flags]", `List the registered clusters with what their last probe found (platform admins).

Examples:
  switchyard cluster list
  switchyard cluster list -o json`), &f, args, 0, 0, false)
	if err != nil {
		return err
	}
	cs, err := s.client.Clusters(ctx)
	if err != nil {
		return err
	}
	return c.print(f.out, cs, func(w *tabwriter.Writer) { clusterTable(w, cs) })
}

func (c *cli) clusterGet(ctx context.Context, args []string) error {
	var f adminFlags
	s, pos, err := c.adminStart(newFlags("cluster get", "NAME [flags]", `Show one registered cluster (platform admins).

Examples:
  switchyard cluster get prod-eu -o yaml`), &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	cl, err := s.client.Cluster(ctx, pos[0])
	if err != nil {
		return err
	}
	return c.print(f.out, cl, func(w *tabwriter.Writer) { clusterTable(w, []client.Cluster{*cl}) })
}

const clusterAddHelp = `Register a cluster (platform admins). The file is sent as is: it must be
self-contained, with certificates inlined rather than paths to files. Make one
with:

  kubectl config view --flatten --minify --context prod-eu > prod-eu.yaml

The server seals it, probes the cluster (reachable? Kubernetes version? Argo
Rollouts? Istio?) and registers it even when unreachable, with the error in its status.

If the cluster's Argo Rollouts controller runs with --instance-id, give it
with --argo-instance-id: jobs then label their Rollouts with it, or that
controller would ignore them (cluster set changes it later).

Examples:
  switchyard cluster add prod-eu --kubeconfig prod-eu.yaml
  switchyard cluster add staging --kubeconfig all.yaml --kube-context staging-admin
  switchyard cluster add shared --kubeconfig shared.yaml --argo-instance-id team-a`

func (c *cli) clusterAdd(ctx context.Context, args []string) error {
	var f adminFlags
	fs := newFlags("cluster add", "NAME --kubeconfig FILE [flags]", clusterAddHelp)
	file := fs.String("kubeconfig", "", "kubeconfig file of the cluster (required; - for stdin)")
	kctx := fs.String("kube-context", "", "the kubeconfig context to use (default: its current context)")
	instance := fs.String("argo-instance-id", "", "the --instance-id the cluster's Argo Rollouts controller runs with, if any")
	s, pos, err := c.adminStart(fs, &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	if *file == "" {
		return usageError{"cluster add: --kubeconfig FILE is required"}
	}
	data, err := c.readFile(*file)
	if err != nil {
		return err
	}
	cl, err := s.client.CreateCluster(ctx, client.NewCluster{Name: pos[0], Kubeconfig: string(data), Context: *kctx, ArgoInstanceID: *instance})
	if err != nil {
		return err
	}
	return c.print(f.out, cl, func(w *tabwriter.Writer) { clusterTable(w, []client.Cluster{*cl}) })
}

// readFile reads a file, or stdin for "-".
func (c *cli) readFile(name string) ([]byte, error) {
	if name == "-" {
		return readAll(c.stdin)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

func (c *cli) clusterRemove(ctx context.Context, args []string) error {
	var f adminFlags
	s, pos, err := c.adminStart(newFlags("cluster remove", "NAME [flags]", `Remove a registered cluster and its workspace bindings (platform admins).
Nothing in the cluster itself is touched.

Examples:
  switchyard cluster remove staging`), &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	if err := s.client.DeleteCluster(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "cluster %s removed\n", pos[0])
	return nil
}

func (c *cli) clusterProbe(ctx context.Context, args []string) error {
	var f adminFlags
	s, pos, err := c.adminStart(newFlags("cluster probe", "NAME [flags]", `Probe a cluster now and show what was found (platform admins).

Examples:
  switchyard cluster probe prod-eu`), &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	cl, err := s.client.ProbeCluster(ctx, pos[0])
	if err != nil {
		return err
	}
	return c.print(f.out, cl, func(w *tabwriter.Writer) { clusterTable(w, []client.Cluster{*cl}) })
}

const clusterSetHelp = `Change a registered cluster's settings (platform admins). --argo-instance-id
is the --instance-id its Argo Rollouts controller runs with ("" for none):
jobs created from then on label their Rollouts with it. Existing jobs keep
the label they were created with.

Examples:
  switchyard cluster set shared --argo-instance-id team-a
  switchyard cluster set shared --argo-instance-id ""`

func (c *cli) clusterSet(ctx context.Context, args []string) error {
	var f adminFlags
	fs := newFlags("cluster set", "NAME --argo-instance-id ID [flags]", clusterSetHelp)
	var u client.ClusterUpdate
	fs.Func("argo-instance-id", "the `ID` the cluster's Argo Rollouts controller runs with (\"\" for none)", func(v string) error {
		u.ArgoInstanceID = &v
		return nil
	})
	s, pos, err := c.adminStart(fs, &f, args, 1, 1, false)
	if err != nil {
		return err
	}
	if u.ArgoInstanceID == nil {
		return usageError{"cluster set: nothing to change: give --argo-instance-id"}
	}
	cl, err := s.client.UpdateCluster(ctx, pos[0], u)
	if err != nil {
		return err
	}
	return c.print(f.out, cl, func(w *tabwriter.Writer) { clusterTable(w, []client.Cluster{*cl}) })
}
