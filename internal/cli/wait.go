package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/switchyard/switchyard/client"
)

const jobWaitLong = `Wait until the job reaches a phase, for CI pipelines: Creating, Healthy,
Progressing, "Awaiting promotion", Paused, Switching, Verifying, Degraded,
Aborted, Unknown, Deleting or Deleted. Names are case-insensitive and "-" or
"_" may stand for spaces: awaiting-promotion. --for deleted also ends when the
job is gone. A progress line goes to stderr while waiting.

Exit codes: 0 reached; 3 the job stayed Degraded or Aborted for --grace
instead (Argo may report a previous abort for a moment after retry or deploy);
4 timed out; 1 any other error (unknown job, no permission, …); 2 usage.`

const jobWaitExample = `  switchyard job wait web-bg --for healthy --timeout 5m
  switchyard job deploy web-bg --image web=example/web:1.3.0
  switchyard job wait web-bg --for awaiting-promotion --timeout 10m && switchyard job promote web-bg`

func (c *cli) jobWaitCmd() *cobra.Command {
	var f jobFlags
	var target string
	var timeout, interval, grace time.Duration
	cmd := &cobra.Command{
		Use:     "wait NAME --for PHASE",
		Short:   "Wait until the job reaches a phase (for CI)",
		Long:    jobWaitLong,
		Example: jobWaitExample,
		Args:    argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			want, ok := parsePhase(target)
			if !ok {
				return usageError{fmt.Sprintf("job wait: --for %q: must be one of %s", target, strings.Join(phases, ", "))}
			}
			if timeout <= 0 || interval <= 0 {
				return usageError{"job wait: --timeout and --interval must be positive"}
			}
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			w := &waiter{c: c, s: s, ws: ws, name: args[0], want: want, interval: interval, timeout: timeout, grace: grace}
			return w.run(cmd.Context())
		},
	}
	f.bind(c, cmd, false)
	fl := cmd.Flags()
	fl.StringVar(&target, "for", "", "the phase to wait for")
	fl.Var(durationFlag(&timeout, 10*time.Minute), "timeout", "give up after this long (exit code 4)")
	fl.Var(durationFlag(&interval, 500*time.Millisecond), "interval", "how often to ask the server besides when its change stream says the job changed")
	fl.Var(durationFlag(&grace, 5*time.Second), "grace", "fail (exit code 3) once the job has been Degraded or Aborted this long")
	_ = cmd.MarkFlagRequired("for")
	_ = cmd.RegisterFlagCompletionFunc("for", fixed(phaseWords()...))
	c.jobArg(cmd, &f)
	return cmd
}

// waiter reads one job until it reaches a phase: whenever the server's change
// stream says it changed, and every interval anyway.
type waiter struct {
	c        *cli
	s        *session
	ws, name string
	want     string
	interval time.Duration
	timeout  time.Duration

	grace time.Duration // how long Degraded or Aborted must last to fail

	start       time.Time
	failedSince time.Time // when the job was first seen Degraded or Aborted; zero when not
	lastPhase   string
	lastLine    string
}

func (w *waiter) run(parent context.Context) error {
	ctx, cancel := context.WithTimeout(parent, w.timeout)
	defer cancel()
	w.start = time.Now()
	changed := watchChanges(ctx, w.s.client, w.ws, w.name)
	for {
		done, err := w.check(ctx)
		if done || err != nil {
			w.endProgress()
			return err
		}
		select {
		case <-ctx.Done():
			w.endProgress()
			return w.stopped(parent)
		case <-changed: // the server says the job changed: look now
		case <-time.After(w.interval):
		}
	}
}

