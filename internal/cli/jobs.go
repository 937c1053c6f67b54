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

	"github.com/switchyard/switchyard/client"
)

var jobCommands = []subcommand{
	{"list", "list the workspace's jobs", (*cli).jobList},
	{"get", "show one job", (*cli).jobGet},
	{"describe", "show everything about one job: settings, versions, pods, recent events", (*cli).jobDescribe},
	{"create", "turn a Deployment + Service into a blue-green job", (*cli).jobCreate},
	{"targets", "list the clusters, namespaces, Deployments and Services a job can be made of", (*cli).jobTargets},
	{"deploy", "ship new images (the green version)", (*cli).jobDeploy},
	{"promote", "switch traffic to the new version", (*cli).jobPromote},
	{"abort", "keep traffic on the stable version, scale the new one down", (*cli).jobAbort},
	{"retry", "restart an aborted release", (*cli).jobRetry},
	{"rollback", "switch back to a previous revision", (*cli).jobRollback},
	{"delete", "hand the application back as a plain Deployment + Service", (*cli).jobDelete},
	{"history", "list the job's versions (revisions)", (*cli).jobHistory},
	{"events", "show the job's timeline: Switchyard actions and Argo events", (*cli).jobEvents},
	{"watch", "show the versions and their pods live", (*cli).jobWatch},
	{"wait", "wait until the job reaches a phase (for CI)", (*cli).jobWait},
}

// jobFlags are the flags every job command has.
type jobFlags struct {
	conn connFlags
	out  outputFlags
}

func (f *jobFlags) bind(fs *flagSet, output bool) {
	f.conn.bind(fs, true)
	if output {
		f.out.bind(fs)
	}
}

// start parses args and connects; it returns the positional arguments.
func (c *cli) start(fs *flagSet, f *jobFlags, args []string, min, max int) (*session, string, []string, error) {
	pos, err := c.parse(fs, args, min, max)
	if err != nil {
		return nil, "", nil, err
	}
	if f.out.format != "" {
		if err := f.out.check(); err != nil {
			return nil, "", nil, err
		}
	}
	s, err := c.connect(f.conn)
	if err != nil {
		return nil, "", nil, err
	}
	ws, err := s.needWorkspace()
	return s, ws, pos, err
}

const jobListHelp = `List the jobs of a workspace, like kubectl get.

Examples:
  switchyard job list -w payments
  switchyard job list --phase "awaiting promotion" --sort -created
  switchyard job list --cluster prod-eu --namespace shop -o wide
  switchyard job list --include-deleted --phase deleted
  switchyard job list -o json | jq '.items[].name'`

func (c *cli) jobList(ctx context.Context, args []string) error {
	var f jobFlags
	var q client.JobQuery
	fs := newFlags("job list", "[flags]", jobListHelp)
	f.bind(fs, true)
	fs.StringVar(&q.Cluster, "cluster", "", "only jobs on this cluster")
	fs.StringVar(&q.Namespace, "namespace", "", "only jobs in this namespace")
	fs.StringVar(&q.Namespace, "n", "", "shorthand for --namespace")
	fs.StringVar(&q.Name, "name", "", "only jobs whose name contains this")
	phase := fs.String("phase", "", "only jobs in this phase (e.g. healthy, awaiting-promotion)")
	fs.StringVar(&q.Sort, "sort", "", "name, created, cluster or namespace; prefix - for descending")
	fs.IntVar(&q.Limit, "limit", 0, "at most this many jobs (server default 50, at most 500)")
	fs.IntVar(&q.Offset, "offset", 0, "skip this many jobs")
	fs.BoolVar(&q.IncludeDeleted, "include-deleted", false, "also deleted jobs, kept on record for the audit trail")
	s, ws, _, err := c.start(fs, &f, args, 0, 0)
	if err != nil {
		return err
	}
	if *phase != "" {
		p, ok := parsePhase(*phase)
		if !ok {
			return usageError{fmt.Sprintf("job list: --phase %q: must be one of %s", *phase, strings.Join(phases, ", "))}
		}
		q.Phase = p
	}
	l, err := s.client.Jobs(ctx, ws, q)
	if err != nil {
		return err
	}
	if err := c.print(f.out, l, func(w *tabwriter.Writer) { jobTable(w, l.Items, f.out.format == "wide") }); err != nil {
		return err
	}
	if (f.out.format == "table" || f.out.format == "wide") && l.Total > l.Offset+len(l.Items) {
		fmt.Fprintf(c.stderr, "(%d of %d jobs; use --limit and --offset for more)\n", len(l.Items), l.Total)
	}
	return nil
}

