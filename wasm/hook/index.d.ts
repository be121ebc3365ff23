// Types of hsinstall/hook (wasm/hook/index.js): the token-exchange hook for Node,
// following docs/hook.md. Answers to the page use the contract's snake_case keys;
// options and store records are camelCase.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Diagnostic, ScopeComparison } from '../index.js';

/** A missing or invalid setting, raised at start; `setting` names the variable (or option). */
export class HookConfigError extends Error {
  name: 'HookConfigError';
  setting: string;
}

/** A failed hook or store call: `code` is the core's diagnostic code or the hook's own (hook.store_unavailable, hook.store_corrupt, ...). */
export class HookError extends Error {
  name: 'HookError';
  /** hook.not_installed, hook.refresh_busy, hook.network_error, hook.store_unavailable, hook.store_corrupt, token.bad_refresh_token, ... */
  code: string;
  retryable: boolean;
  diagnostics?: Diagnostic[];
}

/** The environment variable of each setting (`<NAME>_FILE` reads the value from a file). */
export const ENV: Readonly<{
  clientId: 'HSINSTALL_CLIENT_ID';
  clientSecret: 'HSINSTALL_CLIENT_SECRET';
  stateKey: 'HSINSTALL_STATE_KEY';
  appConfig: 'HSINSTALL_APP_CONFIG';
  redirectUri: 'HSINSTALL_REDIRECT_URI';
  apiBase: 'HSINSTALL_API_BASE';
  returnOrigins: 'HSINSTALL_RETURN_ORIGINS';
  store: 'HSINSTALL_STORE';
  tokenKey: 'HSINSTALL_TOKEN_KEY';
}>;
/** sqlite:///./hsinstall.db */
export const DEFAULT_STORE: string;

// ---- tokens at rest ----

/** The keys that seal tokens at rest (HSINSTALL_TOKEN_KEY): the first seals, the others only open. */
export class KeyRing {
  /** The keys' ids, the sealing key's first. */
  readonly ids: string[];
  /** The id of the key that seals. */
  readonly sealId: string;
  /** The setting the keys came from (named in errors). */
  readonly setting: string;
  has(id: string): boolean;
  /** `v1.<key id>.<nonce>.<ciphertext||tag>` for `column` of `portalId`. */
  seal(column: 'access_token' | 'refresh_token', portalId: number, text: string): string;
  /** The sealed text; a HookError hook.store_corrupt when it does not open. */
  open(column: 'access_token' | 'refresh_token', portalId: number, sealed: string): string;
}
/** A key ring from HSINSTALL_TOKEN_KEY's text (32-byte keys as 64 hex or 43/44 base64/base64url characters, separated by spaces or commas), or from keys. Throws HookConfigError naming `setting`. */
export function parseKeyRing(value: string | Array<string | Uint8Array> | Uint8Array | KeyRing, setting?: string): KeyRing;
/** A key's id: the first 16 hex characters of HMAC-SHA256(key, "hsinstall token key id"). */
export function keyId(key: Uint8Array): string;

// ---- answers ----

export interface Installed {
  ok: true;
  portal_id: number;
  granted_scopes: string[];
  missing_optional_scopes: string[];
}
export interface Failed {
  ok: false;
  /** The core's diagnostic code (state.expired, token.bad_auth_code, redirect.unregistered, ...) or hook.* / grant.*. */
  code: string;
  message: string;
  retryable: boolean;
}
/** What an exchange answers: the HTTP status and the JSON body for the page (never a token). */
export interface Outcome {
  status: number;
  body: Installed | Failed;
}

export interface ExchangeInput {
  code: string;
  /** The state POST /state issued; absent only for a marketplace finalize. */
  state?: string | null;
  /** Exactly one of the app's redirect URLs; default: the hook's (HSINSTALL_REDIRECT_URI, or the config's first). */
  redirect_uri?: string;
  redirectUri?: string;
}

// ---- the store ----

export interface InstallRecord {
  portalId: number;
  userId: number | null;
  hubDomain: string | null;
  scopes: string[];
  accessToken: string;
  refreshToken: string;
  /** Unix seconds. */
  expiresAt: number;
  updatedAt: number;
}
export interface TokenRecord {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  updatedAt: number;
}
export interface Attempt {
  /** Unix seconds. */
  at: number;
  /** installed, failed, replayed or redirected. */
  outcome: string;
  /** installed, or the failure's code. */
  reason: string;
  portalId: number | null;
  detail: string;
}
type Maybe<T> = T | Promise<T>;
/**
 * Where the hook keeps states, codes, installs and attempts ("through a callback the site
 * supplies"). Each call must be atomic in the database, which, not process memory,
 * enforces single-use state, one exchange per code and one refresh per portal at a time.
 * sqliteStore() is the reference implementation (wasm/hook/store.js documents each method).
 */
