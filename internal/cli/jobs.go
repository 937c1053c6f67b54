package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

func (c *cli) jobCmd() *cobra.Command {
	cmd := c.group("job", "Blue-green release jobs of a workspace",
		c.jobListCmd(), c.jobGetCmd(), c.jobDescribeCmd(), c.jobCreateCmd(), c.jobTargetsCmd(),
		c.jobDeployCmd(), c.jobPromoteCmd(), c.jobAbortCmd(), c.jobRetryCmd(), c.jobRollbackCmd(),
		c.jobDeleteCmd(), c.jobHistoryCmd(), c.jobEventsCmd(), c.jobWatchCmd(), c.jobWaitCmd(), c.jobChecksCmd(), c.jobSetChecksCmd())
	cmd.Long = `Blue-green release jobs of a workspace (-w/--workspace, else SWITCHYARD_WORKSPACE,
else the context's): create one from a Deployment and its Service, deploy a new
version, promote it, abort, retry, roll back, delete.`
	return cmd
}

// jobFlags are the flags every job command has.
type jobFlags struct {
	conn connFlags
	out  outputFlags
}

// bind adds the connection flags and, with output, -o and --no-headers.
func (f *jobFlags) bind(c *cli, cmd *cobra.Command, output bool) {
	f.conn.bind(c, cmd, true, cmd.Name() != "list")
	if output {
		f.out.bind(cmd)
	}
}

// jobArg completes a job name as the first argument.
func (c *cli) jobArg(cmd *cobra.Command, f *jobFlags) {
	cmd.ValidArgsFunction = c.nameArgs(&f.conn, true, 1, jobNames)
}

// start checks the output format and connects; it returns the workspace.
func (c *cli) start(f *jobFlags) (*session, string, error) {
	if f.out.format != "" {
		if err := f.out.check(); err != nil {
			return nil, "", err
		}
	}
	s, err := c.connect(f.conn)
	if err != nil {
		return nil, "", err
	}
	ws, err := s.needWorkspace()
	return s, ws, err
}

// jobQueryAll asks for as many jobs as the server gives at once.
func jobQueryAll() client.JobQuery { return client.JobQuery{Limit: 500} }

const jobListLong = `List the jobs of a workspace, like kubectl get. --watch (-w) then prints a job
again whenever it changes, from the server's change stream, until Ctrl-C:
-w is --watch here as in kubectl get, so give the workspace as --workspace.`

const jobListExample = `  switchyard job list --workspace demo
  switchyard job list --phase "awaiting promotion" --sort -created
  switchyard job list --cluster local --namespace demo -o wide
  switchyard job list --include-deleted --phase deleted
  switchyard job list -o json | jq '.items[].name'
  switchyard job list -o custom-columns=NAME:.name,PHASE:.phase,IMAGES:.active_images
  switchyard job list -w            # until Ctrl-C: a line for each change`

func (c *cli) jobListCmd() *cobra.Command {
	var f jobFlags
	var q client.JobQuery
	var phase string
	var watch bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the workspace's jobs",
		Long:    jobListLong,
		Example: jobListExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && watch {
				return usageError{fmt.Sprintf("job list: unexpected argument %q: -w is --watch here, as in kubectl get -w; for the workspace write --workspace %s", args[0], args[0])}
			}
			return noArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return c.jobList(cmd.Context(), f, q, phase, watch) },
	}
	f.bind(c, cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&q.Cluster, "cluster", "", "only jobs on this cluster")
	fl.StringVarP(&q.Namespace, "namespace", "n", "", "only jobs in this namespace")
	fl.StringVar(&q.Name, "name", "", "only jobs whose name contains this")
	fl.StringVar(&phase, "phase", "", "only jobs in this phase (e.g. healthy, awaiting-promotion)")
	fl.StringVar(&q.Sort, "sort", "", "name, created, cluster or namespace; prefix - for descending")
	fl.IntVar(&q.Limit, "limit", 0, "at most this many jobs (server default 50, at most 500)")
	fl.IntVar(&q.Offset, "offset", 0, "skip this many jobs")
	fl.BoolVar(&q.IncludeDeleted, "include-deleted", false, "also deleted jobs, kept on record for the audit trail")
	fl.BoolVarP(&watch, "watch", "w", false, "after the list, print each job again when it changes, until Ctrl-C")
	_ = cmd.RegisterFlagCompletionFunc("cluster", c.flagNames(&f.conn, false, clusterNames))
	_ = cmd.RegisterFlagCompletionFunc("namespace", c.flagNames(&f.conn, true, namespaceNames(&q.Cluster)))
	_ = cmd.RegisterFlagCompletionFunc("phase", fixed(phaseWords()...))
	_ = cmd.RegisterFlagCompletionFunc("sort", fixed("name", "-name", "created", "-created", "cluster", "-cluster", "namespace", "-namespace"))
	return cmd
}