// jobTable writes jobs as kubectl-like rows.
func jobTable(w *tabwriter.Writer, jobs []client.Job, wide bool) {
	head := "NAME\tPHASE\tCLUSTER\tNAMESPACE\tACTIVE\tPREVIEW\tAGE"
	if wide {
		head += "\tDEPLOYMENT\tSERVICE\tSTANDBY\tCREATED BY\tMESSAGE"
	}
	fmt.Fprintln(w, head)
	now := time.Now()
	for _, j := range jobs {
		phase := j.Phase
		switch {
		case j.Stale && j.LastPhase != "":
			phase += " (was " + j.LastPhase + ")"
		case j.Stale:
			phase += " (stale)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s", j.Name, phase, j.Cluster, j.Namespace,
			joinOrDash(j.ActiveImages), joinOrDash(j.PreviewImages), age(j.CreatedAt, now))
		if wide {
			msg := j.Message
			if j.Stale {
				msg = j.StaleReason
			}
			fmt.Fprintf(w, "\t%s\t%s\t%s\t%s\t%s", dash(j.Deployment), dash(j.Service),
				time.Duration(j.ScaleDownDelaySeconds)*time.Second, dash(j.CreatedBy), dash(msg))
		}
		fmt.Fprintln(w)
	}
}

// printJob prints one job as a table row, or whole as JSON or YAML.
func (c *cli) printJob(o outputFlags, j *client.Job) error {
	return c.print(o, j, func(w *tabwriter.Writer) { jobTable(w, []client.Job{*j}, o.format == "wide") })
}

const jobGetHelp = `Show one job with its live phase. -o json or -o yaml shows everything,
versions included (see also job history).

Examples:
  switchyard job get shop-web
  switchyard job get shop-web -o yaml`

func (c *cli) jobGet(ctx context.Context, args []string) error {
	var f jobFlags
	fs := newFlags("job get", "NAME [flags]", jobGetHelp)
	f.bind(fs, true)
	s, ws, pos, err := c.start(fs, &f, args, 1, 1)
	if err != nil {
		return err
	}
	j, err := s.client.Job(ctx, ws, pos[0])
	if err != nil {
		return err
	}
	return c.printJob(f.out, j)
}

const jobCreateHelp = `Turn an existing Deployment and the Service that selects its pods into a
blue-green job: Switchyard creates an Argo Rollout that takes over the
Deployment's pods and a preview Service NAME-preview. The server runs every
check first (cluster reachable with Argo Rollouts, namespace bound to the
workspace, Service selects the Deployment's pods, …) and refuses with the
field at fault.

Examples:
  switchyard job create shop-web --cluster prod-eu --namespace shop --deployment web --service web
  switchyard job create shop-web --cluster prod-eu -n shop --deployment web --service web \
      --standby 5m --auto-promote-after 10m --preview-replicas 1`

func (c *cli) jobCreate(ctx context.Context, args []string) error {
	var f jobFlags
	var nj client.NewJob
	fs := newFlags("job create", "NAME --cluster C --namespace N --deployment D --service S [flags]", jobCreateHelp)
	f.bind(fs, true)
	fs.StringVar(&nj.Cluster, "cluster", "", "cluster the Deployment runs on (required)")
	fs.StringVar(&nj.Namespace, "namespace", "", "its namespace (required)")
	fs.StringVar(&nj.Namespace, "n", "", "shorthand for --namespace")
	fs.StringVar(&nj.Deployment, "deployment", "", "the Deployment (required)")
	fs.StringVar(&nj.Service, "service", "", "the Service that selects its pods (required)")
	fs.Func("standby", "how long the old version stays up after a switch, for an instant roll back (a `duration` like 30s; server default 30s)", seconds(&nj.ScaleDownDelaySeconds))
	fs.Func("auto-promote-after", "promote by itself this long (a `duration` like 10m) after the new version is ready", seconds(&nj.AutoPromotionSeconds))
	fs.Func("preview-replicas", "run the new version with `N` replicas until promoted", count(&nj.PreviewReplicaCount))
	s, ws, pos, err := c.start(fs, &f, args, 1, 1)
	if err != nil {
		return err
	}
	nj.Name = pos[0]
	j, err := s.client.CreateJob(ctx, ws, nj)
	if err != nil {
		return err
	}
	for _, w := range j.Warnings {
		fmt.Fprintf(c.stderr, "warning: %s\n", w)
	}
	return c.printJob(f.out, j)
}