// check asks for the job once: done when it is in the wanted phase.
func (w *waiter) check(ctx context.Context) (bool, error) {
	j, err := w.s.client.Job(ctx, w.ws, w.name)
	switch {
	case err == nil:
	case notFound(err) && (w.want == client.PhaseDeleted || w.want == client.PhaseDeleting):
		// Gone: deleted, if it was seen here before or is on record as
		// deleted; a name that never was (a typo) is an error, not success.
		if w.lastPhase == "" {
			if ok, lerr := w.deletedOnRecord(ctx); lerr != nil || !ok {
				if lerr != nil && !notFound(lerr) {
					return false, lerr
				}
				return false, err
			}
		}
		fmt.Fprintf(w.c.stdout, "job/%s condition met: %s\n", w.name, client.PhaseDeleted)
		return true, nil
	case ctx.Err() != nil:
		return false, nil // run reports the timeout or the interruption
	case retryable(err):
		w.progress("(" + describe(err) + ")")
		return false, nil
	default:
		return false, err
	}
	w.lastPhase = j.Phase
	if j.Phase == w.want {
		fmt.Fprintf(w.c.stdout, "job/%s condition met: %s\n", w.name, j.Phase)
		return true, nil
	}
	if w.failed(j) {
		msg := fmt.Sprintf("job %s is %s, not %s", w.name, j.Phase, w.want)
		if j.Message != "" {
			msg += ": " + j.Message
		}
		return false, exitError{code: ExitFailed, msg: msg}
	}
	w.progress(progressLine(j))
	return false, nil
}

// deletedOnRecord reports whether the workspace keeps a deleted job of that
// name on record.
func (w *waiter) deletedOnRecord(ctx context.Context) (bool, error) {
	l, err := w.s.client.Jobs(ctx, w.ws, client.JobQuery{Name: w.name, IncludeDeleted: true, Phase: client.PhaseDeleted, Limit: 500})
	if err != nil {
		return false, err
	}
	for _, j := range l.Items {
		if j.Name == w.name {
			return true, nil
		}
	}
	return false, nil
}

// failed reports whether the job has been Degraded or Aborted for the grace
// period. Right after a retry or a deploy Argo still reports the previous
// abort for a moment, which must not fail a pipeline.
func (w *waiter) failed(j *client.Job) bool {
	if (j.Phase != client.PhaseDegraded && j.Phase != client.PhaseAborted) || j.Stale {
		w.failedSince = time.Time{}
		return false
	}
	if w.failedSince.IsZero() {
		w.failedSince = time.Now()
	}
	return time.Since(w.failedSince) >= w.grace
}

// retryable reports whether a failed poll is worth repeating: the network,
// the server restarting or overloaded.
func retryable(err error) bool {
	st := client.StatusOf(err)
	return st == 0 || st == http.StatusTooManyRequests || st >= 500
}

func (w *waiter) stopped(parent context.Context) error {
	if parent.Err() != nil {
		return errors.New("interrupted")
	}
	if !w.failedSince.IsZero() { // out of time within the grace period: it failed all the same
		return exitError{code: ExitFailed, msg: fmt.Sprintf("job %s is %s, not %s (timed out after %v)", w.name, w.lastPhase, w.want, w.timeout)}
	}
	return exitError{code: ExitTimeout, msg: fmt.Sprintf("timed out after %v waiting for job %s to be %s", w.timeout, w.name, w.want)}
}

// progress writes the state while waiting to stderr: one line rewritten in
// place on a terminal, a new line for each change otherwise.
func (w *waiter) progress(state string) {
	line := fmt.Sprintf("waiting for job %s to be %s: %s", w.name, w.want, state)
	if w.c.stderrTTY {
		fmt.Fprintf(w.c.stderr, "\r\033[K%s [%s]", line, time.Since(w.start).Truncate(time.Second))
		w.lastLine = line
		return
	}
	if line != w.lastLine {
		fmt.Fprintln(w.c.stderr, line)
		w.lastLine = line
	}
}

func (w *waiter) endProgress() {
	if w.c.stderrTTY && w.lastLine != "" {
		fmt.Fprint(w.c.stderr, "\r\033[K")
	}
}

