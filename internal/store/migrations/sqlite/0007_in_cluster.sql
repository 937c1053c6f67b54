-- A cluster registered with switchyard serve --in-cluster NAME is the cluster the
-- server runs in, reached through the pod's ServiceAccount (client-go's in-cluster
-- config): it has no sealed kubeconfig, nothing secret is stored for it (SQLite).
-- Keep in step with ../postgres/0007_in_cluster.sql. FALSE for every cluster
-- registered before this migration.
ALTER TABLE clusters ADD COLUMN in_cluster BOOLEAN NOT NULL DEFAULT FALSE;