export interface Store {
  saveState(nonce: string, expiresAt: number): Maybe<void>;
  /** One transaction: the code known -> replayed (outcome null while pending); else the nonce consumed or state_replayed; then the code recorded as pending. */
  beginExchange(nonce: string | null, codeHash: string, now: number): Maybe<{ verdict: 'new' | 'replayed' | 'state_replayed'; outcome: string | null }>;
  /** The stored outcome (JSON of {status, body}); null while pending or unknown. */
  getCodeOutcome(codeHash: string): Maybe<string | null>;
  /** One transaction: the code's outcome (codeHash may be null), the install (may be null), the attempt. */
  finishExchange(codeHash: string | null, outcome: string, attempt: Attempt, install: InstallRecord | null): Maybe<void>;
  appendAttempt(attempt: Attempt): Maybe<void>;
  getInstall(portalId: number): Maybe<InstallRecord | null>;
  listInstalls(): Maybe<InstallRecord[]>;
  /** At or after `since`, oldest first. */
  listAttempts(since: number): Maybe<Attempt[]>;
  /** Takes the portal's refresh lease (free, or expired before `now`) until `until`. */
  acquireRefresh(portalId: number, holder: string, until: number, now: number): Maybe<boolean>;
  releaseRefresh(portalId: number, holder: string): Maybe<void>;
  /** Stores refreshed tokens if the row still holds `oldRefreshToken`. */
  updateTokens(portalId: number, oldRefreshToken: string, tokens: TokenRecord): Maybe<boolean>;
  /** Drops states and finished codes a day past their time. */
  purge?(now: number): Maybe<void>;
  close?(): Maybe<void>;
}
/** The rows as stored (tokens sealed), for migrate-store: `?` placeholders in both dialects. */
export interface RawStore {
  dialect: 'sqlite' | 'postgresql';
  all(sql: string, params?: unknown[]): Maybe<Array<Record<string, unknown>>>;
  /** The statements in one transaction; resolves to the rows each changed. */
  batch(statements: Array<[string, unknown[]?]>): Maybe<number[]>;
}
/** A store made by this package: migrated at open, tokens sealed with `keys`. */
export interface OwnStore extends Store {
  readonly keys: KeyRing;
  readonly raw: RawStore;
  /** Re-seals every install row not sealed by the ring's first key, in batches (one transaction each); resolves to how many moved. */
  rotateKey(options?: { batch?: number }): Maybe<number>;
  close(): Maybe<void>;
}
export interface OpenStoreOptions {
  /** The key ring, or HSINSTALL_TOKEN_KEY's text (required). */
  keys: KeyRing | string | Array<string | Uint8Array>;
}
/** The SQLite store (better-sqlite3, an optional peer dependency: npm install better-sqlite3@12). Migrated at open; refuses a ring lacking a row's key id (HookConfigError). */
export function sqliteStore(path: string, options: OpenStoreOptions & { Database?: unknown; timeoutMs?: number; synchronous?: 'FULL' | 'NORMAL' | 'OFF' }): Promise<OwnStore & { db: unknown; close(): void }>;
/**
 * The PostgreSQL store (pg, an optional peer dependency: npm install pg), for any number of
 * hook processes on one database. Migrated at open. While the database cannot be reached,
 * each call rejects with a HookError hook.store_unavailable (retryable, nothing done).
 */
export function pgStore(url: string, options: OpenStoreOptions & { pg?: unknown; max?: number; connectTimeoutMs?: number; onError?: (e: Error) => void }): Promise<OwnStore & { pool: unknown; close(): Promise<void> }>;
/** Opens (and migrates) the store a sqlite:/// or postgresql:// URL names. */
export function openStoreUrl(url: string, keys: KeyRing): Promise<OwnStore>;
/** The rotate-key command: re-seals every install row of the store at `url` with the ring's first key; resolves to how many moved. */
export function rotateKey(url: string, keys: KeyRing, options?: { batch?: number }): Promise<number>;
/**
 * The migrate-store command: copies installs (still sealed; the newer updated_at wins),
 * unexpired states, codes and the attempt log from one store to another; a rerun copies
 * nothing twice. Resolves to the counts copied.
 */
export function migrateStore(fromUrl: string, toUrl: string, keys: KeyRing, options?: { now?: number }): Promise<{ installs: number; installsKept: number; states: number; codes: number; attempts: number }>;

// ---- the hook ----

