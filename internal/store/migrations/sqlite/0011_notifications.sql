-- Webhook notifications (sqlite; keep in step with ../postgres/0011_notifications.sql).
-- A subscription sends a workspace's job events to one URL. Its secret signs
-- the deliveries; it is sealed by the server (like kubeconfigs), never in clear.
CREATE TABLE notification_subscriptions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	url TEXT NOT NULL,
	events TEXT NOT NULL, -- comma-separated event kinds
	format TEXT NOT NULL CHECK (format IN ('json', 'slack')),
	sealed_secret BLOB NOT NULL,
	created_by TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX notification_subscriptions_workspace_id ON notification_subscriptions (workspace_id);

-- The outbox: one row per event, whichever replica saw it first. The key is
-- derived from what the cluster says (job, kind, revision, Argo's abortedAt),
-- so every replica derives the same one and the UNIQUE constraint keeps one row.
CREATE TABLE notification_events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	event_key TEXT NOT NULL UNIQUE,
	workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	job_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	payload TEXT NOT NULL, -- the generic JSON body
	created_at TIMESTAMP NOT NULL
);

-- One delivery of an event to a subscription, claimed by one replica at a
-- time with a lease; a replica that dies mid-delivery loses it when the lease ends.
CREATE TABLE notification_deliveries (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id INTEGER NOT NULL REFERENCES notification_events (id) ON DELETE CASCADE,
	subscription_id INTEGER NOT NULL REFERENCES notification_subscriptions (id) ON DELETE CASCADE,
	state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMP NOT NULL,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_until TIMESTAMP,
	UNIQUE (event_id, subscription_id)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (state, next_attempt_at);
CREATE INDEX notification_deliveries_subscription_id ON notification_deliveries (subscription_id);

-- The delivery log: the last attempts of each subscription.
CREATE TABLE notification_attempts (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	subscription_id INTEGER NOT NULL REFERENCES notification_subscriptions (id) ON DELETE CASCADE,
	delivery_id INTEGER NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
	event_kind TEXT NOT NULL,
	job_name TEXT NOT NULL,
	attempt INTEGER NOT NULL,
	status_code INTEGER NOT NULL, -- 0: no HTTP answer
	error TEXT NOT NULL,
	outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed')),
	attempted_at TIMESTAMP NOT NULL,
	duration_ms INTEGER NOT NULL
);
CREATE INDEX notification_attempts_subscription_id ON notification_attempts (subscription_id, id);
CREATE INDEX notification_attempts_delivery_id ON notification_attempts (delivery_id);
