-- Initial schema (SQLite). Keep in step with ../postgres/0001_init.sql.
-- IDs are INTEGER PRIMARY KEY AUTOINCREMENT so a deleted row's ID is never reused.
-- Times are TIMESTAMP: the driver writes them as UTC text and parses them back.

CREATE TABLE users (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	username TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	platform_admin BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
	id TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	prefix TEXT NOT NULL,
	hash TEXT NOT NULL UNIQUE,
	created_at TIMESTAMP NOT NULL,
	last_used_at TIMESTAMP,
	revoked_at TIMESTAMP
);
-- A name is unique among a user's live tokens; a revoked token frees its name.
CREATE UNIQUE INDEX api_tokens_user_name ON api_tokens (user_id, name) WHERE revoked_at IS NULL;

CREATE TABLE workspaces (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);

CREATE TABLE members (
	workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
	created_at TIMESTAMP NOT NULL,
	PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX members_user_id ON members (user_id);

CREATE TABLE clusters (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	name TEXT NOT NULL UNIQUE,
	sealed_kubeconfig BLOB NOT NULL,
	context TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	reachable BOOLEAN NOT NULL DEFAULT FALSE,
	status_error TEXT NOT NULL DEFAULT '',
	kubernetes_version TEXT NOT NULL DEFAULT '',
	argo_installed BOOLEAN NOT NULL DEFAULT FALSE,
	argo_version TEXT NOT NULL DEFAULT '',
	istio_installed BOOLEAN NOT NULL DEFAULT FALSE,
	probed_at TIMESTAMP
);

CREATE TABLE bindings (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	cluster_id INTEGER NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
	namespace TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	UNIQUE (workspace_id, cluster_id, namespace)
);
CREATE INDEX bindings_cluster_id ON bindings (cluster_id);

-- The audit log outlives what it talks about: no foreign keys.
CREATE TABLE audit_events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	occurred_at TIMESTAMP NOT NULL,
	actor TEXT NOT NULL,
	workspace_id INTEGER,
	target TEXT NOT NULL,
	action TEXT NOT NULL,
	outcome TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_workspace_id ON audit_events (workspace_id, id);
