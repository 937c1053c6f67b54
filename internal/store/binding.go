package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Binding grants a workspace the right to deploy into one namespace of a
// cluster.
type Binding struct {
	ID          int64
	WorkspaceID int64
	ClusterID   int64
	ClusterName string // read from clusters; ignored by CreateBinding
	Namespace   string
	CreatedAt   time.Time
}

const bindingSelect = "SELECT b.id, b.workspace_id, b.cluster_id, c.name, b.namespace, b.created_at" +
	" FROM bindings b JOIN clusters c ON c.id = b.cluster_id"

func scanBinding(r rowScanner) (Binding, error) {
	var b Binding
	err := r.Scan(&b.ID, &b.WorkspaceID, &b.ClusterID, &b.ClusterName, &b.Namespace, &b.CreatedAt)
	b.CreatedAt = b.CreatedAt.UTC()
	return b, err
}

// CreateBinding binds a namespace of a cluster to a workspace and returns
// the stored binding. The same (workspace, cluster, namespace) twice is a
// *ConflictError; a missing workspace or cluster is a *NotFoundError.
func (s *Store) CreateBinding(ctx context.Context, b Binding) (Binding, error) {
	if err := required("namespace", b.Namespace); err != nil {
		return Binding{}, fmt.Errorf("create binding: %w", err)
	}
	var id int64
	err := s.queryRow(ctx,
		"INSERT INTO bindings (workspace_id, cluster_id, namespace, created_at) VALUES (?, ?, ?, ?) RETURNING id",
		b.WorkspaceID, b.ClusterID, b.Namespace, dbTime(s.now())).Scan(&id)
	if err != nil {
		err = s.constraint(err,
			conflict("binding", fmt.Sprintf("of cluster %d namespace %q", b.ClusterID, b.Namespace)),
			notFound("workspace or cluster", fmt.Sprintf("%d/%d", b.WorkspaceID, b.ClusterID)))
		return Binding{}, fmt.Errorf("create binding in workspace %d: %w", b.WorkspaceID, err)
	}
	return s.GetBinding(ctx, b.WorkspaceID, id)
}

// GetBinding returns one of the workspace's bindings.
func (s *Store) GetBinding(ctx context.Context, workspaceID, id int64) (Binding, error) {
	b, err := scanBinding(s.queryRow(ctx, bindingSelect+" WHERE b.workspace_id = ? AND b.id = ?", workspaceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Binding{}, notFound("binding", fmt.Sprintf("%d of workspace %d", id, workspaceID))
	}
	if err != nil {
		return Binding{}, fmt.Errorf("get binding %d of workspace %d: %w", id, workspaceID, err)
	}
	return b, nil
}

// ListBindings returns the workspace's bindings ordered by cluster name and
// namespace.
func (s *Store) ListBindings(ctx context.Context, workspaceID int64) ([]Binding, error) {
	rows, err := s.query(ctx, bindingSelect+" WHERE b.workspace_id = ? ORDER BY c.name, b.namespace", workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list bindings of workspace %d: %w", workspaceID, err)
	}
	bs, err := scanAll(rows, scanBinding)
	if err != nil {
		return nil, fmt.Errorf("list bindings of workspace %d: %w", workspaceID, err)
	}
	return bs, nil
}

// DeleteBinding removes one of the workspace's bindings; a binding of another
// workspace is not found.
func (s *Store) DeleteBinding(ctx context.Context, workspaceID, id int64) error {
	err := s.execOne(ctx, notFound("binding", fmt.Sprintf("%d of workspace %d", id, workspaceID)),
		"DELETE FROM bindings WHERE workspace_id = ? AND id = ?", workspaceID, id)
	if err != nil {
		return fmt.Errorf("delete binding %d of workspace %d: %w", id, workspaceID, err)
	}
	return nil
}

// HasBinding reports whether the workspace may deploy into the namespace of
// the cluster.
func (s *Store) HasBinding(ctx context.Context, workspaceID, clusterID int64, namespace string) (bool, error) {
	var n int
	err := s.queryRow(ctx,
		"SELECT COUNT(*) FROM bindings WHERE workspace_id = ? AND cluster_id = ? AND namespace = ?",
		workspaceID, clusterID, namespace).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check binding of workspace %d to cluster %d namespace %q: %w", workspaceID, clusterID, namespace, err)
	}
	return n > 0, nil
}