export interface HookOptions {
  clientId?: string;
  clientSecret?: string;
  /** At least 32 bytes: hex or base64url text, or the bytes. */
  stateKey?: string | Uint8Array;
  /** The app config's text, parsed object or bytes (or appConfigFile: its path). */
  appConfig?: string | Record<string, unknown> | Uint8Array;
  appConfigFile?: string;
  appConfigFileName?: string;
  redirectUri?: string;
  apiBase?: string;
  returnOrigins?: string | Iterable<string>;
  /** A store of the site's own, or a sqlite:/// or postgresql:// URL. */
  store?: Store | string;
  /** The key(s) sealing tokens at rest (HSINSTALL_TOKEN_KEY); required unless `store` is an object. */
  tokenKey?: string | Array<string | Uint8Array>;
  /** Where unset settings come from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Each JSON log line (default: stderr); false: none. */
  log?: ((line: string) => void) | false;
  /** Per HTTP request to HubSpot (default 10000). */
  timeoutMs?: number;
  /** Retries of a retryable failure (default 3). */
  retries?: number;
  /** First backoff (default 500 ms; doubled each time, Retry-After honoured up to 10 s). */
  backoffMs?: number;
  /** Seconds a state stays valid (default 600). */
  stateTtl?: number;
  /** How long a replayed code waits for its first exchange (default 30000 ms). */
  replayWaitMs?: number;
  /** Serve GET /attempts.csv (default true). */
  exposeAttempts?: boolean;
  /** For node:http: the path the hook is mounted at ("/hook"); Express strips it itself. */
  basePath?: string;
  /** Unix seconds (tests). */
  now?: () => number;
  fetch?: typeof fetch;
  /** The better-sqlite3 constructor, when it is not resolvable from this package. */
  Database?: unknown;
  /** The pg module, when it is not resolvable from this package. */
  pg?: unknown;
  /** Connections in the PostgreSQL pool (default 10). */
  poolSize?: number;
  /** How long a store write after HubSpot issued tokens is retried while the store cannot be reached (default 20000 ms). */
  storeRetryMs?: number;
  /** How long getAccessToken waits for another instance's refresh of the same portal before hook.refresh_busy (default 15000 ms). */
  refreshWaitMs?: number;
  /** Where the core's .wasm comes from (see load()). */
  wasm?: unknown;
}

export type Handler = (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next?: (err?: unknown) => void) => void;

export interface Hook {
  /** POST /state, POST /exchange, GET /callback, GET /attempts.csv; other paths go to `next` (or 404). */
  handler: Handler;
  /** Never rejects for a bad request; the body is what the page may see. */
  exchange(input: ExchangeInput, options?: { marketplace?: boolean }): Promise<Outcome>;
  /** HubSpot's redirect (a full URL, a path with its query, or the query): a marketplace step=authorize gives {status: 302, location}. */
  callback(url: string): Promise<Outcome | { status: 302; location: string }>;
  /** A fresh signed state `<nonce>.<exp>.<mac>`, its nonce recorded. */
  issueState(): Promise<string>;
  /** An install URL built by the core from the app's config, with a fresh state. */
  installUrl(options?: { withScopes?: Iterable<string>; accountId?: string | number; host?: string }): Promise<{ url: string; state: string }>;
  /** The stored access token, refreshed once 75% of its lifetime has passed. */
  getAccessToken(portalId: number | string): Promise<string>;
  /** Introspects the portal's token and compares its scopes with the app's configuration. */
  checkScopes(portalId: number | string): Promise<ScopeComparison>;
  /** The stored installs without their tokens, newest first. */
  listInstalls(): Promise<Array<{ portal_id: number; user_id: number | null; hub_domain: string | null; scopes: string[]; expires_at: number; updated_at: number }>>;
  attempts(days?: number): Promise<Attempt[]>;
  /** The last `days` (30) days of attempts: at,outcome,reason,portal_id,detail. */
  attemptsCsv(days?: number): Promise<string>;
  readonly settings: Readonly<{ clientId: string; redirectUri: string; apiBase: string | undefined; returnOrigins: string[]; redirectUrls: string[]; scopes: { required: string[]; conditional: string[]; optional: string[] } }>;
  readonly store: Store;
  /** Attempts kept in memory (at most 1000) while the store could not be reached, not yet appended. */
  readonly keptAttempts: number;
  /** Appends the kept attempts now (resolves when done, or when the store is still down). */
  flushAttempts(): Promise<void>;
  close(): Promise<void>;
}

/** Resolves and checks the settings (options, else HSINSTALL_*), loads the core, opens the store. Rejects with HookConfigError. */
export function createHook(options?: HookOptions): Promise<Hook>;

// The same calls on one hook made from the environment on first use (serverless functions).
export function exchange(input: ExchangeInput, options?: { marketplace?: boolean }): Promise<Outcome>;
export function callback(url: string): Promise<Outcome | { status: 302; location: string }>;
export function issueState(): Promise<string>;
export function getAccessToken(portalId: number | string): Promise<string>;
export function attemptsCsv(days?: number): Promise<string>;
export const handler: Handler;