func (c *cli) jobList(ctx context.Context, f jobFlags, q client.JobQuery, phase string, watch bool) error {
	if phase != "" {
		p, ok := parsePhase(phase)
		if !ok {
			return usageError{fmt.Sprintf("job list: --phase %q: must be one of %s", phase, strings.Join(phases, ", "))}
		}
		q.Phase = p
	}
	s, ws, err := c.start(&f)
	if err != nil {
		return err
	}
	if watch {
		return c.watchJobs(ctx, s, ws, q, f.out)
	}
	l, err := s.client.Jobs(ctx, ws, q)
	if err != nil {
		return err
	}
	if err := c.print(f.out, jobListing(l, ws, f.out.wide())); err != nil {
		return err
	}
	if f.out.human() && l.Total > l.Offset+len(l.Items) {
		fmt.Fprintf(c.stderr, "(%d of %d jobs; use --limit and --offset for more)\n", len(l.Items), l.Total)
	}
	return nil
}

// jobListing is a page of jobs as every output format shows it.
func jobListing(l *client.JobList, ws string, wide bool) listing {
	return listing{kind: "Job", items: l.Items, table: jobTable(l.Items, wide, time.Now()), scope: "in workspace " + ws,
		names: names("job", l.Items, func(j client.Job) string { return j.Name }),
		meta:  map[string]int{"total": l.Total, "offset": l.Offset, "limit": l.Limit}}
}

// jobTable makes jobs kubectl-like rows.
func jobTable(jobs []client.Job, wide bool, now time.Time) table {
	t := table{head: []string{"NAME", "PHASE", "CLUSTER", "NAMESPACE", "ACTIVE", "PREVIEW", "AGE"}}
	if wide {
		t.head = append(t.head, "DEPLOYMENT", "SERVICE", "STANDBY", "CREATED BY", "MESSAGE")
	}
	for _, j := range jobs {
		phase := j.Phase
		switch {
		case j.Stale && j.LastPhase != "":
			phase += " (was " + j.LastPhase + ")"
		case j.Stale:
			phase += " (stale)"
		case j.FailedCheck != "":
			phase += " (check " + j.FailedCheck + " failed)"
		}
		row := []string{dash(j.Name), dash(phase), dash(j.Cluster), dash(j.Namespace),
			joinOrDash(j.ActiveImages), joinOrDash(j.PreviewImages), age(j.CreatedAt, now)}
		if wide {
			msg := j.Message
			if j.Stale {
				msg = j.StaleReason
			}
			row = append(row, dash(j.Deployment), dash(j.Service),
				formatDuration(time.Duration(j.ScaleDownDelaySeconds)*time.Second), dash(j.CreatedBy), dash(msg))
		}
		t.add(row...)
	}
	return t
}

// printJob prints one job in the format o asks for.
func (c *cli) printJob(o outputFlags, j *client.Job) error {
	return c.print(o, listing{kind: "Job", single: true, items: j, names: []string{"job/" + j.Name},
		table: jobTable([]client.Job{*j}, o.wide(), time.Now())})
}

func (c *cli) jobGetCmd() *cobra.Command {
	var f jobFlags
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show one job",
		Long: `Show one job with its live phase. -o json or -o yaml shows everything,
versions included (see also job history).`,
		Example: `  switchyard job get web-bg
  switchyard job get web-bg -o yaml
  switchyard job get web-bg -o jsonpath='{.phase}'`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			j, err := s.client.Job(cmd.Context(), ws, args[0])
			if err != nil {
				return err
			}
			return c.printJob(f.out, j)
		},
	}
	f.bind(c, cmd, true)
	c.jobArg(cmd, &f)
	return cmd
}

