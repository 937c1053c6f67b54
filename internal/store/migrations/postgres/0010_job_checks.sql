-- A job's checks (PostgreSQL; keep in step with ../sqlite/0010_job_checks.sql):
-- the JSON list of its release gates (internal/checks.Check), which become
-- the Argo AnalysisTemplates the job owns, and whether Argo promotes on its
-- own once the checks before the switch pass. Defaults keep every job made
-- before this migration as it was (no checks, a person promotes).
ALTER TABLE jobs ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN promote_when_checks_pass BOOLEAN NOT NULL DEFAULT FALSE;
