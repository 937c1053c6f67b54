-- Accounts can be disabled (SQLite). Keep in step with ../postgres/0009_user_disabled.sql.
-- NULL means enabled, as every user made before this migration; a nullable
-- column keeps the previous release working (it ignores it).
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
