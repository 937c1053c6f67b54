package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"sigs.k8s.io/yaml"

	"github.com/switchyard/switchyard/client"
)

// outputFlags is -o/--output.
type outputFlags struct {
	format string
}

func (o *outputFlags) bind(fs *flagSet) {
	fs.StringVar(&o.format, "output", "table", "output format: table, wide, json or yaml")
	fs.StringVar(&o.format, "o", "table", "shorthand for --output")
}

func (o outputFlags) check() error {
	switch o.format {
	case "table", "wide", "json", "yaml":
		return nil
	}
	return usageError{fmt.Sprintf("--output %q: must be table, wide, json or yaml", o.format)}
}

// print writes v as JSON or YAML, or calls table with a tab writer.
func (c *cli) print(o outputFlags, v any, table func(w *tabwriter.Writer)) error {
	switch o.format {
	case "json":
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", data)
		return err
	case "yaml":
		data, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = c.stdout.Write(data)
		return err
	case "table", "wide":
		w := tabwriter.NewWriter(c.stdout, 0, 4, 3, ' ', 0)
		table(w)
		return w.Flush()
	}
	return o.check()
}

// describe turns an error into the line users read: a server error as
// "<message> (field X)", with a hint for the common ones.
func describe(err error) string {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return err.Error()
	}
	msg := dash(ce.Message)
	for _, f := range ce.Fields[min(1, len(ce.Fields)):] { // the first is Message
		msg += "; " + dash(f.Message)
	}
	msg += ce.FieldNote()
	switch {
	case ce.Status == http.StatusUnauthorized:
		msg += "; run switchyard login"
	case ce.Status == http.StatusConflict && ce.Phase != "":
		msg += " (job is " + ce.Phase + ")"
	case ce.Status == http.StatusTooManyRequests && ce.RetryAfter > 0:
		msg += fmt.Sprintf("; retry after %v", ce.RetryAfter)
	case ce.Field == "kubeconfig" && !strings.Contains(msg, "--flatten"):
		msg += "; send a self-contained file: kubectl config view --flatten --minify > cluster.yaml"
	}
	return msg
}

// age formats how long ago t was, like kubectl: 45s, 12m, 3h, 5d.
func age(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// dash makes s one safe table cell: control characters (tabs, newlines, and
// the escape sequences a name, an image or an error message from the server
// or the cluster could smuggle to the reader's terminal) become spaces, and
// empty becomes "-".
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func joinOrDash(ss []string) string { return dash(strings.Join(ss, ",")) }
