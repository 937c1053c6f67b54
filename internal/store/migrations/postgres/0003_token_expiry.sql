-- API tokens may expire (PostgreSQL). Keep in step with ../sqlite/0003_token_expiry.sql.
-- NULL means the token never expires, as every token made before this
-- migration. A nullable column keeps the previous release working.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
