package client

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// Job phases, as the server reports them.
const (
	PhaseCreating          = "Creating"
	PhaseHealthy           = "Healthy"
	PhaseProgressing       = "Progressing"
	PhaseAwaitingPromotion = "Awaiting promotion"
	PhasePaused            = "Paused"
	PhaseSwitching         = "Switching"
	PhaseVerifying         = "Verifying"
	PhaseDegraded          = "Degraded"
	PhaseAborted           = "Aborted"
	PhaseUnknown           = "Unknown"
	PhaseDeleting          = "Deleting"
	PhaseDeleted           = "Deleted"
)

// Job is a blue-green release job with its live status.
type Job struct {
	Name                  string     `json:"name"`
	Workspace             string     `json:"workspace"`
	Type                  string     `json:"type"`
	Cluster               string     `json:"cluster"`
	Namespace             string     `json:"namespace"`
	Deployment            string     `json:"deployment"`
	Service               string     `json:"service"`
	PreviewService        string     `json:"preview_service"`
	ScaleDownDelaySeconds int32      `json:"scale_down_delay_seconds"`
	AutoPromotionSeconds  *int32     `json:"auto_promotion_seconds"`
	PreviewReplicaCount   *int32     `json:"preview_replica_count"`
	Checks                []Check    `json:"checks"`
	PromoteWhenChecksPass bool       `json:"promote_when_checks_pass"`
	CheckRuns             []CheckRun `json:"check_runs"`             // newest first
	FailedCheck           string     `json:"failed_check,omitempty"` // the check that failed the current version
	State                 string     `json:"state"`
	Phase                 string     `json:"phase"`
	Message               string     `json:"message,omitempty"`
	Stale                 bool       `json:"stale,omitempty"`
	StaleReason           string     `json:"stale_reason,omitempty"`
	LastPhase             string     `json:"last_phase,omitempty"` // when Stale: the last phase seen, at ObservedAt
	ObservedAt            *time.Time `json:"observed_at,omitempty"`
	ActiveImages          []string   `json:"active_images"`
	PreviewImages         []string   `json:"preview_images"`
	Versions              []Version  `json:"versions"`
	CreatedBy             string     `json:"created_by"`
	CreatedAt             time.Time  `json:"created_at"`
	DeletedAt             *time.Time `json:"deleted_at,omitempty"`
	Warnings              []string   `json:"warnings,omitempty"`
}

// Version is one revision of a job's application.
type Version struct {
	Revision    int         `json:"revision"`
	ReplicaSet  string      `json:"replica_set"`
	PodHash     string      `json:"pod_hash"`
	Images      []string    `json:"images"`
	Containers  []Container `json:"containers"` // name and image of each container
	Ready       int32       `json:"ready"`
	Desired     int32       `json:"desired"`
	Active      bool        `json:"active"`
	Preview     bool        `json:"preview"`
	Stable      bool        `json:"stable"`
	CreatedAt   time.Time   `json:"created_at"`
	ScaleDownAt *time.Time  `json:"scale_down_at,omitempty"`
	Pods        []Pod       `json:"pods"` // the version's pods, by name
}

