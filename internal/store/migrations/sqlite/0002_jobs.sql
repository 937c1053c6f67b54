-- Blue-green release jobs (SQLite). Keep in step with ../postgres/0002_jobs.sql.
-- A job is live until state 'deleted'; the record is kept for the audit trail.
-- A name is unique among a workspace's live jobs and, as the Rollout's name,
-- among the live jobs of a cluster namespace.
CREATE TABLE jobs (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	cluster_id INTEGER NOT NULL,
	cluster_name TEXT NOT NULL,
	namespace TEXT NOT NULL,
	deployment TEXT NOT NULL,
	service TEXT NOT NULL,
	scale_down_delay_seconds INTEGER,
	auto_promotion_seconds INTEGER,
	preview_replica_count INTEGER,
	state TEXT NOT NULL CHECK (state IN ('creating', 'active', 'deleting', 'deleted')),
	force_delete BOOLEAN NOT NULL DEFAULT FALSE,
	created_by TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	deleted_at TIMESTAMP,
	last_phase TEXT NOT NULL DEFAULT '',
	last_message TEXT NOT NULL DEFAULT '',
	last_images TEXT NOT NULL DEFAULT '',
	observed_at TIMESTAMP,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until TIMESTAMP
);
CREATE UNIQUE INDEX jobs_workspace_name ON jobs (workspace_id, name) WHERE state <> 'deleted';
CREATE UNIQUE INDEX jobs_cluster_namespace_name ON jobs (cluster_id, namespace, name) WHERE state <> 'deleted';
CREATE INDEX jobs_state ON jobs (state);
