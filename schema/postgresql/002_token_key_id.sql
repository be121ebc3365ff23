-- Version 2: tokens encrypted at rest (see sqlite/002_token_key_id.sql).
ALTER TABLE hsinstall_installs ADD COLUMN IF NOT EXISTS key_id TEXT;
