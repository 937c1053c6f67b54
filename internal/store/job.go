package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Job states: where a job is in its own life (not its release's phase, which
// is read from the cluster).
const (
	JobCreating = "creating" // recorded; the objects in the cluster may be half made
	JobActive   = "active"   // made; operations allowed
	JobDeleting = "deleting" // being handed back as a plain Deployment + Service
	JobDeleted  = "deleted"  // gone from the cluster; kept for the audit trail
)

// Job is a blue-green release job as stored. Where it is in the cluster is
// read live; LastPhase/LastMessage/ObservedAt keep the last known status, shown
// with its age when the cluster can't be reached.
type Job struct {
	ID                    int64
	WorkspaceID           int64
	Name                  string
	ClusterID             int64
	ClusterName           string
	Namespace             string
	Deployment            string
	Service               string
	ScaleDownDelaySeconds *int32
	AutoPromotionSeconds  *int32
	PreviewReplicaCount   *int32
	// Checks is the job's checks as JSON (a list of internal/checks.Check;
	// "[]" for none); PromoteWhenChecksPass lets Argo promote once the checks
	// before the switch pass.
	Checks                string
	PromoteWhenChecksPass bool
	State                 string
	ForceDelete           bool
	CreatedBy             string
	CreatedAt             time.Time
	UpdatedAt             time.Time
	DeletedAt             *time.Time
	LastPhase             string
	LastMessage           string
	LastImages            string // images of the active version, comma-separated
	ObservedAt            *time.Time
}

// JobFilter selects and orders jobs for ListJobs.
type JobFilter struct {
	WorkspaceID  *int64
	ClusterID    int64  // 0: any
	Cluster      string // cluster name, exact
	Namespace    string // exact
	NameContains string // case-insensitive substring
	Phase        string // last known phase (last_phase), exact
	// Stale lists clusters that can't be read now: with Phase, their jobs
	// count as being in phase StalePhase, whatever their last_phase says.
	Stale          []int64
	StalePhase     string
	States         []string
	IncludeDeleted bool   // without States: also deleted jobs
	Sort           string // name, created, cluster, namespace; "-" prefix for descending
	Limit, Offset  int
}

// Sort keys ListJobs accepts, mapped to columns.
var jobSorts = map[string]string{"name": "name", "created": "created_at", "cluster": "cluster_name", "namespace": "namespace"}

// JobSortKeys lists the sort keys ListJobs accepts.
func JobSortKeys() []string { return []string{"name", "created", "cluster", "namespace"} }

const jobColumns = "id, workspace_id, name, cluster_id, cluster_name, namespace, deployment, service," +
	" scale_down_delay_seconds, auto_promotion_seconds, preview_replica_count, state, force_delete, created_by," +
	" created_at, updated_at, deleted_at, last_phase, last_message, last_images, observed_at, checks, promote_when_checks_pass"

func scanJob(r rowScanner) (Job, error) {
	var j Job
	var sdd, aps, prc sql.Null[int32]
	var deleted, observed sql.Null[time.Time]
	err := r.Scan(&j.ID, &j.WorkspaceID, &j.Name, &j.ClusterID, &j.ClusterName, &j.Namespace, &j.Deployment, &j.Service,
		&sdd, &aps, &prc, &j.State, &j.ForceDelete, &j.CreatedBy,
		&j.CreatedAt, &j.UpdatedAt, &deleted, &j.LastPhase, &j.LastMessage, &j.LastImages, &observed, &j.Checks, &j.PromoteWhenChecksPass)
	j.ScaleDownDelaySeconds, j.AutoPromotionSeconds, j.PreviewReplicaCount = int32Ptr(sdd), int32Ptr(aps), int32Ptr(prc)
	j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	j.DeletedAt, j.ObservedAt = timePtr(deleted), timePtr(observed)
	return j, err
}

func int32Ptr(v sql.Null[int32]) *int32 {
	if !v.Valid {
		return nil
	}
	return &v.V
}

func nullInt32(v *int32) sql.Null[int32] {
	if v == nil {
		return sql.Null[int32]{}
	}
	return sql.Null[int32]{V: *v, Valid: true}
}

// CreateJob records a new job in state creating. A live job with the same name
// in the workspace or in the cluster namespace, or with the same Deployment or
// Service in the cluster namespace, is a *ConflictError (with Field set for
// the Deployment or Service).
func (s *Store) CreateJob(ctx context.Context, j Job) (Job, error) {
	if err := errors.Join(required("name", j.Name), required("namespace", j.Namespace),
		required("deployment", j.Deployment), required("service", j.Service)); err != nil {
		return Job{}, fmt.Errorf("create job: %w", err)
	}
	now := dbTime(s.now())
	var id int64
	err := s.queryRow(ctx, "INSERT INTO jobs (workspace_id, name, cluster_id, cluster_name, namespace, deployment, service,"+
		" scale_down_delay_seconds, auto_promotion_seconds, preview_replica_count, state, created_by, created_at, updated_at,"+
		" checks, promote_when_checks_pass)"+
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		j.WorkspaceID, j.Name, j.ClusterID, j.ClusterName, j.Namespace, j.Deployment, j.Service,
		nullInt32(j.ScaleDownDelaySeconds), nullInt32(j.AutoPromotionSeconds), nullInt32(j.PreviewReplicaCount),
		JobCreating, j.CreatedBy, now, now, orEmptyList(j.Checks), j.PromoteWhenChecksPass).Scan(&id)
	if err != nil {
		err = s.constraint(err, s.jobClash(ctx, j), notFound("workspace", j.WorkspaceID))
		return Job{}, fmt.Errorf("create job %q: %w", j.Name, err)
	}
	return s.GetJob(ctx, id)
}

// jobClash says which unique key of a live job j collided with: the
// Deployment or Service of its cluster namespace (another job targets it),
// else the name.
func (s *Store) jobClash(ctx context.Context, j Job) error {
	for _, c := range []struct{ field, value string }{{"deployment", j.Deployment}, {"service", j.Service}} {
		var holder string
		err := s.queryRow(ctx, "SELECT name FROM jobs WHERE cluster_id = ? AND namespace = ? AND "+c.field+" = ? AND state <> ?",
			j.ClusterID, j.Namespace, c.value, JobDeleted).Scan(&holder)
		if err == nil {
			return &ConflictError{Resource: "job", Key: fmt.Sprintf("%q", c.value), Field: c.field, Holder: holder}
		}
	}
	return conflict("job", fmt.Sprintf("%q", j.Name))
}

// GetJob returns a job by ID, deleted or not.
func (s *Store) GetJob(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(s.queryRow(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, notFound("job", id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("get job %d: %w", id, err)
	}
	return j, nil
}

// GetJobByName returns the workspace's live job with that name.
func (s *Store) GetJobByName(ctx context.Context, workspaceID int64, name string) (Job, error) {
	j, err := scanJob(s.queryRow(ctx, "SELECT "+jobColumns+" FROM jobs WHERE workspace_id = ? AND name = ? AND state <> ?",
		workspaceID, name, JobDeleted))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, notFound("job", fmt.Sprintf("%q", name))
	}
	if err != nil {
		return Job{}, fmt.Errorf("get job %q: %w", name, err)
	}
	return j, nil
}

// ListJobs returns the jobs the filter selects, and how many there are in all
// (for paging). Unknown sort keys are a *ValidationError on "sort".
func (s *Store) ListJobs(ctx context.Context, f JobFilter) ([]Job, int, error) {
	where, args := jobWhere(f)
	order, err := jobOrder(f.Sort)
	if err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	var total int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM jobs"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count jobs: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.query(ctx, "SELECT "+jobColumns+" FROM jobs"+where+order+" LIMIT ? OFFSET ?", append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	js, err := scanAll(rows, scanJob)
	if err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	return js, total, nil
}

func jobWhere(f JobFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) { conds = append(conds, cond); args = append(args, arg) }
	if f.WorkspaceID != nil {
		add("workspace_id = ?", *f.WorkspaceID)
	}
	if f.ClusterID != 0 {
		add("cluster_id = ?", f.ClusterID)
	}
	if f.Cluster != "" {
		add("cluster_name = ?", f.Cluster)
	}
	if f.Namespace != "" {
		add("namespace = ?", f.Namespace)
	}
	if f.NameContains != "" {
		add("LOWER(name) LIKE ?", "%"+strings.ToLower(likeEscape(f.NameContains))+"%")
		conds[len(conds)-1] += ` ESCAPE '\'`
	}
	if f.Phase != "" {
		switch stale := idList(len(f.Stale)); {
		case stale == "":
			add("last_phase = ?", f.Phase)
		case f.Phase == f.StalePhase:
			add("(last_phase = ? OR cluster_id IN ("+stale+"))", f.Phase)
		default:
			add("last_phase = ? AND cluster_id NOT IN ("+stale+")", f.Phase)
		}
		for _, id := range f.Stale {
			args = append(args, id)
		}
	}
	switch {
	case len(f.States) > 0:
		conds = append(conds, "state IN ("+idList(len(f.States))+")")
		for _, st := range f.States {
			args = append(args, st)
		}
	case !f.IncludeDeleted:
		add("state <> ?", JobDeleted)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// idList is n comma-separated placeholders.
func idList(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// JobClusters returns the IDs of the clusters of the jobs the filter
// selects (its sort and paging aside), in ascending order.
func (s *Store) JobClusters(ctx context.Context, f JobFilter) ([]int64, error) {
	where, args := jobWhere(f)
	rows, err := s.query(ctx, "SELECT DISTINCT cluster_id FROM jobs"+where+" ORDER BY cluster_id", args...)
	if err != nil {
		return nil, fmt.Errorf("list clusters of jobs: %w", err)
	}
	ids, err := scanAll(rows, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("list clusters of jobs: %w", err)
	}
	return ids, nil
}

// TouchJobs records that the last known status of these jobs still held at
// at: one write for a page of jobs whose status did not change.
func (s *Store) TouchJobs(ctx context.Context, ids []int64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{dbTime(at)}
	for _, id := range ids {
		args = append(args, id)
	}
	if _, err := s.exec(ctx, "UPDATE jobs SET observed_at = ? WHERE id IN ("+idList(len(ids))+")", args...); err != nil {
		return fmt.Errorf("record status of %d jobs: %w", len(ids), err)
	}
	return nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func jobOrder(sort string) (string, error) {
	if sort == "" {
		sort = "-created"
	}
	dir := " ASC"
	key := sort
	if strings.HasPrefix(sort, "-") {
		dir, key = " DESC", sort[1:]
	}
	col, ok := jobSorts[key]
	if !ok {
		return "", &ValidationError{Field: "sort", Problem: "must be one of name, created, cluster, namespace (prefix - for descending)"}
	}
	return " ORDER BY " + col + dir + ", id" + dir, nil
}

// SetJobState moves a job from one state to another, atomically: if the job
// is no longer in state from (another request or replica moved it), it is a
// *ConflictError and nothing changes. Moving to deleted stamps DeletedAt. The
// job's lease is left alone: its holder is usually the one moving it.
func (s *Store) SetJobState(ctx context.Context, id int64, from, to string, force bool) error {
	now := dbTime(s.now())
	var deleted sql.Null[time.Time]
	if to == JobDeleted {
		deleted = sql.Null[time.Time]{V: now, Valid: true}
	}
	err := s.execOne(ctx, conflict("job state", fmt.Sprintf("%d is no longer %s", id, from)),
		"UPDATE jobs SET state = ?, force_delete = ?, updated_at = ?, deleted_at = ? WHERE id = ? AND state = ?",
		to, force, now, deleted, id, from)
	if err != nil {
		return fmt.Errorf("move job %d from %s to %s: %w", id, from, to, err)
	}
	return nil
}

// SetJobChecks replaces a live job's checks (JSON) and its promote-when-checks-pass option.
func (s *Store) SetJobChecks(ctx context.Context, id int64, checks string, promoteWhenPass bool) error {
	err := s.execOne(ctx, notFound("job", id),
		"UPDATE jobs SET checks = ?, promote_when_checks_pass = ?, updated_at = ? WHERE id = ? AND state <> ?",
		orEmptyList(checks), promoteWhenPass, dbTime(s.now()), id, JobDeleted)
	if err != nil {
		return fmt.Errorf("set checks of job %d: %w", id, err)
	}
	return nil
}

func orEmptyList(js string) string {
	if js == "" {
		return "[]"
	}
	return js
}

// ObserveJob records the job's last known status.
func (s *Store) ObserveJob(ctx context.Context, id int64, phase, message, images string, at time.Time) error {
	err := s.execOne(ctx, notFound("job", id),
		"UPDATE jobs SET last_phase = ?, last_message = ?, last_images = ?, observed_at = ? WHERE id = ?",
		phase, message, images, dbTime(at), id)
	if err != nil {
		return fmt.Errorf("record status of job %d: %w", id, err)
	}
	return nil
}

// ClaimJob takes a lease on a job for background work (finishing a creation
// or a deletion) until now+ttl. It succeeds only if no other owner holds an
// unexpired lease, so with several replicas on one database each job is
// worked on by one of them at a time. It reports whether the claim was won.
func (s *Store) ClaimJob(ctx context.Context, id int64, owner string, ttl time.Duration) (bool, error) {
	now := dbTime(s.now())
	res, err := s.exec(ctx, "UPDATE jobs SET lease_owner = ?, lease_until = ?"+
		" WHERE id = ? AND (lease_owner = '' OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)",
		owner, now.Add(ttl), id, owner, now)
	if err != nil {
		return false, fmt.Errorf("claim job %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim job %d: %w", id, err)
	}
	return n == 1, nil
}

// ReleaseJob gives up owner's lease on a job.
func (s *Store) ReleaseJob(ctx context.Context, id int64, owner string) error {
	_, err := s.exec(ctx, "UPDATE jobs SET lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ?", id, owner)
	if err != nil {
		return fmt.Errorf("release job %d: %w", id, err)
	}
	return nil
}
