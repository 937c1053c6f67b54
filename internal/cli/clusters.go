package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

func (c *cli) clusterCmd() *cobra.Command {
	return c.group("cluster", "Registered Kubernetes clusters (platform admins)",
		c.clusterListCmd(), c.clusterGetCmd(), c.clusterAddCmd(), c.clusterRemoveCmd(), c.clusterRotateCmd(), c.clusterProbeCmd(), c.clusterSetCmd())
}

// adminFlags are the flags of the administration commands.
type adminFlags struct {
	conn connFlags
	out  outputFlags
}

// bind adds the connection flags (-w too with workspace) and the output flags.
func (f *adminFlags) bind(c *cli, cmd *cobra.Command, workspace bool) {
	f.conn.bind(c, cmd, workspace, true)
	f.out.bind(cmd)
}

// adminStart checks the output format and connects.
func (c *cli) adminStart(f *adminFlags) (*session, error) {
	if err := f.out.check(); err != nil {
		return nil, err
	}
	return c.connect(f.conn)
}

// adminCmd makes an administration command: run gets the session.
func (c *cli) adminCmd(use, short, long, example string, args cobra.PositionalArgs, f *adminFlags, workspace bool,
	run func(ctx context.Context, s *session, args []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := c.adminStart(f)
			if err != nil {
				return err
			}
			return run(cmd.Context(), s, args)
		},
	}
	f.bind(c, cmd, workspace)
	return cmd
}

// argoCell says whether Argo Rollouts is installed, its version and instance ID.
func argoCell(cl client.Cluster) string {
	argo := "no"
	if cl.Status.ArgoInstalled {
		argo = "yes"
		if cl.Status.ArgoVersion != "" {
			argo += " " + cl.Status.ArgoVersion
		}
	}
	if cl.ArgoInstanceID != "" {
		argo += " (instance " + cl.ArgoInstanceID + ")"
	}
	return dash(argo)
}

func clusterTable(cs []client.Cluster, wide bool) table {
	t := table{head: []string{"NAME", "REACHABLE", "KUBERNETES", "ARGO ROLLOUTS", "ISTIO", "PROBED", "AGE", "ERROR"}}
	if wide {
		t.head = append(t.head, "PROBED AT", "CREATED")
	}
	now := time.Now()
	for _, cl := range cs {
		st := cl.Status
		probed := "-"
		if st.ProbedAt != nil {
			probed = age(*st.ProbedAt, now) + " ago"
		}
		row := []string{dash(cl.Name), yesNo(st.Reachable), dash(st.KubernetesVersion), argoCell(cl),
			yesNo(st.IstioInstalled), probed, age(cl.CreatedAt, now), dash(st.Error)}
		if wide {
			row = append(row, timestamp(st.ProbedAt), timestamp(&cl.CreatedAt))
		}
		t.add(row...)
	}
	return t
}

func (c *cli) printClusters(o outputFlags, cs []client.Cluster) error {
	return c.print(o, listing{kind: "Cluster", items: cs, table: clusterTable(cs, o.wide()),
		names: names("cluster", cs, func(cl client.Cluster) string { return cl.Name })})
}

func (c *cli) printCluster(o outputFlags, cl *client.Cluster) error {
	return c.print(o, listing{kind: "Cluster", single: true, items: cl, table: clusterTable([]client.Cluster{*cl}, o.wide()),
		names: []string{"cluster/" + cl.Name}})
}

// clusterArg completes a registered cluster's name as the first argument.
func (c *cli) clusterArg(cmd *cobra.Command, f *adminFlags) *cobra.Command {
	cmd.ValidArgsFunction = c.nameArgs(&f.conn, false, 1, clusterNames)
	return cmd
}

func (c *cli) clusterListCmd() *cobra.Command {
	var f adminFlags
	return c.adminCmd("list", "List the registered clusters",
		"List the registered clusters with what their last probe found (platform admins). -o wide adds the\nprobe's and the registration's times.",
		`  switchyard cluster list
  switchyard cluster list -o json`, noArgs, &f, false,
		func(ctx context.Context, s *session, _ []string) error {
			cs, err := s.client.Clusters(ctx)
			if err != nil {
				return err
			}
			return c.printClusters(f.out, cs)
		})
}

func (c *cli) clusterGetCmd() *cobra.Command {
	var f adminFlags
	return c.clusterArg(c.adminCmd("get NAME", "Show one cluster and its last probe", "Show one registered cluster (platform admins).",
		`  switchyard cluster get local -o yaml`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			cl, err := s.client.Cluster(ctx, args[0])
			if err != nil {
				return err
			}
			return c.printCluster(f.out, cl)
		}), &f)
}