const jobCreateLong = `Turn an existing Deployment and the Service that selects its pods into a
blue-green job: Switchyard creates an Argo Rollout that takes over the
Deployment's pods and a preview Service NAME-preview. The server runs every
check first (cluster reachable with Argo Rollouts, namespace bound to the
workspace, Service selects the Deployment's pods, …) and refuses with the
field at fault. --cluster, --namespace, --deployment and --service are
required; job targets lists what they can be.`

const jobCreateExample = `  switchyard job create web-bg --cluster local -n demo --deployment web --service web \
      --standby 5m      # the old version stays up 5 minutes after a switch`

func (c *cli) jobCreateCmd() *cobra.Command {
	var f jobFlags
	var nj client.NewJob
	var checksFile string
	cmd := &cobra.Command{
		Use:     "create NAME --cluster C --namespace N --deployment D --service S",
		Short:   "Turn a Deployment + Service into a blue-green job",
		Long:    jobCreateLong,
		Example: jobCreateExample,
		Args:    argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			nj.Name = args[0]
			if checksFile != "" {
				if nj.Checks, err = c.readChecks(checksFile); err != nil {
					return err
				}
			}
			j, err := s.client.CreateJob(cmd.Context(), ws, nj)
			if err != nil {
				return err
			}
			for _, w := range j.Warnings {
				fmt.Fprintf(c.stderr, "warning: %s\n", w)
			}
			return c.printJob(f.out, j)
		},
	}
	f.bind(c, cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&nj.Cluster, "cluster", "", "cluster the Deployment runs on")
	fl.StringVarP(&nj.Namespace, "namespace", "n", "", "its namespace")
	fl.StringVar(&nj.Deployment, "deployment", "", "the Deployment")
	fl.StringVar(&nj.Service, "service", "", "the Service that selects its pods")
	fl.Var(secondsFlag(&nj.ScaleDownDelaySeconds), "standby", "how long the old version stays up after a switch, for an instant roll back (like 30s or 5m; server default 30s)")
	fl.Var(secondsFlag(&nj.AutoPromotionSeconds), "auto-promote-after", "promote by itself this long (like 10m) after the new version is ready")
	fl.Var(countFlag{&nj.PreviewReplicaCount}, "preview-replicas", "run the new version with N replicas until promoted")
	fl.StringVar(&checksFile, "checks-file", "", "checks before and after the switch: a YAML or JSON list (- for standard input; see job checks --help)")
	fl.BoolVar(&nj.PromoteWhenChecksPass, "promote-when-checks-pass", false, "switch with no click once the checks before the switch pass")
	for _, name := range []string{"cluster", "namespace", "deployment", "service"} {
		_ = cmd.MarkFlagRequired(name)
	}
	c.targetCompletion(cmd, &f.conn, &nj.Cluster, &nj.Namespace, &nj.Deployment)
	_ = cmd.RegisterFlagCompletionFunc("service", c.flagNames(&f.conn, true, func(ctx context.Context, s *session) ([]string, error) {
		svcs, err := s.client.Services(ctx, s.workspace, nj.Cluster, nj.Namespace, nj.Deployment)
		var out []string
		for _, sv := range svcs {
			if sv.SelectsDeployment || nj.Deployment == "" {
				out = append(out, sv.Name)
			}
		}
		return out, err
	}))
	return cmd
}

// targetCompletion completes --cluster, --namespace and --deployment.
func (c *cli) targetCompletion(cmd *cobra.Command, o *connFlags, cluster, namespace, deployment *string) {
	_ = cmd.RegisterFlagCompletionFunc("cluster", c.flagNames(o, true, clusterNames))
	_ = cmd.RegisterFlagCompletionFunc("namespace", c.flagNames(o, true, namespaceNames(cluster)))
	_ = cmd.RegisterFlagCompletionFunc("deployment", c.flagNames(o, true, func(ctx context.Context, s *session) ([]string, error) {
		ds, err := s.client.Deployments(ctx, s.workspace, *cluster, *namespace)
		var out []string
		for _, d := range ds {
			out = append(out, d.Name)
		}
		return out, err
	}))
}

