-- hsinstall hook store, version 1: the tables of the first release, as PostgreSQL types.
CREATE TABLE IF NOT EXISTS hsinstall_states (nonce TEXT PRIMARY KEY, expires_at BIGINT NOT NULL, used_at BIGINT);
CREATE TABLE IF NOT EXISTS hsinstall_codes (code_hash TEXT PRIMARY KEY, outcome TEXT NOT NULL, at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS hsinstall_installs (
  portal_id BIGINT PRIMARY KEY, user_id BIGINT, hub_domain TEXT, scopes TEXT NOT NULL,
  access_token TEXT NOT NULL, refresh_token TEXT NOT NULL, expires_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS hsinstall_attempts (
  id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, portal_id BIGINT, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS hsinstall_attempts_at ON hsinstall_attempts (at);
CREATE TABLE IF NOT EXISTS hsinstall_refresh_locks (portal_id BIGINT PRIMARY KEY, holder TEXT NOT NULL, until BIGINT NOT NULL);
