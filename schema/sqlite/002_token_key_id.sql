-- Version 2: tokens encrypted at rest. access_token and refresh_token now hold the sealed
-- form (docs/hook.md, "Tokens at rest"); key_id names the key that sealed both. Rows of
-- version 1 (key_id NULL, tokens in clear) are sealed by the migration runner in the same
-- transaction, with the current key.
ALTER TABLE hsinstall_installs ADD COLUMN key_id TEXT;
