// Package checks holds a job's release gates: the checks a user sets on a
// job (an HTTP endpoint or a Prometheus query, before the switch, after it,
// or both), their validation, the Argo Rollouts AnalysisTemplates they become
// (Argo's own web and prometheus providers run them, in the cluster, even
// while Switchyard is down), and the view of the AnalysisRuns Argo makes of
// them, in the words users see. It runs no check itself.
//
// This file holds the check's settings and their validation; template.go
// builds the AnalysisTemplates; run.go reads AnalysisRuns back.
package checks

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/utils/evaluate"
	"k8s.io/client-go/util/jsonpath"

	"github.com/switchyard/switchyard/internal/cluster"
)

// Kind is what a check measures.
type Kind string

// The kinds of check, each an Argo Rollouts metric provider.
const (
	KindHTTP       Kind = "http"       // Argo's web provider
	KindPrometheus Kind = "prometheus" // Argo's prometheus provider
)

// When is the moment of a release a check runs at.
type When string

// The moments a check runs at.
const (
	// Before runs on green while traffic is still on blue (Argo's
	// prePromotionAnalysis): a failure aborts, traffic stays on blue.
	Before When = "before"
	// After runs once traffic is on green, during the standby time (Argo's
	// postPromotionAnalysis): a failure switches traffic back to blue.
	After When = "after"
	// Both runs the check at both moments.
	Both When = "both"
)

// Defaults and limits of a check's settings.
const (
	DefaultInterval = "10s"
	DefaultCount    = 3
	DefaultTimeout  = 10 // seconds, as Argo's web provider
	MaxChecks       = 20
	MaxCount        = 100
	MaxInterval     = time.Hour
	MaxTimeout      = 60
	maxText         = 2048 // URL, query, condition, JSONPath
)

// Check is one named check of a job. Zero values of the optional settings
// take the defaults (Defaults fills them).
type Check struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	When When   `json:"when"`

	// URL (http) is called with Method (GET, POST or PUT; default GET); any
	// 2xx answer passes unless Condition says otherwise. JSONPath picks the
	// value of the JSON body Condition is evaluated over as result.
	URL            string `json:"url,omitempty"`
	Method         string `json:"method,omitempty"`
	JSONPath       string `json:"json_path,omitempty"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"`

	// Address (prometheus) is the Prometheus server's URL; Query is PromQL.
	Address string `json:"address,omitempty"`
	Query   string `json:"query,omitempty"`

	// Condition is Argo's successCondition, an expression over result
	// (`result[0] < 0.01`, `result == "ok"`). Required for prometheus.
	Condition string `json:"condition,omitempty"`

	// Interval between measurements (a Go duration, default 10s), Count of
	// measurements (default 3), FailureLimit: how many may fail (default 0).
	Interval     string `json:"interval,omitempty"`
	Count        int    `json:"count,omitempty"`
	FailureLimit int    `json:"failure_limit,omitempty"`
}

// Runs reports whether the check runs at moment w (Before or After).
func (c Check) Runs(w When) bool { return c.When == w || c.When == Both }

// Defaults returns the check with its optional settings filled in.
func (c Check) Defaults() Check {
	if c.Interval == "" {
		c.Interval = DefaultInterval
	}
	if c.Count == 0 {
		c.Count = DefaultCount
	}
	if c.Kind == KindHTTP {
		if c.Method == "" {
			c.Method = "GET"
		}
		if c.TimeoutSeconds == 0 {
			c.TimeoutSeconds = DefaultTimeout
		}
	}
	return c
}

// FieldError is bad input in one field of a check: Field is its JSON path
// (checks[1].url), Rule what it must be.
type FieldError struct {
	Field string
	Rule  string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Rule) }

// Placeholders a URL or query may use, and what they stand for.
var Placeholders = map[string]string{
	"preview":   "the preview Service's in-cluster DNS name (green)",
	"active":    "the active Service's in-cluster DNS name (the Service users reach)",
	"job":       "the job's name",
	"namespace": "the job's namespace",
	"revision":  "the pod-template hash of the version being checked (its pods' rollouts-pod-template-hash label)",
}

var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// Validate checks a job's checks on their own (no network) and returns every
// problem found, each a *FieldError. promoteWhenPass needs a check before the
// switch: without one there would be nothing to wait for.
func Validate(cs []Check, promoteWhenPass bool) error {
	if len(cs) > MaxChecks {
		return &FieldError{Field: "checks", Rule: fmt.Sprintf("at most %d checks", MaxChecks)}
	}
	var errs []error
	seen := map[string]bool{}
	before := false
	for i, c := range cs {
		f := fmt.Sprintf("checks[%d].", i)
		if seen[c.Name] && c.Name != "" {
			errs = append(errs, &FieldError{Field: f + "name", Rule: fmt.Sprintf("%q is the name of another check of the job", c.Name)})
		}
		seen[c.Name] = true
		errs = append(errs, c.validate(f)...)
		before = before || c.Runs(Before)
	}
	if promoteWhenPass && !before {
		errs = append(errs, &FieldError{Field: "promote_when_checks_pass", Rule: "needs at least one check that runs before the switch (when: before or both)"})
	}
	return errors.Join(errs...)
}

