package api

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/switchyard/switchyard/internal/access"
	"github.com/switchyard/switchyard/internal/auth"
	"github.com/switchyard/switchyard/internal/checks"
	"github.com/switchyard/switchyard/internal/release"
	"github.com/switchyard/switchyard/internal/store"
)

func (a *API) jobRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/workspaces/{ws}/jobs", handle: a.listJobs},
		{pattern: "POST /api/v1/workspaces/{ws}/jobs", handle: a.createJob},
		{pattern: "GET /api/v1/workspaces/{ws}/jobs/{job}", handle: a.getJob},
		{pattern: "DELETE /api/v1/workspaces/{ws}/jobs/{job}", handle: a.deleteJob},
		{pattern: "PUT /api/v1/workspaces/{ws}/jobs/{job}/checks", handle: a.setJobChecks},
		{pattern: "GET /api/v1/workspaces/{ws}/jobs/{job}/timeline", handle: a.jobTimeline},
		{pattern: "POST /api/v1/workspaces/{ws}/jobs/{job}/deploy", handle: a.operate(access.JobDeploy, release.OpDeploy)},
		{pattern: "POST /api/v1/workspaces/{ws}/jobs/{job}/promote", handle: a.operate(access.JobPromote, release.OpPromote)},
		{pattern: "POST /api/v1/workspaces/{ws}/jobs/{job}/abort", handle: a.operate(access.JobAbort, release.OpAbort)},
		{pattern: "POST /api/v1/workspaces/{ws}/jobs/{job}/retry", handle: a.operate(access.JobRetry, release.OpRetry)},
		{pattern: "POST /api/v1/workspaces/{ws}/jobs/{job}/rollback", handle: a.operate(access.JobRollback, release.OpRollback)},
	}
}

// jobJSON is a job with its live status.
type jobJSON struct {
	Name                  string         `json:"name"`
	Workspace             string         `json:"workspace"`
	Type                  string         `json:"type"`
	Cluster               string         `json:"cluster"`
	Namespace             string         `json:"namespace"`
	Deployment            string         `json:"deployment"`
	Service               string         `json:"service"`
	PreviewService        string         `json:"preview_service"`
	ScaleDownDelaySeconds int32          `json:"scale_down_delay_seconds"`
	AutoPromotionSeconds  *int32         `json:"auto_promotion_seconds"`
	PreviewReplicaCount   *int32         `json:"preview_replica_count"`
	Checks                []checks.Check `json:"checks"`
	PromoteWhenChecksPass bool           `json:"promote_when_checks_pass"`
	CheckRuns             []checks.Run   `json:"check_runs"`             // newest first
	FailedCheck           string         `json:"failed_check,omitempty"` // the check that failed the current version
	State                 string         `json:"state"`
	Phase                 string         `json:"phase"`
	Message               string         `json:"message,omitempty"`
	Stale                 bool           `json:"stale,omitempty"` // the cluster could not be read: phase is Unknown
	StaleReason           string         `json:"stale_reason,omitempty"`
	LastPhase             string         `json:"last_phase,omitempty"` // when stale: the last phase seen, at observed_at
	ObservedAt            *time.Time     `json:"observed_at,omitempty"`
	ActiveImages          []string       `json:"active_images"`
	PreviewImages         []string       `json:"preview_images"`
	Versions              []versionJSON  `json:"versions"`
	CreatedBy             string         `json:"created_by"`
	CreatedAt             time.Time      `json:"created_at"`
	DeletedAt             *time.Time     `json:"deleted_at,omitempty"`
	Warnings              []string       `json:"warnings,omitempty"`
}

type versionJSON struct {
	Revision    int             `json:"revision"`
	ReplicaSet  string          `json:"replica_set"`
	PodHash     string          `json:"pod_hash"`
	Images      []string        `json:"images"`
	Containers  []containerJSON `json:"containers"`
	Ready       int32           `json:"ready"`
	Desired     int32           `json:"desired"`
	Active      bool            `json:"active"`
	Preview     bool            `json:"preview"`
	Stable      bool            `json:"stable"`
	CreatedAt   time.Time       `json:"created_at"`
	ScaleDownAt *time.Time      `json:"scale_down_at,omitempty"`
	Pods        []podJSON       `json:"pods"`
}