// countFlag is an integer flag that may be left unset.
type countFlag struct{ dst **int32 }

func (f countFlag) String() string {
	if *f.dst == nil {
		return ""
	}
	return strconv.Itoa(int(**f.dst))
}

func (f countFlag) Set(v string) error {
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	m := int32(n)
	*f.dst = &m
	return nil
}

func (f countFlag) Type() string { return "N" }

func (c *cli) jobDeployCmd() *cobra.Command {
	var images []string
	return c.operation("deploy", "NAME --image CONTAINER=IMAGE…", "Ship new images (the green version)",
		`Ship new images: the new (green) version comes up beside the old one and the
preview Service selects it; traffic stays on the old version until promote.`,
		`  switchyard job deploy web-bg --image web=example/web:1.1.0
  switchyard job deploy web-bg --image web=example/web:1.2.0 && switchyard job wait web-bg --for awaiting-promotion`,
		func(cmd *cobra.Command) {
			cmd.Flags().StringArrayVar(&images, "image", nil, "CONTAINER=IMAGE; repeat for several containers")
			_ = cmd.MarkFlagRequired("image")
		},
		func(op *client.Operation) error {
			op.Images = map[string]string{}
			for _, v := range images {
				name, image, ok := strings.Cut(v, "=")
				if !ok || name == "" || image == "" {
					return usageError{fmt.Sprintf("job deploy: --image %q: want CONTAINER=IMAGE", v)}
				}
				op.Images[name] = image
			}
			return nil
		})
}

func (c *cli) jobPromoteCmd() *cobra.Command {
	var full bool
	return c.operation("promote", "NAME", "Switch traffic to the new version",
		`Switch traffic to the new version (the one "awaiting promotion"); the old one
stays up for the job's standby time, for an instant roll back. --full skips
any remaining pauses and analysis.`,
		`  switchyard job promote web-bg --if-phase "awaiting promotion"   # refuse if someone moved it on`,
		func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&full, "full", false, "skip remaining pauses and analysis")
		},
		func(op *client.Operation) error { op.Full = full; return nil })
}

func (c *cli) jobAbortCmd() *cobra.Command {
	return c.operation("abort", "NAME", "Keep traffic on the stable version, scale the new one down",
		`Abort the release under way: traffic stays on (or returns to) the stable
version and the new version is scaled down. The job is then Aborted; retry
restarts the release, deploy ships something else.`,
		`  switchyard job abort web-bg`, nil, nil)
}

func (c *cli) jobRetryCmd() *cobra.Command {
	return c.operation("retry", "NAME", "Restart an aborted release",
		"Restart an aborted release of the same images.",
		`  switchyard job retry web-bg`, nil, nil)
}

func (c *cli) jobRollbackCmd() *cobra.Command {
	var rev int
	return c.operation("rollback", "NAME", "Switch back to a previous revision",
		`Switch back to a previous revision (default: the one before the current).
A version still on standby takes traffic at once.`,
		`  switchyard job history web-bg      # lists the revisions
  switchyard job rollback web-bg     # to the previous one; --to-revision N for another`,
		func(cmd *cobra.Command) {
			cmd.Flags().IntVar(&rev, "to-revision", 0, "the revision to return to (0: the previous one)")
		},
		func(op *client.Operation) error { op.Revision = rev; return nil })
}

// operation makes one job operation command: flags adds its own flags, fill
// completes the request once they are parsed.
func (c *cli) operation(op, args, short, long, example string, flags func(*cobra.Command), fill func(*client.Operation) error) *cobra.Command {
	var f jobFlags
	var ifPhase string
	cmd := &cobra.Command{
		Use:     op + " " + args,
		Short:   short,
		Long:    long,
		Example: example,
		Args:    argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o client.Operation
			if ifPhase != "" {
				p, ok := parsePhase(ifPhase)
				if !ok {
					return usageError{fmt.Sprintf("job %s: --if-phase %q: must be one of %s", op, ifPhase, strings.Join(phases, ", "))}
				}
				o.IfPhase = p
			}
			if fill != nil {
				if err := fill(&o); err != nil {
					return err
				}
			}
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			j, err := s.client.Operate(cmd.Context(), ws, args[0], op, o)
			if err != nil {
				return err
			}
			return c.printJob(f.out, j)
		},
	}
	f.bind(c, cmd, true)
	cmd.Flags().StringVar(&ifPhase, "if-phase", "", "refuse if the job is no longer in this phase (someone else moved it on)")
	_ = cmd.RegisterFlagCompletionFunc("if-phase", fixed(phaseWords()...))
	if flags != nil {
		flags(cmd)
	}
	c.jobArg(cmd, &f)
	return cmd
}

