-- The Argo Rollouts controller of a cluster may run with --instance-id; it then
-- reconciles only Rollouts labelled argo-rollouts.argoproj.io/controller-instance-id
-- with that value (PostgreSQL). Keep in step with ../sqlite/0004_argo_instance_id.sql.
-- Empty: the controller runs without --instance-id, as for every cluster
-- registered before this migration.
ALTER TABLE clusters ADD COLUMN argo_instance_id TEXT NOT NULL DEFAULT '';
