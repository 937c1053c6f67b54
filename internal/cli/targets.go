package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
)

const jobTargetsHelp = `List what a job can be made of, like the console's job form: the clusters
and namespaces bound to the workspace; with --cluster and --namespace, the
Deployments there; adding --deployment, the Services there, marked with whether
each selects that Deployment's pods (only those can be the job's Service).

Examples:
  switchyard job targets -w payments
  switchyard job targets --cluster prod-eu -n shop
  switchyard job targets --cluster prod-eu -n shop --deployment web
  switchyard job targets --cluster prod-eu -n shop --deployment web -o json`

// jobTargets lists the pickers of job create: bound clusters and
// namespaces, then Deployments, then Services marked against a Deployment.
func (c *cli) jobTargets(ctx context.Context, args []string) error {
	var f jobFlags
	fs := newFlags("job targets", "[flags]", jobTargetsHelp)
	f.bind(fs, true)
	cluster := fs.String("cluster", "", "list the Deployments (or Services) of this cluster")
	namespace := fs.String("namespace", "", "… in this namespace")
	fs.StringVar(namespace, "n", "", "shorthand for --namespace")
	deployment := fs.String("deployment", "", "list the Services, marked with whether they select this Deployment")
	s, ws, _, err := c.start(fs, &f, args, 0, 0)
	if err != nil {
		return err
	}
	switch {
	case *cluster == "" && *namespace == "" && *deployment == "":
		cs, err := s.client.WorkspaceClusters(ctx, ws)
		if err != nil {
			return err
		}
		return c.print(f.out, cs, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "CLUSTER\tAVAILABLE\tNAMESPACES\tREASON")
			for _, wc := range cs {
				ns := make([]string, len(wc.Namespaces))
				for i, n := range wc.Namespaces {
					ns[i] = n.Name
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", dash(wc.Name), yesNo(wc.Available), dash(strings.Join(ns, ",")), dash(wc.Reason))
			}
		})
	case *cluster == "" || *namespace == "":
		return usageError{"job targets: --cluster and --namespace go together (and --deployment needs both)"}
	case *deployment == "":
		ds, err := s.client.Deployments(ctx, ws, *cluster, *namespace)
		if err != nil {
			return err
		}
		return c.print(f.out, ds, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "DEPLOYMENT\tREADY\tIMAGES")
			for _, d := range ds {
				fmt.Fprintf(w, "%s\t%d/%d\t%s\n", dash(d.Name), d.ReadyReplicas, d.Replicas, joinOrDash(d.Images))
			}
		})
	default:
		svcs, err := s.client.Services(ctx, ws, *cluster, *namespace, *deployment)
		if err != nil {
			return err
		}
		return c.print(f.out, svcs, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "SERVICE\tSELECTS "+strings.ToUpper(dash(*deployment))+"\tPORTS\tMANAGED BY\tREASON")
			for _, sv := range svcs {
				ports := make([]string, len(sv.Ports))
				for i, p := range sv.Ports {
					ports[i] = fmt.Sprint(p)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", dash(sv.Name), yesNo(sv.SelectsDeployment), joinOrDash(ports), dash(sv.ManagedByRollout), dash(sv.Reason))
			}
		})
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
