package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchyard/switchyard/client"
)

const jobWaitHelp = `Wait until the job reaches a phase, for CI pipelines: Creating, Healthy,
Progressing, "Awaiting promotion", Paused, Switching, Verifying, Degraded,
Aborted, Unknown, Deleting or Deleted. Names are case-insensitive and "-" or
"_" may stand for spaces: awaiting-promotion. --for deleted also ends when the
job is gone. A progress line goes to stderr while waiting.

Exit codes: 0 reached; 3 the job stayed Degraded or Aborted for --grace
instead (Argo may report a previous abort for a moment after retry or deploy);
4 timed out; 1 any other error (unknown job, no permission, …); 2 usage.

Examples:
  switchyard job wait shop-web --for healthy --timeout 5m
  switchyard job deploy shop-web --image web=shop/web:2
  switchyard job wait shop-web --for awaiting-promotion --timeout 10m && switchyard job promote shop-web`

func (c *cli) jobWait(ctx context.Context, args []string) error {
	var f jobFlags
	fs := newFlags("job wait", "NAME --for PHASE [--timeout D] [flags]", jobWaitHelp)
	f.bind(fs, false)
	target := fs.String("for", "", "the phase to wait for (required)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long (exit code 4)")
	interval := fs.Duration("interval", 500*time.Millisecond, "how often to ask the server besides when its change stream says the job changed")
	grace := fs.Duration("grace", 5*time.Second, "fail (exit code 3) once the job has been Degraded or Aborted this long")
	s, ws, pos, err := c.start(fs, &f, args, 1, 1)
	if err != nil {
		return err
	}
	want, ok := parsePhase(*target)
	if !ok {
		return usageError{fmt.Sprintf("job wait: --for %q: must be one of %s", *target, strings.Join(phases, ", "))}
	}
	if *timeout <= 0 || *interval <= 0 || *grace < 0 {
		return usageError{"job wait: --timeout and --interval must be positive, --grace not negative"}
	}
	w := &waiter{c: c, s: s, ws: ws, name: pos[0], want: want, interval: *interval, timeout: *timeout, grace: *grace}
	return w.run(ctx)
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

const jobWatchHelp = `Show the job's phase, versions and their pods live until Ctrl-C or
--timeout: redrawn in place on a terminal, one line per change otherwise
(for logs). ● is a ready pod, ○ one not ready yet.

Examples:
  switchyard job watch shop-web
  switchyard job watch shop-web --timeout 5m > release.log`

func (c *cli) jobWatch(ctx context.Context, args []string) error {
	var f jobFlags
	fs := newFlags("job watch", "NAME [flags]", jobWatchHelp)
	f.bind(fs, false)
	timeout := fs.Duration("timeout", 0, "stop after this long (0: until Ctrl-C)")
	interval := fs.Duration("interval", time.Second, "how often to redraw besides when the server's change stream says the job changed")
	s, ws, pos, err := c.start(fs, &f, args, 1, 1)
	if err != nil {
		return err
	}
	if *interval <= 0 || *timeout < 0 {
		return usageError{"job watch: --interval must be positive and --timeout not negative"}
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	ctx, stop := context.WithCancel(ctx) // ends the change stream with the command
	defer stop()
	changed := watchChanges(ctx, s.client, ws, pos[0])
	last, seen := "", false
	for {
		j, err := s.client.Job(ctx, ws, pos[0])
		switch {
		case ctx.Err() != nil:
			return nil
		case notFound(err) && seen:
			fmt.Fprintf(c.stdout, "%s job %s is gone\n", time.Now().Format("15:04:05"), pos[0])
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
		case <-time.After(*interval):
		}
	}
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
	tw := tabwriter.NewWriter(&b, 0, 4, 3, ' ', 0)
	versionTable(tw, j.Versions, now, false)
	tw.Flush()
	b.WriteString("\n")
	podTable(tw, j.Versions, now)
	tw.Flush()
	b.WriteString("\nCtrl-C to stop.\n")
	return b.Bytes()
}