func (c *cli) jobDeleteCmd() *cobra.Command {
	var f jobFlags
	var yes, force bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Hand the application back as a plain Deployment + Service",
		Long: `Delete a job: the application is handed back as a plain Deployment + Service
running the active version. Asks for confirmation on a terminal unless --yes.
Refused while a release is in flight unless --force.`,
		Example: `  switchyard job delete web-bg --yes --force   # on a terminal, without --yes it asks first`,
		Args:    argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.jobDelete(cmd.Context(), f, args[0], yes, force)
		},
	}
	f.bind(c, cmd, true)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&force, "force", false, "delete even while a release is in flight")
	c.jobArg(cmd, &f)
	return cmd
}

func (c *cli) jobDelete(ctx context.Context, f jobFlags, name string, yes, force bool) error {
	s, ws, err := c.start(&f)
	if err != nil {
		return err
	}
	if !yes && c.stdinTTY {
		fmt.Fprintf(c.stderr, "Delete job %q of workspace %q? [y/N] ", name, ws)
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return fmt.Errorf("not deleted")
		}
	}
	j, err := s.client.DeleteJob(ctx, ws, name, force)
	if err != nil {
		return err
	}
	if !f.out.human() {
		return c.printJob(f.out, j)
	}
	if j.Phase == client.PhaseDeleted {
		fmt.Fprintf(c.stdout, "job %s deleted\n", j.Name)
	} else {
		fmt.Fprintf(c.stdout, "job %s is %s: the server finishes it (%s job wait %s --for deleted)\n", j.Name, j.Phase, c.name, j.Name)
	}
	return nil
}

func (c *cli) jobHistoryCmd() *cobra.Command {
	var f jobFlags
	cmd := &cobra.Command{
		Use:   "history NAME",
		Short: "List the job's versions (revisions)",
		Long: `List the job's versions: revision, images, ready/desired pods, which one
serves users (ACTIVE), which the preview Service selects (PREVIEW), Argo's
stable one (STABLE), and until when an old version stays on standby. -o wide
adds the ReplicaSet and pod template hash.`,
		Example: `  switchyard job history web-bg
  switchyard job history web-bg -o json`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			j, err := s.client.Job(cmd.Context(), ws, args[0])
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Version", items: j.Versions, scope: "for job " + j.Name,
				table: versionTable(j.Versions, time.Now(), f.out.wide()),
				names: names("revision", j.Versions, func(v client.Version) string { return strconv.Itoa(v.Revision) })})
		},
	}
	f.bind(c, cmd, true)
	c.jobArg(cmd, &f)
	return cmd
}

// versionTable makes a job's versions rows, newest first as the server orders them.
func versionTable(vs []client.Version, now time.Time, wide bool) table {
	t := table{head: []string{"REVISION", "MARKS", "IMAGES", "READY", "PODS", "AGE", "STANDBY UNTIL"}}
	if wide {
		t.head = append(t.head, "REPLICASET", "POD HASH")
	}
	for _, v := range vs {
		standby := "-"
		if v.ScaleDownAt != nil {
			standby = v.ScaleDownAt.Local().Format("15:04:05") + " (in " + v.ScaleDownAt.Sub(now).Truncate(time.Second).String() + ")"
		}
		row := []string{strconv.Itoa(v.Revision), marks(v), joinOrDash(v.Images), fmt.Sprintf("%d/%d", v.Ready, v.Desired),
			pods(v.Ready, v.Desired), age(v.CreatedAt, now), standby}
		if wide {
			row = append(row, dash(v.ReplicaSet), dash(v.PodHash))
		}
		t.add(row...)
	}
	return t
}

