// Package release is the heart of Switchyard: blue-green release jobs. A job
// turns an existing Deployment + Service into an Argo Rollouts blue-green
// Rollout (workloadRef to the Deployment, the Service as active, a generated
// preview Service), then ships versions, promotes, aborts, rolls back and, when
// deleted, hands the application back as a plain Deployment + Service, all
// without the application ever losing its serving pods.
//
// This file holds the job's settings and their validation; manifest.go builds
// the objects created in the cluster; status.go reads a job's state back.
// Engine (one cluster, no database) is in engine*.go, one file per operation;
// Service (the store, leases, views, the change relay, the background loop)
// in service*.go.
package release

import (
	"errors"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard/internal/checks"
	"github.com/switchyard/switchyard/internal/cluster"
)

// Defaults of a job's optional settings.
const (
	DefaultScaleDownDelaySeconds = 30
	MaxScaleDownDelaySeconds     = 24 * 60 * 60
	MaxAutoPromotionSeconds      = 24 * 60 * 60
)

// Spec is what a user gives to create a blue-green job.
type Spec struct {
	Name       string `json:"name"`       // the job's name, also the Rollout's
	Namespace  string `json:"namespace"`  // of the Deployment and Service
	Deployment string `json:"deployment"` // the release object
	Service    string `json:"service"`    // the Service that selects it: becomes the active Service

	// ScaleDownDelaySeconds is how long the old version stays up after a switch,
	// ready for an instant switch back. Nil means DefaultScaleDownDelaySeconds.
	ScaleDownDelaySeconds *int32 `json:"scale_down_delay_seconds,omitempty"`
	// AutoPromotionSeconds, when set, promotes automatically that many seconds
	// after the new version is ready. Nil (the default) waits for a person.
	AutoPromotionSeconds *int32 `json:"auto_promotion_seconds,omitempty"`
	// PreviewReplicaCount, when set, runs only that many new pods until promotion.
	PreviewReplicaCount *int32 `json:"preview_replica_count,omitempty"`
	// Checks are the job's release gates, run by Argo Rollouts' analysis
	// before and after the switch (see internal/checks).
	Checks []checks.Check `json:"checks,omitempty"`
	// PromoteWhenChecksPass lets Argo switch traffic on its own once the
	// checks before the switch pass; otherwise a person promotes.
	PromoteWhenChecksPass bool `json:"promote_when_checks_pass,omitempty"`
}

// FieldError is bad input in one field: Field names it (JSON path), Rule says
// what it must be.
type FieldError struct {
	Field string
	Rule  string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Rule) }

// ValidateName checks a DNS-1123 label of at most 63 characters; field names the input.
func ValidateName(field, name string) error {
	switch {
	case name == "":
		return &FieldError{Field: field, Rule: "is required"}
	case !cluster.IsDNSLabel(name):
		return &FieldError{Field: field, Rule: cluster.DNSLabelRule}
	}
	return nil
}

// Validate checks the spec's own fields (not the cluster) and returns every
// problem found, each a *FieldError.
func (s Spec) Validate() error {
	errs := []error{
		ValidateName("name", s.Name),
		ValidateName("namespace", s.Namespace),
		validateObjectName("deployment", s.Deployment),
		validateObjectName("service", s.Service),
		validateRange("scale_down_delay_seconds", s.ScaleDownDelaySeconds, 0, MaxScaleDownDelaySeconds),
		validateRange("auto_promotion_seconds", s.AutoPromotionSeconds, 0, MaxAutoPromotionSeconds),
		validateRange("preview_replica_count", s.PreviewReplicaCount, 1, 1000),
		ValidateChecks(s.Checks, s.PromoteWhenChecksPass),
	}
	// A Rollout's name is also the prefix of its ReplicaSets' and pods' names;
	// Kubernetes objects are 253 at most, but the job's name is shown as a label value.
	return errors.Join(errs...)
}

// ValidateChecks checks a job's checks on their own (no network); each
// problem is a *FieldError.
func ValidateChecks(cs []checks.Check, promoteWhenPass bool) error {
	return fieldErrors(checks.Validate(cs, promoteWhenPass))
}

// fieldErrors turns the *checks.FieldError values of err's tree into
// *FieldError, the one kind of bad-input error callers map.
func fieldErrors(err error) error {
	if err == nil {
		return nil
	}
	var errs []error
	var walk func(error)
	walk = func(err error) {
		var ce *checks.FieldError
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		default:
			if errors.As(err, &ce) {
				errs = append(errs, &FieldError{Field: ce.Field, Rule: ce.Rule})
			} else {
				errs = append(errs, err)
			}
		}
	}
	walk(err)
	return errors.Join(errs...)
}

// validateObjectName checks the name of an existing object (Deployment, Service):
// required and a DNS-1123 label, since both kinds use that rule.
func validateObjectName(field, name string) error {
	if name == "" {
		return &FieldError{Field: field, Rule: "is required"}
	}
	if !cluster.IsDNSLabel(name) {
		return &FieldError{Field: field, Rule: "must be the name of an existing object (a DNS-1123 label)"}
	}
	return nil
}

func validateRange(field string, v *int32, lo, hi int32) error {
	if v != nil && (*v < lo || *v > hi) {
		return &FieldError{Field: field, Rule: fmt.Sprintf("must be between %d and %d", lo, hi)}
	}
	return nil
}

// scaleDownDelay returns the standby time in seconds, defaulted.
func (s Spec) scaleDownDelay() int32 {
	if s.ScaleDownDelaySeconds == nil {
		return DefaultScaleDownDelaySeconds
	}
	return *s.ScaleDownDelaySeconds
}

// PreviewServiceName is the name of the preview Service Switchyard creates for
// a job: "<job>-preview", shortened to fit a Service name (a DNS-1035 label: at
// most 63 characters, starting with a letter).
func PreviewServiceName(job string) string {
	prefix, room := "", 55
	if job != "" && job[0] >= '0' && job[0] <= '9' {
		prefix, room = "p-", 53
	}
	if len(job) > room {
		job = strings.TrimRight(job[:room], "-")
	}
	return prefix + job + "-preview"
}
