package client

import "time"

// Check is one of a job's release gates, run by Argo Rollouts' analysis:
// Kind "http" (URL, Method, JSONPath, TimeoutSeconds) or "prometheus"
// (Address, Query); When "before" the switch, "after" it, or "both". URL and
// Query may hold the placeholders {{preview}}, {{active}}, {{job}},
// {{namespace}} and {{revision}}. Zero optional settings take the server's
// defaults (interval 10s, count 3, failure limit 0, GET, timeout 10 s).
type Check struct {
	Name           string `json:"name"`
	Kind           string `json:"kind"`
	When           string `json:"when"`
	URL            string `json:"url,omitempty"`
	Method         string `json:"method,omitempty"`
	JSONPath       string `json:"json_path,omitempty"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"`
	Address        string `json:"address,omitempty"`
	Query          string `json:"query,omitempty"`
	Condition      string `json:"condition,omitempty"`
	Interval       string `json:"interval,omitempty"`
	Count          int    `json:"count,omitempty"`
	FailureLimit   int    `json:"failure_limit,omitempty"`
}

// CheckRun is one run of a job's checks for one version (an AnalysisRun).
type CheckRun struct {
	Name      string        `json:"name"`
	When      string        `json:"when"`     // before or after
	Revision  string        `json:"revision"` // pod-template hash of the version checked
	Phase     string        `json:"phase"`    // Pending, Running, Successful, Failed, Error, Inconclusive
	Message   string        `json:"message,omitempty"`
	StartedAt time.Time     `json:"started_at"`
	Results   []CheckResult `json:"results"`
}

// CheckResult is one check's part of a run.
type CheckResult struct {
	Check        string             `json:"check"`
	Phase        string             `json:"phase"`
	Message      string             `json:"message,omitempty"`
	Condition    string             `json:"condition,omitempty"`
	Count        int                `json:"count"`
	Passed       int                `json:"passed"`
	Failed       int                `json:"failed"`
	Errors       int                `json:"errors"`
	Inconclusive int                `json:"inconclusive"`
	Measurements []CheckMeasurement `json:"measurements"`
}

// CheckMeasurement is one measurement of a check.
type CheckMeasurement struct {
	Value      string     `json:"value"`
	Phase      string     `json:"phase"`
	Passed     bool       `json:"passed"`
	Message    string     `json:"message,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}