func (c Check) validate(f string) []error {
	var errs []error
	bad := func(field, rule string) { errs = append(errs, &FieldError{Field: f + field, Rule: rule}) }
	switch {
	case c.Name == "":
		bad("name", "is required")
	case !cluster.IsDNSLabel(c.Name):
		bad("name", cluster.DNSLabelRule)
	}
	switch c.When {
	case Before, After, Both:
	default:
		bad("when", "must be before, after or both")
	}
	c = c.Defaults()
	switch c.Kind {
	case KindHTTP:
		if err := validURL(c.URL); err != "" {
			bad("url", err)
		}
		if c.Method != "GET" && c.Method != "POST" && c.Method != "PUT" {
			bad("method", "must be GET, POST or PUT")
		}
		if c.JSONPath != "" {
			if len(c.JSONPath) > maxText {
				bad("json_path", fmt.Sprintf("must be at most %d characters", maxText))
			} else if err := jsonpath.New("check").Parse(c.JSONPath); err != nil {
				bad("json_path", fmt.Sprintf("must be a JSONPath expression such as {$.status}: %v", err))
			}
		}
		if c.TimeoutSeconds < 1 || c.TimeoutSeconds > MaxTimeout {
			bad("timeout_seconds", fmt.Sprintf("must be between 1 and %d", MaxTimeout))
		}
		if c.Address != "" || c.Query != "" {
			bad("kind", "an http check has a url, not a Prometheus address or query")
		}
	case KindPrometheus:
		if err := validURL(c.Address); err != "" {
			bad("address", err)
		}
		switch {
		case strings.TrimSpace(c.Query) == "":
			bad("query", "is required")
		case len(c.Query) > maxText:
			bad("query", fmt.Sprintf("must be at most %d characters", maxText))
		default:
			if err := validPlaceholders(c.Query); err != "" {
				bad("query", err)
			}
		}
		if c.Condition == "" {
			bad("condition", "is required for a prometheus check (for example result[0] < 0.01)")
		}
		if c.URL != "" {
			bad("kind", "a prometheus check has an address and a query, not a url")
		}
	default:
		bad("kind", "must be http or prometheus")
	}
	if c.Condition != "" {
		if err := validCondition(c.Condition); err != "" {
			bad("condition", err)
		}
	}
	errs = append(errs, validCounts(f, c)...)
	return errs
}

func validCounts(f string, c Check) []error {
	var errs []error
	d, err := time.ParseDuration(c.Interval)
	if err != nil || d < time.Second || d > MaxInterval {
		errs = append(errs, &FieldError{Field: f + "interval", Rule: "must be a duration between 1s and 1h, such as 10s or 1m"})
	}
	if c.Count < 1 || c.Count > MaxCount {
		errs = append(errs, &FieldError{Field: f + "count", Rule: fmt.Sprintf("must be between 1 and %d", MaxCount)})
	}
	if c.FailureLimit < 0 || c.FailureLimit >= max(c.Count, 1) {
		errs = append(errs, &FieldError{Field: f + "failure_limit", Rule: "must be at least 0 and less than count (how many measurements may fail)"})
	}
	return errs
}

// validURL says what is wrong with an http(s) URL that may hold
// placeholders, or "" when nothing is.
func validURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > maxText {
		return fmt.Sprintf("must be at most %d characters", maxText)
	}
	if err := validPlaceholders(raw); err != "" {
		return err
	}
	u, err := url.Parse(Expand(raw, sampleValues))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an http:// or https:// URL with a host (placeholders such as {{preview}} allowed)"
	}
	return ""
}

func validPlaceholders(s string) string {
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if _, ok := Placeholders[m[1]]; !ok {
			return fmt.Sprintf("unknown placeholder %s: use {{preview}}, {{active}}, {{job}}, {{namespace}} or {{revision}}", m[0])
		}
	}
	return ""
}

// conditionSamples are results a condition is tried on: a Prometheus
// vector, a scalar, a JSON value. A condition that Argo's evaluator can run
// on none of them cannot be meant.
var conditionSamples = []any{[]float64{0}, float64(0), "ok", true, map[string]any{}}

// validCondition runs the condition through Argo Rollouts' own evaluator.
func validCondition(cond string) string {
	if len(cond) > maxText {
		return fmt.Sprintf("must be at most %d characters", maxText)
	}
	var first error
	for _, r := range conditionSamples {
		_, err := evaluate.EvalCondition(r, cond)
		if err == nil {
			return ""
		}
		if first == nil {
			first = err
		}
	}
	return fmt.Sprintf("must be an expression over result that Argo Rollouts can evaluate, such as result[0] < 0.01: %v", first)
}

// Values are what the placeholders of a job's checks stand for.
type Values map[string]string

// sampleValues fill placeholders for validation.
var sampleValues = Values{"preview": "preview.ns.svc.cluster.local", "active": "active.ns.svc.cluster.local",
	"job": "job", "namespace": "ns", "revision": "0123456789"}

// Expand replaces the placeholders of s with vals; unknown ones stay.
func Expand(s string, vals Values) string {
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		if v, ok := vals[name]; ok {
			return v
		}
		return m
	})
}

// Describe is the one-line summary of a check, for lists.
func (c Check) Describe() string {
	c = c.Defaults()
	what := c.Method + " " + c.URL
	if c.Kind == KindPrometheus {
		what = c.Query + " on " + c.Address
	}
	cond := ""
	if c.Condition != "" {
		cond = ", pass if " + c.Condition
	}
	return fmt.Sprintf("%s %s (%s): %s%s; %d × every %s, %d may fail", c.Name, c.Kind, c.When, what, cond, c.Count, c.Interval, c.FailureLimit)
}
