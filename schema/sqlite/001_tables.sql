-- hsinstall hook store, version 1: the tables of the first release (tokens in clear).
CREATE TABLE IF NOT EXISTS hsinstall_states (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS hsinstall_codes (code_hash TEXT PRIMARY KEY, outcome TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hsinstall_installs (
  portal_id INTEGER PRIMARY KEY, user_id INTEGER, hub_domain TEXT, scopes TEXT NOT NULL,
  access_token TEXT NOT NULL, refresh_token TEXT NOT NULL, expires_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hsinstall_attempts (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, portal_id INTEGER, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS hsinstall_attempts_at ON hsinstall_attempts (at);
CREATE TABLE IF NOT EXISTS hsinstall_refresh_locks (portal_id INTEGER PRIMARY KEY, holder TEXT NOT NULL, until INTEGER NOT NULL);
