package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

const jobTargetsLong = `List what a job can be made of, like the console's job form: the clusters
and namespaces bound to the workspace; with --cluster and --namespace, the
Deployments there; adding --deployment, the Services there, marked with whether
each selects that Deployment's pods (only those can be the job's Service).`

const jobTargetsExample = `  switchyard job targets -w demo
  switchyard job targets --cluster local -n demo
  switchyard job targets --cluster local -n demo --deployment web
  switchyard job targets --cluster local -n demo --deployment web -o json`

// targetOptions are job targets' own flags.
type targetOptions struct{ cluster, namespace, deployment string }

func (c *cli) jobTargetsCmd() *cobra.Command {
	var f jobFlags
	var o targetOptions
	cmd := &cobra.Command{
		Use:     "targets",
		Short:   "List the clusters, namespaces, Deployments and Services a job can be made of",
		Long:    jobTargetsLong,
		Example: jobTargetsExample,
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return c.jobTargets(cmd.Context(), f, o) },
	}
	f.bind(c, cmd, true)
	cmd.Flags().StringVar(&o.cluster, "cluster", "", "list the Deployments (or Services) of this cluster")
	cmd.Flags().StringVarP(&o.namespace, "namespace", "n", "", "… in this namespace")
	cmd.Flags().StringVar(&o.deployment, "deployment", "", "list the Services, marked with whether they select this Deployment")
	c.targetCompletion(cmd, &f.conn, &o.cluster, &o.namespace, &o.deployment)
	return cmd
}

// jobTargets lists the pickers of job create: bound clusters and
// namespaces, then Deployments, then Services marked against a Deployment.
func (c *cli) jobTargets(ctx context.Context, f jobFlags, o targetOptions) error {
	if (o.cluster == "") != (o.namespace == "") || (o.deployment != "" && o.cluster == "") {
		return usageError{"job targets: --cluster and --namespace go together (and --deployment needs both)"}
	}
	s, ws, err := c.start(&f)
	if err != nil {
		return err
	}
	scope := "in workspace " + ws
	switch {
	case o.cluster == "":
		cs, err := s.client.WorkspaceClusters(ctx, ws)
		if err != nil {
			return err
		}
		return c.print(f.out, listing{kind: "WorkspaceCluster", items: cs, scope: scope, table: targetClusterTable(cs, f.out.wide()),
			names: names("cluster", cs, func(wc client.WorkspaceCluster) string { return wc.Name })})
	case o.deployment == "":
		ds, err := s.client.Deployments(ctx, ws, o.cluster, o.namespace)
		if err != nil {
			return err
		}
		return c.print(f.out, listing{kind: "Deployment", items: ds, scope: "in namespace " + o.namespace + " of cluster " + o.cluster,
			table: deploymentTable(ds, f.out.wide()), names: names("deployment", ds, func(d client.Deployment) string { return d.Name })})
	}
	svcs, err := s.client.Services(ctx, ws, o.cluster, o.namespace, o.deployment)
	if err != nil {
		return err
	}
	return c.print(f.out, listing{kind: "Service", items: svcs, scope: "in namespace " + o.namespace + " of cluster " + o.cluster,
		table: serviceTable(svcs, o.deployment, f.out.wide()), names: names("service", svcs, func(sv client.Service) string { return sv.Name })})
}

func targetClusterTable(cs []client.WorkspaceCluster, wide bool) table {
	t := table{head: []string{"CLUSTER", "AVAILABLE", "NAMESPACES", "REASON"}}
	if wide {
		t.head = append(t.head, "KUBERNETES", "ARGO ROLLOUTS")
	}
	for _, wc := range cs {
		ns := make([]string, len(wc.Namespaces))
		for i, n := range wc.Namespaces {
			ns[i] = n.Name
		}
		row := []string{dash(wc.Name), yesNo(wc.Available), joinOrDash(ns), dash(wc.Reason)}
		if wide {
			row = append(row, dash(wc.Status.KubernetesVersion), argoCell(wc.Cluster))
		}
		t.add(row...)
	}
	return t
}

func deploymentTable(ds []client.Deployment, wide bool) table {
	t := table{head: []string{"DEPLOYMENT", "READY", "IMAGES"}}
	if wide {
		t.head = append(t.head, "POD LABELS")
	}
	for _, d := range ds {
		row := []string{dash(d.Name), fmt.Sprintf("%d/%d", d.ReadyReplicas, d.Replicas), joinOrDash(d.Images)}
		if wide {
			row = append(row, labels(d.PodLabels))
		}
		t.add(row...)
	}
	return t
}

func serviceTable(svcs []client.Service, deployment string, wide bool) table {
	t := table{head: []string{"SERVICE", "SELECTS " + strings.ToUpper(dash(deployment)), "PORTS", "MANAGED BY", "REASON"}}
	if wide {
		t.head = append(t.head, "TYPE", "SELECTOR")
	}
	for _, sv := range svcs {
		ports := make([]string, len(sv.Ports))
		for i, p := range sv.Ports {
			ports[i] = fmt.Sprint(p)
		}
		row := []string{dash(sv.Name), yesNo(sv.SelectsDeployment), joinOrDash(ports), dash(sv.ManagedByRollout), dash(sv.Reason)}
		if wide {
			row = append(row, dash(sv.Type), labels(sv.Selector))
		}
		t.add(row...)
	}
	return t
}

// labels writes a label map as kubectl does: a=b,c=d, sorted.
func labels(m map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		kv = append(kv, k+"="+m[k])
	}
	return joinOrDash(kv)
}
