-- Indexes for the job list's filters and sorts (sqlite; keep in step with
-- ../postgres/0012_job_list_indexes.sql): a first page of any of them, phase
-- included (last_phase is kept current from the clusters' informers), reads
-- an index range instead of every job of the workspace.
CREATE INDEX jobs_workspace_created ON jobs (workspace_id, created_at, id);
CREATE INDEX jobs_workspace_phase ON jobs (workspace_id, last_phase, created_at, id);
CREATE INDEX jobs_workspace_cluster ON jobs (workspace_id, cluster_name, id);
CREATE INDEX jobs_workspace_namespace ON jobs (workspace_id, namespace, id);
CREATE INDEX jobs_cluster_namespace_state ON jobs (cluster_id, namespace, state);
