package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/util/jsonpath"
	"sigs.k8s.io/yaml"

	"github.com/switchyard/switchyard/client"
)

// outputFormats are the values of -o, as kubectl has them.
var outputFormats = []string{"table", "wide", "json", "yaml", "name", "jsonpath=", "custom-columns="}

// outputFlags are -o/--output and --no-headers.
type outputFlags struct {
	format    string
	noHeaders bool
}

func (o *outputFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "table", "output format: table, wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=HEADER:PATH,…")
	cmd.Flags().BoolVar(&o.noHeaders, "no-headers", false, "table, wide and custom-columns: leave out the header line")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return outputFormats, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}

// check refuses an unknown format or a template that does not parse, before
// anything is asked of a server.
func (o outputFlags) check() error {
	switch {
	case o.format == "table", o.format == "wide", o.format == "json", o.format == "yaml", o.format == "name":
		return nil
	case strings.HasPrefix(o.format, "jsonpath="):
		_, err := parseJSONPath(strings.TrimPrefix(o.format, "jsonpath="))
		return err
	case strings.HasPrefix(o.format, "custom-columns="):
		_, err := parseColumns(strings.TrimPrefix(o.format, "custom-columns="))
		return err
	}
	return usageError{fmt.Sprintf("--output %q: must be table, wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=SPEC", o.format)}
}

func (o outputFlags) wide() bool { return o.format == "wide" }

// human reports whether the output is a table for people (notes go to stderr then).
func (o outputFlags) human() bool { return o.format == "table" || o.format == "wide" }

// table is rows of cells under a header.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write aligns the table in columns, three spaces apart, as kubectl does.
func (t table) write(w io.Writer, headers bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	if headers {
		fmt.Fprintln(tw, strings.Join(t.head, "\t"))
	}
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// listing is what a command prints: one object or a list of them, with its
// table, and its names for -o name.
type listing struct {
	kind   string   // "Job": a list prints as {"kind": "JobList", "items": […]}
	items  any      // a slice of objects, or one object when single
	single bool     // get, create, …: one object, printed as itself
	names  []string // -o name: "job/web"; nil: the objects have no names
	table  table    // -o table and -o wide (the caller builds the wide one)
	scope  string   // the empty list's note: "in workspace demo"
	meta   any      // extra list fields, e.g. job list's paging
}

// print writes l in the format o asks for.
func (c *cli) print(o outputFlags, l listing) error {
	if !l.single && o.human() && len(l.table.rows) == 0 {
		note := "No resources found"
		if l.scope != "" {
			note += " " + l.scope
		}
		fmt.Fprintln(c.stderr, note+".")
		return nil
	}
	switch {
	case o.human():
		return l.table.write(c.stdout, !o.noHeaders)
	case o.format == "name":
		if l.names == nil {
			return usageError{fmt.Sprintf("--output name: %s entries have no names; use -o json or jsonpath", strings.ToLower(l.kind))}
		}
		for _, n := range l.names {
			fmt.Fprintln(c.stdout, n)
		}
		return nil
	}
	doc, err := generic(l.document())
	if err != nil {
		return err
	}
	switch {
	case o.format == "json":
		data, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", data)
		return err
	case o.format == "yaml":
		data, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		_, err = c.stdout.Write(data)
		return err
	case strings.HasPrefix(o.format, "jsonpath="):
		jp, err := parseJSONPath(strings.TrimPrefix(o.format, "jsonpath="))
		if err != nil {
			return err
		}
		if err := jp.Execute(c.stdout, doc); err != nil {
			return fmt.Errorf("--output jsonpath: %w", err)
		}
		return nil
	case strings.HasPrefix(o.format, "custom-columns="):
		cols, err := parseColumns(strings.TrimPrefix(o.format, "custom-columns="))
		if err != nil {
			return err
		}
		return customColumns(c.stdout, cols, doc, !o.noHeaders)
	}
	return o.check()
}

// document is what -o json, yaml and jsonpath see: the object itself, or
// for a list {"kind": "<Kind>List", "items": […]} plus its paging fields.
func (l listing) document() any {
	if l.single {
		return l.items
	}
	doc := map[string]any{"kind": l.kind + "List", "items": l.items}
	if l.meta != nil {
		doc["metadata"] = l.meta
	}
	return doc
}

// generic turns v into maps, slices and scalars by its JSON form, so JSON
// field names are what jsonpath and custom columns address.
func generic(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, err
	}
	if m, ok := out.(map[string]any); ok {
		if items, ok := m["items"]; ok && items == nil {
			m["items"] = []any{} // an empty list is [], not null
		}
	}
	return out, nil
}

