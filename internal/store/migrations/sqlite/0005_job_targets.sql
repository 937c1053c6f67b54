-- One live job per Deployment and per Service of a cluster namespace (sqlite;
-- keep in step with ../postgres/0005_job_targets.sql). The cluster checks refuse a
-- Deployment or Service another Rollout already targets, but two creations
-- racing each other both pass them before either Rollout exists: these indexes
-- let only one of them record its job.
CREATE UNIQUE INDEX jobs_cluster_namespace_deployment ON jobs (cluster_id, namespace, deployment) WHERE state <> 'deleted';
CREATE UNIQUE INDEX jobs_cluster_namespace_service ON jobs (cluster_id, namespace, service) WHERE state <> 'deleted';
