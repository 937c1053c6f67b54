-- Indexes for the job list's filters and sorts (postgres; keep in step with
-- ../sqlite/0012_job_list_indexes.sql). A filter on the phase (last_phase
-- is kept current from the clusters' informers) is a filter on the state
-- and last_phase: each sort key has an index in that order, so a first
-- page reads 50 entries and the count reads the index alone. Without a
-- phase, the sort key's own index serves (jobs_workspace_name for names).
CREATE INDEX jobs_phase_created ON jobs (workspace_id, state, last_phase, created_at, id);
CREATE INDEX jobs_phase_name ON jobs (workspace_id, state, last_phase, name, id);
CREATE INDEX jobs_phase_cluster ON jobs (workspace_id, state, last_phase, cluster_name, id);
CREATE INDEX jobs_phase_namespace ON jobs (workspace_id, state, last_phase, namespace, id);
CREATE INDEX jobs_workspace_created ON jobs (workspace_id, created_at, id);
CREATE INDEX jobs_workspace_cluster ON jobs (workspace_id, cluster_name, id);
CREATE INDEX jobs_workspace_namespace ON jobs (workspace_id, namespace, id);
-- A cluster or namespace filter in the default order (newest first).
CREATE INDEX jobs_workspace_cluster_created ON jobs (workspace_id, cluster_name, created_at, id);
CREATE INDEX jobs_workspace_namespace_created ON jobs (workspace_id, namespace, created_at, id);
-- The count of a phase filter and the clusters of live jobs, from the index alone.
CREATE INDEX jobs_phase_cluster_id ON jobs (workspace_id, state, last_phase, cluster_id);
-- watchPhases re-reads the live jobs of one cluster namespace.
CREATE INDEX jobs_cluster_namespace_state ON jobs (cluster_id, namespace, state);