// podTable makes the pods of every version that has any rows, newest version first.
func podTable(vs []client.Version, now time.Time) table {
	t := table{head: []string{"POD", "REVISION", "READY", "STATUS", "RESTARTS", "AGE", "NODE"}}
	for _, v := range vs {
		for _, p := range v.Pods {
			t.add(dash(p.Name), strconv.Itoa(v.Revision), yesNo(p.Ready), dash(podStatus(p)), strconv.Itoa(int(p.Restarts)), age(p.CreatedAt, now), dash(p.Node))
		}
	}
	if len(t.rows) == 0 {
		t.add("(no pods)")
	}
	return t
}

// podStatus is the STATUS column of kubectl get pods: the reason when there
// is one, Terminating while the pod shuts down, else its phase.
func podStatus(p client.Pod) string {
	switch {
	case p.Deleting:
		return "Terminating"
	case p.Reason != "" && !p.Ready:
		return p.Phase + ": " + p.Reason
	}
	return p.Phase
}

func marks(v client.Version) string {
	var m []string
	if v.Active {
		m = append(m, "ACTIVE")
	}
	if v.Preview {
		m = append(m, "PREVIEW")
	}
	if v.Stable {
		m = append(m, "STABLE")
	}
	return joinOrDash(m)
}

// pods draws a version's pods: ● ready, ○ not (yet).
func pods(ready, desired int32) string {
	if desired > 20 || ready > 20 {
		return "…"
	}
	n := max(ready, desired)
	return strings.Repeat("●", int(ready)) + strings.Repeat("○", int(n-ready))
}

func (c *cli) jobDescribeCmd() *cobra.Command {
	var f jobFlags
	var events int
	cmd := &cobra.Command{
		Use:   "describe NAME",
		Short: "Show everything about one job: settings, versions, pods, recent events",
		Long: `Show everything about one job, for people, like kubectl describe: its
settings, phase and message, the versions with their marks, every pod, and
the last events of its timeline (see job events for all of them). For
scripts, use job get -o json.`,
		Example: `  switchyard job describe web-bg
  switchyard job describe web-bg --events 30`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if events < 0 {
				return usageError{"job describe: --events must not be negative"}
			}
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			j, err := s.client.Job(cmd.Context(), ws, args[0])
			if err != nil {
				return err
			}
			var tl []client.TimelineEntry
			if events > 0 {
				if tl, err = s.client.Timeline(cmd.Context(), ws, args[0]); err != nil {
					return err
				}
			}
			_, err = c.stdout.Write(describeJob(j, tl[:min(events, len(tl))], time.Now()))
			return err
		},
	}
	f.bind(c, cmd, false)
	cmd.Flags().IntVar(&events, "events", 10, "how many of the latest timeline entries to show (0: none)")
	c.jobArg(cmd, &f)
	return cmd
}

// describeJob renders job describe: tl is the newest entries, newest first.
func describeJob(j *client.Job, tl []client.TimelineEntry, now time.Time) []byte {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	phase := j.Phase
	if j.Stale {
		phase += ": " + dash(j.StaleReason)
		if j.LastPhase != "" {
			phase += "; last known " + j.LastPhase
			if j.ObservedAt != nil {
				phase += ", " + age(*j.ObservedAt, now) + " ago"
			}
		}
	}
	auto := "off: waits for promote"
	if j.AutoPromotionSeconds != nil {
		auto = "after " + formatDuration(time.Duration(*j.AutoPromotionSeconds)*time.Second)
	}
	if j.PromoteWhenChecksPass {
		auto = "when the checks before the switch pass"
		if j.AutoPromotionSeconds != nil {
			auto += ", then after " + formatDuration(time.Duration(*j.AutoPromotionSeconds)*time.Second)
		}
	}
	preview := "as many as the Deployment"
	if j.PreviewReplicaCount != nil {
		preview = fmt.Sprint(*j.PreviewReplicaCount)
	}
	for _, kv := range [][2]string{
		{"Name", j.Name}, {"Workspace", j.Workspace}, {"Type", "blue-green"},
		{"Cluster", j.Cluster}, {"Namespace", j.Namespace}, {"Deployment", j.Deployment},
		{"Active Service", j.Service}, {"Preview Service", j.PreviewService},
		{"Phase", phase}, {"Message", j.Message},
		{"Active", joinOrDash(j.ActiveImages)}, {"Preview", joinOrDash(j.PreviewImages)},
		{"Standby", formatDuration(time.Duration(j.ScaleDownDelaySeconds)*time.Second) + " after a switch"},
		{"Auto-promotion", auto}, {"Preview replicas", preview},
		{"Created", j.CreatedAt.Local().Format(time.DateTime) + " by " + dash(j.CreatedBy) + " (" + age(j.CreatedAt, now) + " ago)"},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], dash(kv[1]))
	}
	tw.Flush()
	b.WriteString("\nVersions:\n")
	_ = versionTable(j.Versions, now, true).write(&b, true)
	b.WriteString("\nPods:\n")
	_ = podTable(j.Versions, now).write(&b, true)
	describeChecks(&b, j, now)
	if len(tl) > 0 {
		b.WriteString("\nEvents (latest last):\n")
		t := table{head: []string{"AGE", "SOURCE", "ACTION", "ACTOR", "OUTCOME", "MESSAGE"}}
		for i := len(tl) - 1; i >= 0; i-- {
			e := tl[i]
			t.add(age(e.Time, now), dash(e.Source), dash(e.Action), dash(e.Actor), dash(e.Outcome), dash(e.Message))
		}
		_ = t.write(&b, true)
	}
	return b.Bytes()
}