// seconds parses a duration flag into whole seconds.
func seconds(dst **int32) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		if d%time.Second != 0 {
			return fmt.Errorf("%v is not a whole number of seconds", d)
		}
		n := int32(d / time.Second)
		*dst = &n
		return nil
	}
}

// count parses an integer flag that may be left unset.
func count(dst **int32) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		m := int32(n)
		*dst = &m
		return nil
	}
}

const jobDeployHelp = `Ship new images: the new (green) version comes up beside the old one and the
preview Service selects it; traffic stays on the old version until promote.

Examples:
  switchyard job deploy shop-web --image web=shop/web:1.4.2
  switchyard job deploy shop-web --image web=shop/web:2 --image sidecar=shop/proxy:7
  switchyard job deploy shop-web --image web=shop/web:2 && switchyard job wait shop-web --for awaiting-promotion`

func (c *cli) jobDeploy(ctx context.Context, args []string) error {
	images := map[string]string{}
	return c.operation(ctx, args, "deploy", "NAME --image CONTAINER=IMAGE… [flags]", jobDeployHelp,
		func(fs *flagSet) {
			fs.Func("image", "`CONTAINER=IMAGE`; repeat for several containers (required)", func(v string) error {
				name, image, ok := strings.Cut(v, "=")
				if !ok || name == "" || image == "" {
					return fmt.Errorf("%q: want CONTAINER=IMAGE", v)
				}
				images[name] = image
				return nil
			})
		},
		func(op *client.Operation) error {
			if len(images) == 0 {
				return usageError{"job deploy: --image CONTAINER=IMAGE is required"}
			}
			op.Images = images
			return nil
		})
}

const jobPromoteHelp = `Switch traffic to the new version (the one "awaiting promotion"); the old one
stays up for the job's standby time, for an instant roll back. --full skips
any remaining pauses and analysis.

Examples:
  switchyard job promote shop-web
  switchyard job promote shop-web --if-phase "awaiting promotion"   # refuse if someone moved it on`

func (c *cli) jobPromote(ctx context.Context, args []string) error {
	var full bool
	return c.operation(ctx, args, "promote", "NAME [flags]", jobPromoteHelp,
		func(fs *flagSet) { fs.BoolVar(&full, "full", false, "skip remaining pauses and analysis") },
		func(op *client.Operation) error { op.Full = full; return nil })
}

const jobAbortHelp = `Abort the release under way: traffic stays on (or returns to) the stable
version and the new version is scaled down. The job is then Aborted; retry
restarts the release, deploy ships something else.

Examples:
  switchyard job abort shop-web`

func (c *cli) jobAbort(ctx context.Context, args []string) error {
	return c.operation(ctx, args, "abort", "NAME [flags]", jobAbortHelp, nil, nil)
}

const jobRetryHelp = `Restart an aborted release of the same images.

Examples:
  switchyard job retry shop-web`

func (c *cli) jobRetry(ctx context.Context, args []string) error {
	return c.operation(ctx, args, "retry", "NAME [flags]", jobRetryHelp, nil, nil)
}

const jobRollbackHelp = `Switch back to a previous revision (default: the one before the current).
A version still on standby takes traffic at once.

Examples:
  switchyard job rollback shop-web
  switchyard job rollback shop-web --to-revision 3
  switchyard job history shop-web      # lists the revisions`

func (c *cli) jobRollback(ctx context.Context, args []string) error {
	var rev int
	return c.operation(ctx, args, "rollback", "NAME [flags]", jobRollbackHelp,
		func(fs *flagSet) {
			fs.IntVar(&rev, "to-revision", 0, "the revision to return to (0: the previous one)")
		},
		func(op *client.Operation) error { op.Revision = rev; return nil })
}