// Pod is one pod of a version, as kubectl get pods shows it.
type Pod struct {
	Name      string    `json:"name"`
	Phase     string    `json:"phase"`            // Pending, Running, Succeeded, Failed, Unknown
	Ready     bool      `json:"ready"`            // every container ready: it receives traffic
	Reason    string    `json:"reason,omitempty"` // why it is not ready or not running, when known
	Restarts  int32     `json:"restarts"`
	Node      string    `json:"node,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Deleting  bool      `json:"deleting,omitempty"` // being shut down
}

// Container is a container of a version: the name Deploy takes, and its image.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// NewJob is what CreateJob sends.
type NewJob struct {
	Name                  string  `json:"name"`
	Cluster               string  `json:"cluster"`
	Namespace             string  `json:"namespace"`
	Deployment            string  `json:"deployment"`
	Service               string  `json:"service"`
	ScaleDownDelaySeconds *int32  `json:"scale_down_delay_seconds,omitempty"`
	AutoPromotionSeconds  *int32  `json:"auto_promotion_seconds,omitempty"`
	PreviewReplicaCount   *int32  `json:"preview_replica_count,omitempty"`
	Checks                []Check `json:"checks,omitempty"`
	PromoteWhenChecksPass bool    `json:"promote_when_checks_pass,omitempty"`
}

// JobQuery filters, sorts and pages Jobs.
type JobQuery struct {
	Cluster, Namespace, Name, Phase string
	Sort                            string // name, created, cluster, namespace; "-" prefix for descending
	Limit, Offset                   int
	IncludeDeleted                  bool // also deleted jobs, kept on record for the audit trail
}

// JobList is a page of jobs and the total count.
type JobList struct {
	Items  []Job `json:"items"`
	Total  int   `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// TimelineEntry is one line of a job's timeline.
type TimelineEntry struct {
	Time    time.Time `json:"time"`
	Source  string    `json:"source"`
	Actor   string    `json:"actor,omitempty"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome,omitempty"`
	Message string    `json:"message"`
	Type    string    `json:"type,omitempty"`
}

// Operation options: IfPhase refuses (409) if the job moved on from that phase.
type Operation struct {
	Images   map[string]string `json:"images,omitempty"`
	Revision int               `json:"revision,omitempty"`
	Full     bool              `json:"full,omitempty"`
	IfPhase  string            `json:"if_phase,omitempty"`
}

func jobPath(workspace, job string) string { return wsPath(workspace) + "/jobs/" + pathEscape(job) }

// Jobs lists a workspace's jobs.
func (c *Client) Jobs(ctx context.Context, workspace string, q JobQuery) (*JobList, error) {
	v := url.Values{}
	for k, val := range map[string]string{"cluster": q.Cluster, "namespace": q.Namespace, "name": q.Name, "phase": q.Phase, "sort": q.Sort} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	if q.IncludeDeleted {
		v.Set("include_deleted", "true")
	}
	path := wsPath(workspace) + "/jobs"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out JobList
	return &out, c.do(ctx, "GET", path, nil, &out)
}

// CreateJob turns a Deployment + Service into a blue-green job (Editor or Admin).
func (c *Client) CreateJob(ctx context.Context, workspace string, j NewJob) (*Job, error) {
	var out Job
	return &out, c.do(ctx, "POST", wsPath(workspace)+"/jobs", j, &out)
}

// SetChecks replaces a job's checks and its promote-when-checks-pass option
// (Editor or Admin). An empty list removes every check.
func (c *Client) SetChecks(ctx context.Context, workspace, name string, cs []Check, promoteWhenPass bool) (*Job, error) {
	if cs == nil {
		cs = []Check{}
	}
	body := struct {
		Checks                []Check `json:"checks"`
		PromoteWhenChecksPass bool    `json:"promote_when_checks_pass"`
	}{cs, promoteWhenPass}
	var out Job
	return &out, c.do(ctx, "PUT", jobPath(workspace, name)+"/checks", body, &out)
}

// Job returns one job with its live status.
func (c *Client) Job(ctx context.Context, workspace, name string) (*Job, error) {
	var out Job
	return &out, c.do(ctx, "GET", jobPath(workspace, name), nil, &out)
}

// Deploy ships a new version: container name → image.
func (c *Client) Deploy(ctx context.Context, workspace, name string, images map[string]string) (*Job, error) {
	return c.Operate(ctx, workspace, name, "deploy", Operation{Images: images})
}

// Promote switches traffic to the new version; full skips remaining pauses and analysis.
func (c *Client) Promote(ctx context.Context, workspace, name string, full bool) (*Job, error) {
	return c.Operate(ctx, workspace, name, "promote", Operation{Full: full})
}

// Abort keeps traffic on the stable version and scales the new one down.
func (c *Client) Abort(ctx context.Context, workspace, name string) (*Job, error) {
	return c.Operate(ctx, workspace, name, "abort", Operation{})
}

// Retry restarts an aborted release.
func (c *Client) Retry(ctx context.Context, workspace, name string) (*Job, error) {
	return c.Operate(ctx, workspace, name, "retry", Operation{})
}

// Rollback returns to a revision (0: the previous one).
func (c *Client) Rollback(ctx context.Context, workspace, name string, revision int) (*Job, error) {
	return c.Operate(ctx, workspace, name, "rollback", Operation{Revision: revision})
}

// Operate runs a job operation: deploy, promote, abort, retry or rollback.
func (c *Client) Operate(ctx context.Context, workspace, name, op string, o Operation) (*Job, error) {
	var out Job
	return &out, c.do(ctx, "POST", jobPath(workspace, name)+"/"+op, o, &out)
}

// DeleteJob hands the application back as a plain Deployment + Service; force
// deletes even while a release is in flight.
func (c *Client) DeleteJob(ctx context.Context, workspace, name string, force bool) (*Job, error) {
	path := jobPath(workspace, name)
	if force {
		path += "?force=true"
	}
	var out Job
	return &out, c.do(ctx, "DELETE", path, nil, &out)
}

// Timeline returns a job's audit entries merged with its Rollout's events, newest first.
func (c *Client) Timeline(ctx context.Context, workspace, name string) ([]TimelineEntry, error) {
	var l list[TimelineEntry]
	return l.Items, c.do(ctx, "GET", jobPath(workspace, name)+"/timeline", nil, &l)
}