// parseJSONPath parses a kubectl jsonpath template; braces may be left out
// for a single expression: .items[*].name.
func parseJSONPath(tmpl string) (*jsonpath.JSONPath, error) {
	if tmpl == "" {
		return nil, usageError{"--output jsonpath=: the template is empty, e.g. jsonpath='{.items[*].name}'"}
	}
	if !strings.Contains(tmpl, "{") {
		tmpl = "{" + tmpl + "}"
	}
	jp := jsonpath.New("output")
	if err := jp.Parse(tmpl); err != nil {
		return nil, usageError{fmt.Sprintf("--output jsonpath=%s: %v", tmpl, err)}
	}
	return jp, nil
}

// column is one HEADER:PATH of -o custom-columns.
type column struct {
	header string
	path   *jsonpath.JSONPath
}

func parseColumns(spec string) ([]column, error) {
	if spec == "" {
		return nil, usageError{"--output custom-columns=: give HEADER:PATH pairs, e.g. custom-columns=NAME:.name,PHASE:.phase"}
	}
	var cols []column
	for _, part := range strings.Split(spec, ",") {
		header, path, ok := strings.Cut(part, ":")
		if !ok || header == "" || path == "" {
			return nil, usageError{fmt.Sprintf("--output custom-columns: %q is not HEADER:PATH (e.g. NAME:.name)", part)}
		}
		if !strings.HasPrefix(path, "{") {
			path = "{" + path + "}"
		}
		jp := jsonpath.New(header).AllowMissingKeys(true)
		if err := jp.Parse(path); err != nil {
			return nil, usageError{fmt.Sprintf("--output custom-columns: column %s: %v", header, err)}
		}
		cols = append(cols, column{header: header, path: jp})
	}
	return cols, nil
}

// customColumns writes one row per item of a list document (or one for a
// single object): each cell the values its path finds, "<none>" for none.
func customColumns(w io.Writer, cols []column, doc any, headers bool) error {
	objs := []any{doc}
	if m, ok := doc.(map[string]any); ok {
		if items, ok := m["items"].([]any); ok && m["kind"] != nil {
			objs = items
		}
	}
	var t table
	for _, col := range cols {
		t.head = append(t.head, col.header)
	}
	for _, obj := range objs {
		var row []string
		for _, col := range cols {
			results, err := col.path.FindResults(obj)
			if err != nil {
				return fmt.Errorf("--output custom-columns: column %s: %w", col.header, err)
			}
			var vals []string
			for _, rs := range results {
				for _, r := range rs {
					vals = append(vals, dash(fmt.Sprint(r.Interface())))
				}
			}
			cell := strings.Join(vals, ",")
			if cell == "" {
				cell = "<none>"
			}
			row = append(row, cell)
		}
		t.add(row...)
	}
	return t.write(w, headers)
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

// age formats how long ago t was, as kubectl does (apimachinery's
// HumanDuration): 45s, 12m, 3h, 5d, 2y.
func age(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	if d < 0 {
		return "0s"
	}
	return duration.HumanDuration(d)
}

// timestamp is an absolute time in -o wide: local, to the second.
func timestamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.RFC3339)
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

// yesNo is every boolean cell: yes or no.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// names makes the -o name lines kind/name.
func names[T any](kind string, items []T, name func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, kind+"/"+name(it))
	}
	return out
}
