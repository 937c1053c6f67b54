package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/switchyard/switchyard/client"
)

const checksFileHelp = `A checks file is YAML or JSON: a list of checks, each with name, kind (http or
prometheus) and when (before, after or both the switch). http: url (with
{{preview}} / {{active}} for the Services' in-cluster names), method, json_path,
condition, timeout_seconds. prometheus: address, query (placeholders also
{{job}}, {{namespace}}, {{revision}}), condition such as result[0] < 0.01.
Both: interval (10s), count (3), failure_limit (0). Argo Rollouts runs them in
the cluster: a failure before the switch keeps traffic on blue, one after it
switches back to blue.`

// readChecks reads a checks file ("-" for standard input), refusing unknown fields.
func (c *cli) readChecks(path string) ([]client.Check, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(c.stdin, 1<<20))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read checks file: %w", err)
	}
	var cs []client.Check
	if err := yaml.UnmarshalStrict(data, &cs); err != nil {
		return nil, usageError{fmt.Sprintf("checks file %s: %v (want a YAML or JSON list of checks)", path, err)}
	}
	if cs == nil {
		cs = []client.Check{}
	}
	return cs, nil
}

func (c *cli) jobChecksCmd() *cobra.Command {
	var f jobFlags
	cmd := &cobra.Command{
		Use:     "checks NAME",
		Short:   "List a job's checks before and after the switch",
		Long:    "List a job's checks, which Argo Rollouts runs before and after the switch\n(job describe shows their runs; job set-checks replaces them).\n\n" + checksFileHelp,
		Example: `  switchyard job checks web-bg`,
		Args:    argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			j, err := s.client.Job(cmd.Context(), ws, args[0])
			if err != nil {
				return err
			}
			return c.print(f.out, listing{kind: "Check", items: j.Checks, table: checkTable(j.Checks),
				scope: "on job " + j.Name, names: names("check", j.Checks, func(ch client.Check) string { return ch.Name })})
		},
	}
	f.bind(c, cmd, true)
	c.jobArg(cmd, &f)
	return cmd
}

func (c *cli) jobSetChecksCmd() *cobra.Command {
	var f jobFlags
	var file string
	var promote bool
	cmd := &cobra.Command{
		Use:   "set-checks NAME --checks-file FILE",
		Short: "Replace a job's checks",
		Long: "Replace a job's checks and its promote-when-checks-pass option. An empty list\n" +
			"(--checks-file with []) removes every check. Runs under way keep the checks they began with.\n\n" + checksFileHelp,
		Example: `  switchyard job set-checks web-bg --checks-file checks.yaml --promote-when-checks-pass
  echo '[]' | switchyard job set-checks web-bg --checks-file -   # no checks`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cs, err := c.readChecks(file)
			if err != nil {
				return err
			}
			s, ws, err := c.start(&f)
			if err != nil {
				return err
			}
			j, err := s.client.SetChecks(cmd.Context(), ws, args[0], cs, promote)
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
	cmd.Flags().StringVar(&file, "checks-file", "", "YAML or JSON list of checks (- for standard input)")
	cmd.Flags().BoolVar(&promote, "promote-when-checks-pass", false, "switch with no click once the checks before the switch pass")
	_ = cmd.MarkFlagRequired("checks-file")
	c.jobArg(cmd, &f)
	return cmd
}

// checkTable lists checks, one a row.
func checkTable(cs []client.Check) table {
	t := table{head: []string{"NAME", "KIND", "WHEN", "TARGET", "CONDITION", "EVERY", "COUNT", "MAY FAIL"}}
	for _, ch := range cs {
		target := ch.URL
		if ch.Kind == "prometheus" {
			target = ch.Query + " @ " + ch.Address
		} else if ch.Method != "" && ch.Method != "GET" {
			target = ch.Method + " " + target
		}
		interval, count := ch.Interval, fmt.Sprint(ch.Count)
		if interval == "" {
			interval = "10s"
		}
		if ch.Count == 0 {
			count = "3"
		}
		t.add(dash(ch.Name), dash(ch.Kind), dash(ch.When), dash(target), dash(ch.Condition), interval, count, fmt.Sprint(ch.FailureLimit))
	}
	return t
}

// describeChecks renders the checks and their latest runs for job describe.
func describeChecks(b *bytes.Buffer, j *client.Job, now time.Time) {
	if len(j.Checks) == 0 {
		return
	}
	b.WriteString("\nChecks:\n")
	_ = checkTable(j.Checks).write(b, true)
	if len(j.CheckRuns) == 0 {
		return
	}
	b.WriteString("\nCheck runs (newest first):\n")
	t := table{head: []string{"AGE", "WHEN", "REVISION", "CHECK", "PHASE", "PASSED", "MEASUREMENTS"}}
	for _, r := range j.CheckRuns[:min(len(j.CheckRuns), 5)] {
		for _, res := range r.Results {
			t.add(age(r.StartedAt, now), dash(r.When), dash(r.Revision), dash(res.Check), dash(res.Phase),
				fmt.Sprintf("%d/%d", res.Passed, res.Count), measurements(res.Measurements))
		}
	}
	_ = t.write(b, true)
}

// measurements shows a check's measurements, oldest first: value and ✓ or ✗.
func measurements(ms []client.CheckMeasurement) string {
	parts := make([]string, 0, len(ms))
	for _, m := range ms {
		mark := "✗"
		if m.Passed {
			mark = "✓"
		}
		v := m.Value
		if v == "" {
			v = m.Phase
		}
		if m.Message != "" {
			v += " (" + m.Message + ")"
		}
		if m.FinishedAt != nil {
			v += " at " + m.FinishedAt.Local().Format("15:04:05")
		}
		parts = append(parts, mark+" "+v)
	}
	return dash(strings.Join(parts, ", "))
}