// progressLine sums a job up in one line: phase and each version's pods.
func progressLine(j *client.Job) string {
	var b strings.Builder
	b.WriteString(j.Phase)
	if j.Stale {
		b.WriteString(" (stale: " + dash(j.StaleReason) + ")")
	}
	for _, v := range j.Versions {
		fmt.Fprintf(&b, "; rev %d %s %s %d/%d", v.Revision, marks(v), joinOrDash(v.Images), v.Ready, v.Desired)
	}
	return b.String()
}

const jobWatchLong = `Show the job's phase, versions and their pods live until Ctrl-C or
--timeout: redrawn in place on a terminal, one line per change otherwise
(for logs). ● is a ready pod, ○ one not ready yet. (job list -w follows
every job of the workspace, a line per change.)`

const jobWatchExample = `  switchyard job watch web-bg                        # until Ctrl-C
  switchyard job watch web-bg --timeout 5s > release.log`

func (c *cli) jobWatchCmd() *cobra.Command {
	var f jobFlags
	var timeout, interval time.Duration
	cmd := &cobra.Command{
		Use:     "watch NAME",
		Short:   "Show the versions and their pods live",
		Long:    jobWatchLong,
		Example: jobWatchExample,
		Args:    argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval <= 0 {
				return usageError{"job watch: --interval must be positive"}
			}
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			return c.jobWatch(cmd.Context(), s, ws, args[0], timeout, interval)
		},
	}
	f.bind(c, cmd, false)
	cmd.Flags().Var(durationFlag(&timeout, 0), "timeout", "stop after this long (0s: until Ctrl-C)")
	cmd.Flags().Var(durationFlag(&interval, time.Second), "interval", "how often to redraw besides when the server's change stream says the job changed")
	c.jobArg(cmd, &f)
	return cmd
}

func (c *cli) jobWatch(ctx context.Context, s *session, ws, name string, timeout, interval time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	ctx, stop := context.WithCancel(ctx) // ends the change stream with the command
	defer stop()
	changed := watchChanges(ctx, s.client, ws, name)
	last, seen := "", false
	for {
		j, err := s.client.Job(ctx, ws, name)
		switch {
		case ctx.Err() != nil:
			return nil
		case notFound(err) && seen:
			fmt.Fprintf(c.stdout, "%s job %s is gone\n", time.Now().Format("15:04:05"), name)
			return nil
		case err != nil && !retryable(err):
			return err
		}
		seen = seen || err == nil
		last = c.drawWatch(j, err, last)
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-time.After(interval):
		}
	}
}

// watchJobs is job list --watch: the list, then each job again whenever the
// workspace's change stream says its namespace changed and the job's row
// (or, for json and yaml, the job) differs from what was last printed, like
// kubectl get -w. Deleted jobs print once more with phase Deleted.
func (c *cli) watchJobs(ctx context.Context, s *session, ws string, q client.JobQuery, out outputFlags) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	changed := watchChanges(ctx, s.client, ws, "")
	seen := map[string]string{}
	first, headed := true, false
	for {
		l, err := s.client.Jobs(ctx, ws, q)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !retryable(err):
			return err
		case err == nil:
			if first && len(l.Items) == 0 && out.human() {
				fmt.Fprintf(c.stderr, "No resources found in workspace %s.\n", ws)
			}
			if err := c.printChanged(out, l.Items, seen, &headed); err != nil {
				return err
			}
			first = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-time.After(30 * time.Second): // the stream is the trigger; this only backs it up
		}
	}
}