// operation runs one job operation: flags adds its own flags, fill completes
// the request once they are parsed.
func (c *cli) operation(ctx context.Context, args []string, op, synopsis, help string, flags func(*flagSet), fill func(*client.Operation) error) error {
	var f jobFlags
	var o client.Operation
	fs := newFlags("job "+op, synopsis, help)
	f.bind(fs, true)
	ifPhase := fs.String("if-phase", "", "refuse if the job is no longer in this phase (someone else moved it on)")
	if flags != nil {
		flags(fs)
	}
	s, ws, pos, err := c.start(fs, &f, args, 1, 1)
	if err != nil {
		return err
	}
	if *ifPhase != "" {
		p, ok := parsePhase(*ifPhase)
		if !ok {
			return usageError{fmt.Sprintf("job %s: --if-phase %q: must be one of %s", op, *ifPhase, strings.Join(phases, ", "))}
		}
		o.IfPhase = p
	}
	if fill != nil {
		if err := fill(&o); err != nil {
			return err
		}
	}
	j, err := s.client.Operate(ctx, ws, pos[0], op, o)
	if err != nil {
		return err
	}
	return c.printJob(f.out, j)
}

const jobDeleteHelp = `Delete a job: the application is handed back as a plain Deployment + Service
running the active version. Asks for confirmation on a terminal unless --yes.
Refused while a release is in flight unless --force.

Examples:
  switchyard job delete shop-web
  switchyard job delete shop-web --yes --force`

func (c *cli) jobDelete(ctx context.Context, args []string) error {
	var f jobFlags
	fs := newFlags("job delete", "NAME [flags]", jobDeleteHelp)
	f.bind(fs, true)
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	fs.BoolVar(yes, "y", false, "shorthand for --yes")
	force := fs.Bool("force", false, "delete even while a release is in flight")
	s, ws, pos, err := c.start(fs, &f, args, 1, 1)
	if err != nil {
		return err
	}
	if !*yes && c.stdinTTY {
		fmt.Fprintf(c.stderr, "Delete job %q of workspace %q? [y/N] ", pos[0], ws)
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return fmt.Errorf("not deleted")
		}
	}
	j, err := s.client.DeleteJob(ctx, ws, pos[0], *force)
	if err != nil {
		return err
	}
	if f.out.format == "json" || f.out.format == "yaml" {
		return c.printJob(f.out, j)
	}
	if j.Phase == client.PhaseDeleted {
		fmt.Fprintf(c.stdout, "job %s deleted\n", j.Name)
	} else {
		fmt.Fprintf(c.stdout, "job %s is %s: the server finishes it (switchyard job wait %s --for deleted)\n", j.Name, j.Phase, j.Name)
	}
	return nil
}

const jobHistoryHelp = `List the job's versions: revision, images, ready/desired pods, which one
serves users (ACTIVE), which the preview Service selects (PREVIEW), Argo's
stable one (STABLE), and until when an old version stays on standby.

Examples:
  switchyard job history shop-web
  switchyard job history shop-web -o json`

func (c *cli) jobHistory(ctx context.Context, args []string) error {
	var f jobFlags
	fs := newFlags("job history", "NAME [flags]", jobHistoryHelp)
	f.bind(fs, true)
	s, ws, pos, err := c.start(fs, &f, args, 1, 1)
	if err != nil {
		return err
	}
	j, err := s.client.Job(ctx, ws, pos[0])
	if err != nil {
		return err
	}
	return c.print(f.out, j.Versions, func(w *tabwriter.Writer) { versionTable(w, j.Versions, time.Now(), f.out.format == "wide") })
}

// versionTable writes a job's versions, newest first as the server orders them.
func versionTable(w *tabwriter.Writer, vs []client.Version, now time.Time, wide bool) {
	head := "REVISION\tMARKS\tIMAGES\tREADY\tPODS\tAGE\tSTANDBY UNTIL"
	if wide {
		head += "\tREPLICASET"
	}
	fmt.Fprintln(w, head)
	for _, v := range vs {
		standby := "-"
		if v.ScaleDownAt != nil {
			standby = v.ScaleDownAt.Local().Format("15:04:05") + " (in " + v.ScaleDownAt.Sub(now).Truncate(time.Second).String() + ")"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%d/%d\t%s\t%s\t%s", v.Revision, marks(v), joinOrDash(v.Images), v.Ready, v.Desired,
			pods(v.Ready, v.Desired), age(v.CreatedAt, now), standby)
		if wide {
			fmt.Fprintf(w, "\t%s", v.ReplicaSet)
		}
		fmt.Fprintln(w)
	}
}