const clusterAddLong = `Register a cluster (platform admins), in one of two ways.

With --kubeconfig FILE alone the file is sent as is: it must be
self-contained, with certificates inlined rather than paths to files, and no
exec credential plugins (the server refuses them). Make one with
kubectl config view --flatten --minify --context CONTEXT > FILE.
--kube-context picks a context of the file other than its current one.

With --from-context CTX, as argocd cluster add does, Switchyard gets an
identity of its own in the cluster: through context CTX of your kubeconfig
(--kubeconfig, default KUBECONFIG then ~/.kube/config; exec plugins are fine,
this runs on your machine) it creates a ServiceAccount (--namespace,
--service-account), a ClusterRole of exactly the rights Switchyard uses (no
Secrets), their binding and a token Secret, then registers a self-contained
kubeconfig carrying that token. It prints what it will create and asks on a
terminal; elsewhere pass --yes. If the registration fails, what it created is
removed again. cluster rotate-credentials gives a new token; cluster remove
--cleanup deletes them.

The server seals the kubeconfig, probes the cluster (reachable? Kubernetes
version? Argo Rollouts? Istio?) and registers it even when unreachable, with
the error in its status.

If the cluster's Argo Rollouts controller runs with --instance-id, give it
with --argo-instance-id: jobs then label their Rollouts with it, or that
controller would ignore them (cluster set changes it later).`

func (c *cli) clusterAddCmd() *cobra.Command {
	var f adminFlags
	var sa saFlags
	var nc client.NewCluster
	var yes bool
	cmd := c.adminCmd("add NAME (--kubeconfig FILE | --from-context CTX)", "Register a cluster: upload a kubeconfig, or create a ServiceAccount", clusterAddLong,
		`  switchyard cluster add staging --kubeconfig staging.yaml
  switchyard cluster add staging-2 --kubeconfig - < staging.yaml
  switchyard cluster add prod --from-context prod-admin --yes`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			nc.Name = args[0]
			if sa.fromContext != "" {
				return c.clusterAddFromContext(ctx, s, f.out, &sa, nc, yes)
			}
			data, err := c.readFile(sa.kubeconfig)
			if err != nil {
				return err
			}
			nc.Kubeconfig = string(data)
			cl, err := s.client.CreateCluster(ctx, nc)
			if err != nil {
				return err
			}
			return c.printCluster(f.out, cl)
		})
	cmd.Flags().StringVar(&sa.kubeconfig, "kubeconfig", "",
		"the cluster's kubeconfig file to upload (- for stdin); with --from-context, your kubeconfig (default: KUBECONFIG, then ~/.kube/config)")
	cmd.Flags().StringVar(&nc.Context, "kube-context", "", "the context of the uploaded file to use (default: its current context)")
	cmd.Flags().StringVar(&nc.ArgoInstanceID, "argo-instance-id", "", "the --instance-id the cluster's Argo Rollouts controller runs with, if any")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error { return c.checkAddFlags(cmd, &sa, yes) }
	sa.bind(cmd, false)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "with --from-context: create without asking")
	_ = cmd.MarkFlagFilename("kubeconfig", "yaml", "yml", "conf")
	return cmd
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

func (c *cli) clusterProbeCmd() *cobra.Command {
	var f adminFlags
	return c.clusterArg(c.adminCmd("probe NAME", "Probe a cluster now", "Probe a cluster now and show what was found (platform admins).",
		`  switchyard cluster probe local`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			cl, err := s.client.ProbeCluster(ctx, args[0])
			if err != nil {
				return err
			}
			return c.printCluster(f.out, cl)
		}), &f)
}

const clusterSetLong = `Change a registered cluster's settings (platform admins). --argo-instance-id
is the --instance-id its Argo Rollouts controller runs with ("" for none):
jobs created from then on label their Rollouts with it. Existing jobs keep
the label they were created with.`

func (c *cli) clusterSetCmd() *cobra.Command {
	var f adminFlags
	var id string
	cmd := c.adminCmd("set NAME --argo-instance-id ID", "Change a cluster's settings: its Argo instance ID", clusterSetLong,
		`  switchyard cluster set local --argo-instance-id team-a
  switchyard cluster set local --argo-instance-id ""`, argsBetween(1, 1), &f, false,
		func(ctx context.Context, s *session, args []string) error {
			cl, err := s.client.UpdateCluster(ctx, args[0], client.ClusterUpdate{ArgoInstanceID: &id})
			if err != nil {
				return err
			}
			return c.printCluster(f.out, cl)
		})
	cmd.Flags().StringVar(&id, "argo-instance-id", "", `the ID the cluster's Argo Rollouts controller runs with ("" for none)`)
	_ = cmd.MarkFlagRequired("argo-instance-id")
	return c.clusterArg(cmd, &f)
}