func (c *cli) jobEventsCmd() *cobra.Command {
	var f jobFlags
	cmd := &cobra.Command{
		Use:   "events NAME",
		Short: "Show the job's timeline: Switchyard actions and Argo events",
		Long: `Show the job's timeline, oldest first: what people did through Switchyard
(source switchyard) and the events of its Argo Rollout (source kubernetes).
-o wide adds the Kubernetes event type; -o json lists them newest first, as
the API does.`,
		Example: `  switchyard job events web-bg
  switchyard job events web-bg -o json`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			tl, err := s.client.Timeline(cmd.Context(), ws, args[0])
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Event", items: tl, scope: "for job " + args[0], table: eventTable(tl, f.out.wide())})
		},
	}
	f.bind(c, cmd, true)
	c.jobArg(cmd, &f)
	return cmd
}

// eventTable makes a timeline (newest first) rows, oldest first.
func eventTable(tl []client.TimelineEntry, wide bool) table {
	t := table{head: []string{"TIME", "SOURCE", "ACTION", "ACTOR", "OUTCOME", "MESSAGE"}}
	if wide {
		t.head = append(t.head, "TYPE")
	}
	for i := len(tl) - 1; i >= 0; i-- {
		e := tl[i]
		row := []string{e.Time.Local().Format(time.DateTime), dash(e.Source), dash(e.Action), dash(e.Actor), dash(e.Outcome), dash(e.Message)}
		if wide {
			row = append(row, dash(e.Type))
		}
		t.add(row...)
	}
	return t
}

// phases lists the job phases, for parsing and messages.
var phases = []string{client.PhaseCreating, client.PhaseHealthy, client.PhaseProgressing, client.PhaseAwaitingPromotion,
	client.PhasePaused, client.PhaseSwitching, client.PhaseVerifying, client.PhaseDegraded, client.PhaseAborted,
	client.PhaseUnknown, client.PhaseDeleting, client.PhaseDeleted}

// parsePhase reads a phase name in any case, with "-" or "_" for spaces:
// "awaiting-promotion", "Awaiting promotion" and "AWAITING_PROMOTION" all work.
func parsePhase(s string) (string, bool) {
	norm := func(x string) string {
		return strings.Join(strings.FieldsFunc(strings.ToLower(x), func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), " ")
	}
	for _, p := range phases {
		if norm(p) == norm(s) {
			return p, true
		}
	}
	return "", false
}

// phaseWords are the phases as flags take them: awaiting-promotion.
func phaseWords() []string {
	out := make([]string, len(phases))
	for i, p := range phases {
		out[i] = strings.ReplaceAll(strings.ToLower(p), " ", "-")
	}
	return out
}

// notFound reports whether err is the server's 404.
func notFound(err error) bool { return client.StatusOf(err) == http.StatusNotFound }