// podTable writes the pods of every version that has any, newest version first.
func podTable(w *tabwriter.Writer, vs []client.Version, now time.Time) {
	fmt.Fprintln(w, "POD\tREVISION\tREADY\tSTATUS\tRESTARTS\tAGE\tNODE")
	n := 0
	for _, v := range vs {
		for _, p := range v.Pods {
			ready := "no"
			if p.Ready {
				ready = "yes"
			}
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%d\t%s\t%s\n", dash(p.Name), v.Revision, ready, dash(podStatus(p)), p.Restarts, age(p.CreatedAt, now), dash(p.Node))
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "(no pods)")
	}
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

const jobDescribeHelp = `Show everything about one job, for people, like kubectl describe: its
settings, phase and message, the versions with their marks, every pod, and
the last events of its timeline (see job events for all of them). For
scripts, use job get -o json.

Examples:
  switchyard job describe shop-web
  switchyard job describe shop-web --events 30`

func (c *cli) jobDescribe(ctx context.Context, args []string) error {
	var f jobFlags
	fs := newFlags("job describe", "NAME [flags]", jobDescribeHelp)
	f.bind(fs, false)
	events := fs.Int("events", 10, "how many of the latest timeline entries to show (0: none)")
	s, ws, pos, err := c.start(fs, &f, args, 1, 1)
	if err != nil {
		return err
	}
	if *events < 0 {
		return usageError{"job describe: --events must not be negative"}
	}
	j, err := s.client.Job(ctx, ws, pos[0])
	if err != nil {
		return err
	}
	var tl []client.TimelineEntry
	if *events > 0 {
		if tl, err = s.client.Timeline(ctx, ws, pos[0]); err != nil {
			return err
		}
	}
	_, err = c.stdout.Write(describeJob(j, tl[:min(*events, len(tl))], time.Now()))
	return err
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
		auto = fmt.Sprintf("after %v", time.Duration(*j.AutoPromotionSeconds)*time.Second)
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
		{"Standby", fmt.Sprintf("%v after a switch", time.Duration(j.ScaleDownDelaySeconds)*time.Second)},
		{"Auto-promotion", auto}, {"Preview replicas", preview},
		{"Created", j.CreatedAt.Local().Format(time.DateTime) + " by " + dash(j.CreatedBy) + " (" + age(j.CreatedAt, now) + " ago)"},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], dash(kv[1]))
	}
	tw.Flush()
	b.WriteString("\nVersions:\n")
	versionTable(tw, j.Versions, now, true)
	tw.Flush()
	b.WriteString("\nPods:\n")
	podTable(tw, j.Versions, now)
	tw.Flush()
	if len(tl) > 0 {
		b.WriteString("\nEvents (latest last):\n")
		fmt.Fprintln(tw, "AGE\tSOURCE\tACTION\tACTOR\tOUTCOME\tMESSAGE")
		for i := len(tl) - 1; i >= 0; i-- {
			e := tl[i]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", age(e.Time, now), e.Source, dash(e.Action), dash(e.Actor), dash(e.Outcome), dash(e.Message))
		}
		tw.Flush()
	}
	return b.Bytes()
}

const jobEventsHelp = `Show the job's timeline, oldest first: what people did through Switchyard
(source switchyard) and the events of its Argo Rollout (source kubernetes).

Examples:
  switchyard job events shop-web
  switchyard job events shop-web -o json`

func (c *cli) jobEvents(ctx context.Context, args []string) error {
	var f jobFlags
	fs := newFlags("job events", "NAME [flags]", jobEventsHelp)
	f.bind(fs, true)
	s, ws, pos, err := c.start(fs, &f, args, 1, 1)
	if err != nil {
		return err
	}
	tl, err := s.client.Timeline(ctx, ws, pos[0])
	if err != nil {
		return err
	}
	return c.print(f.out, tl, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "TIME\tSOURCE\tTYPE\tACTION\tACTOR\tOUTCOME\tMESSAGE")
		for i := len(tl) - 1; i >= 0; i-- {
			e := tl[i]
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime), e.Source, dash(e.Type),
				dash(e.Action), dash(e.Actor), dash(e.Outcome), dash(e.Message))
		}
	})
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

// notFound reports whether err is the server's 404.
func notFound(err error) bool { return client.StatusOf(err) == http.StatusNotFound }
