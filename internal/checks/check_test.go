package checks

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func httpCheck() Check {
	return Check{Name: "smoke", Kind: KindHTTP, When: Before, URL: "http://{{preview}}:8080/healthz?rev={{revision}}"}
}

func promCheck() Check {
	return Check{Name: "error-rate", Kind: KindPrometheus, When: After, Address: "http://prometheus:9090",
		Query: `sum(rate(errors{namespace="{{namespace}}",rollouts_pod_template_hash="{{revision}}"}[1m]))`, Condition: "result[0] < 0.01"}
}

// TestValidate: each bad setting is one *FieldError naming its field.
func TestValidate(t *testing.T) {
	cases := []struct {
		name    string
		mod     func(c *Check)
		field   string
		promote bool
	}{
		{"good http", func(c *Check) {}, "", false},
		{"name", func(c *Check) { c.Name = "Bad_Name" }, "checks[0].name", false},
		{"when", func(c *Check) { c.When = "later" }, "checks[0].when", false},
		{"kind", func(c *Check) { c.Kind = "ping" }, "checks[0].kind", false},
		{"url scheme", func(c *Check) { c.URL = "ftp://host/x" }, "checks[0].url", false},
		{"url no host", func(c *Check) { c.URL = "http:///x" }, "checks[0].url", false},
		{"url placeholder", func(c *Check) { c.URL = "http://{{green}}/x" }, "checks[0].url", false},
		{"method", func(c *Check) { c.Method = "DELETE" }, "checks[0].method", false},
		{"json path", func(c *Check) { c.JSONPath = "{.status" }, "checks[0].json_path", false},
		{"condition", func(c *Check) { c.Condition = "result ==" }, "checks[0].condition", false},
		{"interval", func(c *Check) { c.Interval = "5" }, "checks[0].interval", false},
		{"count", func(c *Check) { c.Count = 1000 }, "checks[0].count", false},
		{"failure limit", func(c *Check) { c.Count, c.FailureLimit = 3, 3 }, "checks[0].failure_limit", false},
		{"timeout", func(c *Check) { c.TimeoutSeconds = 600 }, "checks[0].timeout_seconds", false},
		{"promote without a before check", func(c *Check) { c.When = After }, "promote_when_checks_pass", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := httpCheck()
			tc.mod(&c)
			err := Validate([]Check{c}, tc.promote)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("got %v, want a FieldError on %s", err, tc.field)
			}
		})
	}
	t.Run("prometheus", func(t *testing.T) {
		if err := Validate([]Check{promCheck()}, false); err != nil {
			t.Fatalf("good prometheus check: %v", err)
		}
		c := promCheck()
		c.Condition, c.Address = "", "prometheus:9090"
		err := Validate([]Check{c}, false)
		for _, f := range []string{"checks[0].condition", "checks[0].address"} {
			if !strings.Contains(err.Error(), f+":") {
				t.Fatalf("got %v, want an error on %s", err, f)
			}
		}
	})
	t.Run("duplicate names", func(t *testing.T) {
		err := Validate([]Check{httpCheck(), httpCheck()}, false)
		if err == nil || !strings.Contains(err.Error(), "checks[1].name:") {
			t.Fatalf("got %v, want an error on checks[1].name", err)
		}
	})
}

// TestTemplates: placeholders become the Services' DNS names and Argo's
// revision argument; each moment gets its own template.
func TestTemplates(t *testing.T) {
	j := Job{Name: "shop", Namespace: "prod", ActiveService: "shop", PreviewService: "shop-preview", Labels: map[string]string{"app.kubernetes.io/managed-by": "switchyard"}}
	both := httpCheck()
	both.When = Both
	ts := Templates(j, []Check{both, promCheck()})
	if len(ts) != 2 || ts[0].GetName() != "shop-checks-before" || ts[1].GetName() != "shop-checks-after" {
		t.Fatalf("templates %v, want shop-checks-before and shop-checks-after", names(ts))
	}
	metrics, _, _ := unstructured.NestedSlice(ts[1].Object, "spec", "metrics")
	if len(metrics) != 2 {
		t.Fatalf("after template has %d metrics, want 2", len(metrics))
	}
	url, _, _ := unstructured.NestedString(metrics[0].(map[string]any), "provider", "web", "url")
	if want := "http://shop-preview.prod.svc:8080/healthz?rev={{args.revision}}"; url != want {
		t.Fatalf("url %q, want %q", url, want)
	}
	q, _, _ := unstructured.NestedString(metrics[1].(map[string]any), "provider", "prometheus", "query")
	if !strings.Contains(q, `namespace="prod"`) || !strings.Contains(q, `"{{args.revision}}"`) {
		t.Fatalf("query %q, want the namespace and Argo's revision argument", q)
	}
	if n, _, _ := unstructured.NestedInt64(metrics[1].(map[string]any), "count"); n != DefaultCount {
		t.Fatalf("count %d, want the default %d", n, DefaultCount)
	}
}

func names(ts []*unstructured.Unstructured) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.GetName())
	}
	return out
}

// TestWords: a run in words, as the job view shows it.
func TestWords(t *testing.T) {
	running := Run{When: Before, Phase: "Running", Results: []Result{{Check: "a", Count: 3, Passed: 2}, {Check: "b", Count: 2, Passed: 1}}}
	if got, want := running.Words(), "Checking green: 3 of 5 passed"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	failed := Run{When: After, Phase: "Failed", Results: []Result{{Check: "ok", Phase: "Successful"},
		{Check: "error-rate", Phase: "Failed", Condition: "result[0] < 0.01", Failed: 1,
			Measurements: []Measurement{{Value: "[0.2]", Phase: "Failed"}}}}}
	if got, want := failed.Words(), "Check error-rate failed: switched back to blue (measured [0.2], which does not meet result[0] < 0.01; 1 of 1 measurements failed)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	errored := Run{When: Before, Phase: "Error", Results: []Result{{Check: "smoke", Phase: "Error", Errors: 1,
		Measurements: []Measurement{{Phase: "Error", Message: "received non 2xx response code: 503"}}}}}
	if got := errored.Words(); !strings.HasPrefix(got, "Check smoke failed: traffic stays on blue (received non 2xx response code: 503") {
		t.Fatalf("got %q", got)
	}
}