// podJSON is one pod of a version.
type podJSON struct {
	Name      string    `json:"name"`
	Phase     string    `json:"phase"`
	Ready     bool      `json:"ready"`
	Reason    string    `json:"reason,omitempty"`
	Restarts  int32     `json:"restarts"`
	Node      string    `json:"node,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Deleting  bool      `json:"deleting,omitempty"`
}

// containerJSON is a container of a version: the name deploy takes, and its image.
type containerJSON struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

func toJob(ws string, v release.View) jobJSON {
	j := v.Job
	delay := int32(release.DefaultScaleDownDelaySeconds)
	if j.ScaleDownDelaySeconds != nil {
		delay = *j.ScaleDownDelaySeconds
	}
	out := jobJSON{
		Name: j.Name, Workspace: ws, Type: "blue-green", Cluster: j.ClusterName, Namespace: j.Namespace,
		Deployment: j.Deployment, Service: j.Service, PreviewService: release.PreviewServiceName(j.Name),
		ScaleDownDelaySeconds: delay, AutoPromotionSeconds: j.AutoPromotionSeconds, PreviewReplicaCount: j.PreviewReplicaCount,
		State: j.State, Phase: string(v.Status.Phase), Message: v.Status.Message, Stale: v.Stale, StaleReason: v.Reason,
		ObservedAt: j.ObservedAt, ActiveImages: []string{}, PreviewImages: []string{}, Versions: []versionJSON{},
		CreatedBy: j.CreatedBy, CreatedAt: j.CreatedAt, DeletedAt: j.DeletedAt,
		Checks: release.JobChecks(j), PromoteWhenChecksPass: j.PromoteWhenChecksPass,
		CheckRuns: v.Status.CheckRuns, FailedCheck: v.Status.FailedCheck,
	}
	if out.Checks == nil {
		out.Checks = []checks.Check{}
	}
	if out.CheckRuns == nil {
		out.CheckRuns = []checks.Run{}
	}
	if v.Stale {
		out.LastPhase = j.LastPhase
		if j.LastImages != "" {
			out.ActiveImages = strings.Split(j.LastImages, ",")
		}
	}
	for _, ver := range v.Status.Versions {
		out.Versions = append(out.Versions, versionJSON{
			Revision: ver.Revision, ReplicaSet: ver.ReplicaSet, PodHash: ver.PodHash, Images: ver.Images, Containers: toContainers(ver.Containers),
			Ready: ver.Ready, Desired: ver.Desired, Active: ver.Active, Preview: ver.Preview, Stable: ver.Stable,
			CreatedAt: ver.CreatedAt, ScaleDownAt: ver.ScaleDownAt, Pods: toPods(ver.Pods),
		})
		if ver.Active {
			out.ActiveImages = ver.Images
		}
		if ver.Preview && !ver.Active {
			out.PreviewImages = ver.Images
		}
	}
	return out
}

func toPods(ps []release.Pod) []podJSON {
	out := make([]podJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, podJSON{Name: p.Name, Phase: p.Phase, Ready: p.Ready, Reason: p.Reason, Restarts: p.Restarts,
			Node: p.Node, CreatedAt: p.CreatedAt, Deleting: p.Deleting})
	}
	return out
}

func toContainers(cs []release.Container) []containerJSON {
	out := make([]containerJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, containerJSON{Name: c.Name, Image: c.Image})
	}
	return out
}

type jobListJSON struct {
	Items  []jobJSON `json:"items"`
	Total  int       `json:"total"`
	Limit  int       `json:"limit"`
	Offset int       `json:"offset"`
}

// listJobs lists the workspace's jobs: filters cluster, namespace, name
// (substring), phase, include_deleted; sort name|created|cluster|namespace
// (- for descending); limit and offset for paging.
func (a *API) listJobs(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.JobView)
	if err != nil {
		return err
	}
	f, err := jobFilter(r, ws.ID)
	if err != nil {
		return err
	}
	views, total, err := a.Jobs.List(r.Context(), f)
	if err != nil {
		return err
	}
	out := jobListJSON{Items: make([]jobJSON, 0, len(views)), Total: total, Limit: f.Limit, Offset: f.Offset}
	for _, v := range views {
		out.Items = append(out.Items, toJob(ws.Name, v))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func jobFilter(r *http.Request, wsID int64) (store.JobFilter, error) {
	q := r.URL.Query()
	f := store.JobFilter{WorkspaceID: &wsID, Cluster: q.Get("cluster"), Namespace: q.Get("namespace"),
		NameContains: q.Get("name"), Phase: q.Get("phase"), Sort: q.Get("sort"), Limit: 50}
	if f.Phase != "" && !knownPhase(f.Phase) {
		return f, invalid("phase", "must be one of "+phaseList())
	}
	if v := q.Get("include_deleted"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, invalid("include_deleted", "must be true or false")
		}
		f.IncludeDeleted = b // deleted jobs stay on record for the audit trail
	}
	for _, k := range []string{"limit", "offset"} {
		if v := q.Get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (k == "limit" && (n < 1 || n > 500)) {
				return f, invalid(k, "must be a whole number (limit: 1 to 500)")
			}
			if k == "limit" {
				f.Limit = n
			} else {
				f.Offset = n
			}
		}
	}
	return f, nil
}

func knownPhase(p string) bool {
	for _, ph := range release.Phases {
		if strings.EqualFold(string(ph), p) {
			return true
		}
	}
	return false
}

func phaseList() string {
	names := make([]string, 0, len(release.Phases))
	for _, ph := range release.Phases {
		names = append(names, string(ph))
	}
	return strings.Join(names, ", ")
}

type createJobRequest struct {
	Name                  string         `json:"name"`
	Cluster               string         `json:"cluster"`
	Namespace             string         `json:"namespace"`
	Deployment            string         `json:"deployment"`
	Service               string         `json:"service"`
	ScaleDownDelaySeconds *int32         `json:"scale_down_delay_seconds"`
	AutoPromotionSeconds  *int32         `json:"auto_promotion_seconds"`
	PreviewReplicaCount   *int32         `json:"preview_replica_count"`
	Checks                []checks.Check `json:"checks"`
	PromoteWhenChecksPass bool           `json:"promote_when_checks_pass"`
}

// createJob turns a Deployment + Service into a blue-green job (Editor or Admin).
func (a *API) createJob(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req createJobRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	ws, err := a.workspace(r, p, access.JobCreate)
	var v release.View
	var warnings []string
	if err == nil {
		v, warnings, err = a.Jobs.Create(r.Context(), ws, p.User.Username, release.CreateRequest{Cluster: req.Cluster, Spec: release.Spec{
			Name: req.Name, Namespace: req.Namespace, Deployment: req.Deployment, Service: req.Service,
			ScaleDownDelaySeconds: req.ScaleDownDelaySeconds, AutoPromotionSeconds: req.AutoPromotionSeconds, PreviewReplicaCount: req.PreviewReplicaCount,
			Checks: req.Checks, PromoteWhenChecksPass: req.PromoteWhenChecksPass,
		}})
	}
	a.Metrics.operation("create", err)
	ev := wsEvent(p, ws, "job.create", "job "+req.Name)
	ev.detail = req.Cluster + "/" + req.Namespace + " deployment " + req.Deployment + " service " + req.Service
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	out := toJob(ws.Name, v)
	out.Warnings = warnings
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// setJobChecks replaces a job's checks and its promote-when-checks-pass
// option (Editor or Admin): body {"checks": [...], "promote_when_checks_pass": bool}.
func (a *API) setJobChecks(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req release.ChecksRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	name := r.PathValue("job")
	ws, err := a.workspace(r, p, access.JobChecks)
	var v release.View
	var warnings []string
	if err == nil {
		v, warnings, err = a.Jobs.SetChecks(r.Context(), ws, name, req)
	}
	ev := wsEvent(p, ws, "job.checks", "job "+name)
	ev.detail = checksDetail(req)
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	out := toJob(ws.Name, v)
	out.Warnings = warnings
	writeJSON(w, http.StatusOK, out)
	return nil
}

func checksDetail(req release.ChecksRequest) string {
	names := make([]string, 0, len(req.Checks))
	for _, c := range req.Checks {
		names = append(names, c.Name+" ("+string(c.When)+")")
	}
	d := "checks: none"
	if len(names) > 0 {
		d = "checks: " + strings.Join(names, ", ")
	}
	if req.PromoteWhenChecksPass {
		d += "; promote when checks pass"
	}
	return d
}

// getJob shows a job: status, versions with their marks.
func (a *API) getJob(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.JobView)
	if err != nil {
		return err
	}
	v, err := a.Jobs.Get(r.Context(), ws, r.PathValue("job"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toJob(ws.Name, v))
	return nil
}

type operateRequest struct {
	Images   map[string]string `json:"images"`   // deploy
	Revision int               `json:"revision"` // rollback; 0: the previous one
	Full     bool              `json:"full"`     // promote: skip remaining pauses and analysis
	IfPhase  string            `json:"if_phase"` // refuse (409) if the job is no longer in this phase
}

// operate returns the handler of one job operation.
func (a *API) operate(action access.Action, op string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		var req operateRequest
		if r.ContentLength != 0 {
			if err := decode(r, &req); err != nil {
				return err
			}
		}
		name := r.PathValue("job")
		ws, err := a.workspace(r, p, action)
		if err == nil && req.IfPhase != "" && !knownPhase(req.IfPhase) {
			err = invalid("if_phase", "must be one of "+phaseList())
		}
		if err == nil && req.Revision < 0 {
			err = invalid("revision", "must be 0 (the previous revision) or a revision number")
		}
		kind := op
		if op == release.OpPromote && req.Full {
			kind = release.OpPromoteFull
		}
		var v release.View
		if err == nil {
			switched := a.timeSwitch(r, ws, name, kind)
			v, err = a.Jobs.Operate(r.Context(), ws, name, kind, release.OperateRequest{Images: req.Images, Revision: req.Revision, IfPhase: release.Phase(req.IfPhase)})
			switched(err)
		}
		a.Metrics.operation(kind, err)
		ev := wsEvent(p, ws, "job."+kind, "job "+name)
		ev.detail = operationDetail(kind, req)
		if err := a.record(r.Context(), ev, err); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, toJob(ws.Name, v))
		return nil
	}
}

func operationDetail(op string, req operateRequest) string {
	switch op {
	case release.OpDeploy:
		var parts []string
		for c, img := range req.Images {
			parts = append(parts, c+"="+img)
		}
		sort.Strings(parts)
		return "images " + strings.Join(parts, ", ")
	case release.OpRollback:
		if req.Revision == 0 {
			return "to the previous revision"
		}
		return "to revision " + strconv.Itoa(req.Revision)
	}
	return ""
}

// deleteJob hands the application back as a plain Deployment + Service;
// ?force=true deletes even while a release is in flight.
func (a *API) deleteJob(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return invalid("force", "must be true or false")
		}
		force = b
	}
	name := r.PathValue("job")
	ws, err := a.workspace(r, p, access.JobDelete)
	var v release.View
	if err == nil {
		v, err = a.Jobs.Delete(r.Context(), ws, name, force)
	}
	a.Metrics.operation("delete", err)
	ev := wsEvent(p, ws, "job.delete", "job "+name)
	if force {
		ev.detail = "forced"
	}
	if err := a.record(r.Context(), ev, err); err != nil {
		return err
	}
	code := http.StatusOK
	if v.Job.State == store.JobDeleting {
		code = http.StatusAccepted // the background loop finishes it
	}
	writeJSON(w, code, toJob(ws.Name, v))
	return nil
}

// timelineEntry is one line of a job's timeline: a Switchyard audit entry or
// a Kubernetes event of its Rollout.
type timelineEntry struct {
	Time    time.Time `json:"time"`
	Source  string    `json:"source"` // "switchyard" or "kubernetes"
	Actor   string    `json:"actor,omitempty"`
	Action  string    `json:"action"` // audit action, or the event's reason
	Outcome string    `json:"outcome,omitempty"`
	Message string    `json:"message"`
	Type    string    `json:"type,omitempty"` // Kubernetes event type: Normal or Warning
}

// jobTimeline merges the job's audit entries with its Rollout's events, newest first.
func (a *API) jobTimeline(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ws, err := a.workspace(r, p, access.JobView)
	if err != nil {
		return err
	}
	v, err := a.Jobs.Get(r.Context(), ws, r.PathValue("job"))
	if err != nil {
		return err
	}
	entries, err := a.jobAudit(r, ws, v.Job)
	if err != nil {
		return err
	}
	entries = append(entries, a.rolloutEvents(r, v.Job)...)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Time.After(entries[j].Time) })
	writeJSON(w, http.StatusOK, list[timelineEntry]{Items: entries})
	return nil
}

func (a *API) jobAudit(r *http.Request, ws store.Workspace, job store.Job) ([]timelineEntry, error) {
	evs, err := a.Store.ListAudit(r.Context(), store.AuditFilter{WorkspaceID: &ws.ID, Target: "job " + job.Name, Limit: store.MaxAuditLimit})
	if err != nil {
		return nil, err
	}
	out := []timelineEntry{}
	for _, e := range evs {
		if e.Time.Before(job.CreatedAt.Add(-time.Minute)) {
			continue // an earlier job of the same name
		}
		out = append(out, timelineEntry{Time: e.Time, Source: "switchyard", Actor: e.Actor, Action: e.Action, Outcome: e.Outcome, Message: e.Detail})
	}
	return out, nil
}

// rolloutEvents reads the Rollout's events from the cluster's cache; an
// unreachable cluster just contributes none.
func (a *API) rolloutEvents(r *http.Request, job store.Job) []timelineEntry {
	out := []timelineEntry{}
	if a.Clusters == nil {
		return out
	}
	conn, err := a.Clusters.Conn(r.Context(), job.ClusterID)
	if err != nil {
		return out
	}
	evs, err := conn.Listers.Events.Events(job.Namespace).List(labels.Everything())
	if err != nil {
		return out
	}
	for _, e := range evs {
		if e.InvolvedObject.Kind != "Rollout" || e.InvolvedObject.Name != job.Name || eventTime(e).Before(job.CreatedAt.Add(-time.Minute)) {
			continue
		}
		out = append(out, timelineEntry{Time: eventTime(e), Source: "kubernetes", Action: e.Reason, Message: e.Message, Type: e.Type})
	}
	return out
}

func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.UTC()
	case !e.EventTime.IsZero():
		return e.EventTime.UTC()
	}
	return e.CreationTimestamp.UTC()
}

// refuseLiveJobs answers 409 in_use, naming them, when the filter selects
// jobs that are not deleted: a workspace, cluster or binding they depend on
// can't go before they do (each is handed back with job delete first).
func (a *API) refuseLiveJobs(ctx context.Context, f store.JobFilter, what string) error {
	f.Limit, f.Sort = 5, "name"
	jobs, total, err := a.Store.ListJobs(ctx, f)
	if err != nil || total == 0 {
		return err
	}
	names := make([]string, len(jobs))
	for i, j := range jobs {
		names[i] = j.Name
	}
	if total > len(jobs) {
		names = append(names, fmt.Sprintf("and %d more", total-len(jobs)))
	}
	return &Error{Status: http.StatusConflict, Code: "in_use",
		Message: fmt.Sprintf("%s still has %d release job(s) (%s): delete them first", what, total, strings.Join(names, ", "))}
}