// printChanged prints the jobs whose row changed since seen; the header
// once, above the first rows.
func (c *cli) printChanged(out outputFlags, jobs []client.Job, seen map[string]string, headed *bool) error {
	now := time.Now()
	var changed []client.Job
	var t table
	present := map[string]bool{}
	for _, j := range jobs {
		present[j.Name] = true
		key := jobWatchKey(j, out)
		if seen[j.Name] == key {
			continue
		}
		seen[j.Name] = key
		changed = append(changed, j)
	}
	for name := range seen { // gone from the list: deleted (or filtered out)
		if !present[name] {
			delete(seen, name)
			changed = append(changed, client.Job{Name: name, Phase: client.PhaseDeleted})
		}
	}
	if len(changed) == 0 {
		return nil
	}
	t = jobTable(changed, out.wide(), now)
	switch {
	case out.human():
		headers := !*headed && !out.noHeaders
		*headed = true
		return t.write(c.stdout, headers)
	case out.format == "name":
		for _, j := range changed {
			fmt.Fprintln(c.stdout, "job/"+j.Name)
		}
		return nil
	}
	for i := range changed {
		if err := c.print(out, listing{kind: "Job", single: true, items: &changed[i]}); err != nil {
			return err
		}
		if out.format == "yaml" {
			fmt.Fprintln(c.stdout, "---")
		}
	}
	return nil
}

// jobWatchKey is what must change for job list -w to print a job again:
// its row without the age.
func jobWatchKey(j client.Job, out outputFlags) string {
	row := jobTable([]client.Job{j}, out.wide(), j.CreatedAt).rows[0]
	return strings.Join(row, "\t")
}

// watchChanges follows the server's change stream for one job and signals
// on the returned channel whenever it says the job may have changed, so that
// watch redraws at once instead of at its next refresh. It reconnects when
// the stream ends and gives up quietly on a server without streams: the
// periodic refresh still works.
func watchChanges(ctx context.Context, c *client.Client, ws, job string) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		for ctx.Err() == nil {
			err := c.WatchChanges(ctx, ws, job, func(ch client.Change) {
				if ch.Ready {
					return
				}
				select {
				case out <- struct{}{}:
				default:
				}
			})
			if status := client.StatusOf(err); status == http.StatusNotFound || status == http.StatusForbidden {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return out
}

// drawWatch shows one refresh: a full frame on a terminal, a line when the
// job changed otherwise. It returns what it compares the next refresh with.
func (c *cli) drawWatch(j *client.Job, err error, last string) string {
	now := time.Now()
	if c.stdoutTTY {
		c.stdout.Write(watchFrame(j, err, now))
		return last
	}
	var line string
	if err != nil {
		line = "error: " + describe(err) + " (retrying)"
	} else {
		line = progressLine(j)
	}
	if line != last {
		fmt.Fprintf(c.stdout, "%s %s\n", now.Format("15:04:05"), line)
	}
	return line
}

// watchFrame draws a whole screen: clear, the job, its versions.
func watchFrame(j *client.Job, err error, now time.Time) []byte {
	var b bytes.Buffer
	b.WriteString("\033[H\033[2J")
	if err != nil {
		fmt.Fprintf(&b, "%s  error: %s (retrying)\n", now.Format("15:04:05"), describe(err))
		return b.Bytes()
	}
	fmt.Fprintf(&b, "Job %s   workspace %s   %s/%s   %s\n", j.Name, j.Workspace, j.Cluster, j.Namespace, now.Format("15:04:05"))
	fmt.Fprintf(&b, "Phase: %s", j.Phase)
	if j.Message != "" {
		fmt.Fprintf(&b, "   %s", dash(j.Message))
	}
	if j.Stale {
		fmt.Fprintf(&b, "   (stale: %s)", dash(j.StaleReason))
	}
	fmt.Fprintf(&b, "\nActive: %s   Preview: %s\n\n", joinOrDash(j.ActiveImages), joinOrDash(j.PreviewImages))
	_ = versionTable(j.Versions, now, false).write(&b, true)
	b.WriteString("\n")
	_ = podTable(j.Versions, now).write(&b, true)
	if len(j.CheckRuns) > 0 {
		r := j.CheckRuns[0]
		fmt.Fprintf(&b, "\nLatest check run (%s the switch, revision %s): %s\n", r.When, r.Revision, r.Phase)
		for _, res := range r.Results {
			fmt.Fprintf(&b, "  %s: %d/%d passed  %s\n", res.Check, res.Passed, res.Count, measurements(res.Measurements))
		}
	}
	b.WriteString("\nCtrl-C to stop.\n")
	return b.Bytes()
}
