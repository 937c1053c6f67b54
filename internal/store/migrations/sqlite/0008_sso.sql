-- Single sign-on (sqlite; keep in step with ../postgres/0008_sso.sql).
-- A user signed in through an OpenID provider is keyed by the provider's issuer and
-- the token's subject; local users have both NULL. SSO users have no password: their
-- password_hash is '' and never verifies.
ALTER TABLE users ADD COLUMN sso_issuer TEXT;
ALTER TABLE users ADD COLUMN sso_subject TEXT;
CREATE UNIQUE INDEX users_sso ON users (sso_issuer, sso_subject) WHERE sso_issuer IS NOT NULL;

-- The groups the provider gave a user at their last sign-in (replaced each time).
CREATE TABLE user_groups (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	group_name TEXT NOT NULL,
	PRIMARY KEY (user_id, group_name)
);
CREATE INDEX user_groups_group_name ON user_groups (group_name);

-- A provider group mapped to a workspace role, or (workspace NULL) to platform admin.
CREATE TABLE group_bindings (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	group_name TEXT NOT NULL,
	workspace_id INTEGER REFERENCES workspaces (id) ON DELETE CASCADE,
	role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer', 'platform-admin')),
	created_at TIMESTAMP NOT NULL,
	CHECK ((role = 'platform-admin') = (workspace_id IS NULL))
);
-- One binding per group and workspace (and one platform-admin binding per group).
CREATE UNIQUE INDEX group_bindings_group_workspace ON group_bindings (group_name, COALESCE(workspace_id, 0));
CREATE INDEX group_bindings_workspace_id ON group_bindings (workspace_id);
