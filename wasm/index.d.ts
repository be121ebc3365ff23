// Types of the hsinstall JS API (wasm/index.js). Values are the core's stable
// JSON shapes (hsinstall/json.hpp; the CLI's --json), so their keys are snake_case;
// options are camelCase.

/** A finding: what (a stable dotted code), where, and how to fix it. */
export interface Diagnostic {
  /** Stable and dotted: "scope.unknown", "redirect.insecure", "callback.state_mismatch", ... */
  code: string;
  severity: 'error' | 'warning' | 'note';
  /** A JSON pointer into a config file ("/config/auth/requiredScopes/2") or a URL part ("query.scope[2]"). */
  where: string;
  message: string;
  /** How to fix it; may be empty. */
  hint: string;
}

/** Warnings and notes that came with a value (errors throw instead). */
export interface WithDiagnostics {
  diagnostics: Diagnostic[];
}

/** Thrown by build*, parse*, encodeState, signState and decodeState when the core found an error. */
export class HsInstallError extends Error {
  name: 'HsInstallError';
  /** The code of the first error. */
  code: string;
  /** Every diagnostic, errors first as the core reported them, with any warnings. */
  diagnostics: Diagnostic[];
  /** parseTokenResponse / parseIntrospectionResponse only: HubSpot's error (or the unusable body) as a typed TokenError. */
  tokenError?: TokenError | null;
}

export interface LoadOptions {
  /**
   * Where the .wasm comes from. Default: `dist/hsinstall.wasm` beside this module
   * (the package export "hsinstall/hsinstall.wasm"), fetched in browsers, read from
   * disk in Node. A URL or string, a fetch Response or its promise, the bytes, or a
   * compiled WebAssembly.Module.
   */
  wasm?: string | URL | Response | PromiseLike<Response> | BufferSource | WebAssembly.Module;
}

/** Loads the module once (concurrent and later calls share one promise) and resolves to the API. A failed load can be retried. */
export function load(options?: LoadOptions): Promise<HsInstall>;
/** True once load() has resolved. Every other function throws an Error until then. */
export function isLoaded(): boolean;

// ---- scopes ----

export type ScopeStatus = 'current' | 'variant' | 'deprecated' | 'removed' | 'not_requestable';
export interface ScopeInfo {
  name: string;
  status: ScopeStatus;
  /** variant: the current spelling; deprecated or removed: the granular scopes to use. */
  replacements: string[];
  sensitivity: 'none' | 'sensitive' | 'highly_sensitive';
  /** Which accounts have access, as far as HubSpot documents it. */
  tier: string;
  /** What the scope lets an app do. */
  description: string;
}

export interface Scopes {
  /** One scope by exact (case-sensitive) name, or null. */
  lookup(name: string): ScopeInfo | null;
  /** Close requestable names for a misspelt one, best first (default at most 3). */
  suggest(name: string, options?: { max?: number }): string[];
  /** Case-insensitive search over names and descriptions; every word must match. */
  search(text: string): ScopeInfo[];
  /** Every known scope, sorted by name. */
  list(): ScopeInfo[];
}
export const scopes: Scopes;

export interface ScopeConfigInput {
  required?: Iterable<string> | string;
  conditional?: Iterable<string> | string;
  optional?: Iterable<string> | string;
  /** A marketplace app: sensitive scopes then need HubSpot's approval (a warning). */
  marketplace?: boolean;
}
/** Checks a scope configuration; every diagnostic (empty: fine). */
export function validateScopes(config: ScopeConfigInput): Diagnostic[];

// ---- app config ----

/** An app config file: its text, its raw bytes (UTF-8 is checked), or the parsed JSON object. */
export type ConfigSource = string | BufferSource | Record<string, unknown>;
export interface ConfigOptions {
  /** Base name or path ("app-hsmeta.json", "public-app.json"): picks the format; without it the content decides. */
  fileName?: string;
}
export interface AppConfig extends WithDiagnostics {
  format: 'hsmeta' | 'public_app';
  uid: string;
  name: string;
  description: string;
  distribution: 'unspecified' | 'marketplace' | 'private';
  auth_type: 'oauth' | 'static';
  redirect_urls: string[];
  scopes: { required: string[]; conditional: string[]; optional: string[] };
  permitted_urls: { fetch: string[]; iframe: string[]; img: string[] };
  support: { email: string; documentation_url: string; support_url: string; phone: string };
}
/** Parses an app config file (*-hsmeta.json or public-app.json); throws HsInstallError when it has errors. */
export function parseConfig(config: ConfigSource, options?: ConfigOptions): AppConfig;
/** Checks an app config file; every diagnostic (empty: fine). */
export function lintConfig(config: ConfigSource, options?: ConfigOptions): Diagnostic[];

// ---- redirect URIs ----

/** Checks a redirect URI (https unless localhost, absolute, no fragment, ...); with `registered`, that it is exactly one of them. */
export function validateRedirectUri(uri: string, options?: { registered?: Iterable<string> | string }): Diagnostic[];

// ---- install URLs ----

interface InstallUrlCommon {
  clientId: string;
  /** Required with explicit scopes; with a config, defaults to the app's first redirect URL. */
  redirectUri?: string;
  /** A fresh unpredictable state per install (encodeState()); without one the URL warns. */
  state?: string;
  /** "global" (default), "eu1", or a HubSpot UI host such as "app-eu1.hubspot.com". */
  host?: string;
  /** Digits: https://<host>/oauth/<accountId>/authorize. */
  accountId?: string | number;
}
export interface InstallUrlFields extends InstallUrlCommon {
  /** The required scopes (sent in `scope`). */
  scopes: Iterable<string> | string;
  /** Conditionally required scopes this URL asks for (appended to `scope`). */
  conditionalScopes?: Iterable<string> | string;
  /** Sent in `optional_scope`. */
  optionalScopes?: Iterable<string> | string;
  config?: undefined;
}
export interface InstallUrlFromConfig extends InstallUrlCommon {
  /** The app config file: scopes and redirect URLs come from it. */
  config: ConfigSource;
  configFileName?: string;
  /** Which of the app's conditionally required scopes this URL asks for (how tiered install URLs are made). */
  conditionalScopes?: Iterable<string> | string;
  scopes?: undefined;
  optionalScopes?: undefined;
}
export interface BuiltInstallUrl extends WithDiagnostics {
  url: string;
}
/** Builds an install URL; throws HsInstallError when HubSpot would reject it. */
export function buildInstallUrl(options: InstallUrlFields | InstallUrlFromConfig): BuiltInstallUrl;

export interface InstallUrl {
  host: string;
  /** "" for app.hubspot.com, "eu1" for app-eu1.hubspot.com. */
  hublet: string;
  account_id: string | null;
  client_id: string;
  redirect_uri: string;
  scopes: string[];
  optional_scopes: string[];
  state: string | null;
  /** Every other query parameter. */
  extra_params: Record<string, string>;
}
export interface InspectedInstallUrl extends InstallUrl, WithDiagnostics {}
/**
 * Reads every field of an install URL, best effort; `diagnostics` holds everything
 * HubSpot would reject (errors included). With `config`, also checks the URL against
 * the app. Throws only when that config itself has errors.
 */
export function inspectInstallUrl(url: string, options?: { config?: ConfigSource; configFileName?: string }): InspectedInstallUrl;
/** Parses an install URL; throws HsInstallError when it has errors. */
export function parseInstallUrl(url: string): InspectedInstallUrl;

// ---- callbacks ----

export interface Callback extends WithDiagnostics {
  kind: 'success' | 'marketplace_authorize' | 'marketplace_finalize';
  code: string;
  state: string | null;
  /** True when `state` matched `expectedState` (compared in constant time). */
  state_verified: boolean;
  /** marketplace_authorize: where to send the person next (a HubSpot host). */
  return_url: string;
  extra_params: Record<string, string>;
}
export interface CallbackOptions {
  /** The state this install was started with; without it the state is not verified (a warning). */
  expectedState?: string;
  /** Longest accepted parameter value, in bytes (default 2048). */
  maxValueBytes?: number;
  /**
   * Exact origins ("http://127.0.0.1:8025") also honoured as a marketplace `returnUrl`, for a
   * local HubSpot sandbox. HubSpot's own hosts always are; nothing else ever is.
   */
  extraReturnOrigins?: Iterable<string> | string;
}
/**
 * Parses HubSpot's redirect back (a full URL, or the query), checks `state`; throws
 * HsInstallError on any error, including HubSpot's own `error=` (code "callback.access_denied", ...).
 */
export function parseCallback(urlOrQuery: string, options?: CallbackOptions): Callback;

// ---- state ----

/** Bytes: a Uint8Array (or Node Buffer), another typed array or DataView, an ArrayBuffer, or an array of byte values. */
export type Bytes = BufferSource | ArrayLike<number>;
export interface EncodeStateOptions {
  /** 16 to 64 bytes from a CSPRNG; default 16 from crypto.getRandomValues. */
  random?: Bytes;
  /** Unix seconds. */
  expiresAt?: number;
}
/** A URL-safe state: "<nonce>" or "<nonce>.<expiresAt>". Throws HsInstallError on bad input. */
export function encodeState(options?: EncodeStateOptions): string;
/** Appends a MAC (the host's HMAC of decodeState(state).signed_part, at least 16 bytes) to a state with an expiry. */
export function signState(state: string, mac: Bytes): string;
export interface DecodedState extends WithDiagnostics {
  /** base64url */
  nonce: string;
  nonce_bytes: number;
  expires_at: number | null;
  signed: boolean;
  /** "<nonce>.<exp>": what the host's HMAC covers. */
  signed_part: string;
}
/** Decodes a state; throws HsInstallError when it is malformed. */
export function decodeState(state: string): DecodedState;
/** Checks a state's form, its expiry against `now` (Unix seconds; default the clock) and, with `expectedMac`, its signature. */
export function verifyState(state: string, options?: { now?: number; expectedMac?: Bytes }): Diagnostic[];

// ---- token endpoint (server side) ----

/** "v3" (default), "2026-03" (same schema) or "v1" (deprecated). */
export type TokenApi = 'v3' | '2026-03' | 'v1';
interface TokenRequestCommon {
  clientId: string;
  clientSecret: string;
  api?: TokenApi;
  /** Default https://api.hubapi.com; a sandbox may replace it (https, or http on loopback). */
  apiBase?: string;
}
export interface HttpRequest extends WithDiagnostics {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** application/x-www-form-urlencoded; the secret travels only here. */
  body: string;
}
export function buildCodeRequest(options: TokenRequestCommon & { redirectUri: string; code: string; codeVerifier?: string }): HttpRequest;
export function buildRefreshRequest(options: TokenRequestCommon & { refreshToken: string }): HttpRequest;
export function buildIntrospectionRequest(options: TokenRequestCommon & { token: string; tokenTypeHint?: 'access_token' | 'refresh_token' }): HttpRequest;
export function buildRevokeRequest(options: TokenRequestCommon & { token: string; tokenTypeHint?: 'access_token' | 'refresh_token' }): HttpRequest;

export interface Tokens extends WithDiagnostics {
  access_token: string;
  refresh_token: string;
  /** Seconds. */
  expires_in: number;
  token_type: string;
  token_use: string;
  id_token: string;
  hub_id: number | null;
  user_id: number | null;
  scopes: string[] | null;
}
/** A failed token call, classified; `retryable` says whether trying again can help. */
export interface TokenError {
  /** Stable: token.bad_auth_code, token.expired_auth_code, token.rate_limited, ... */
  code: string;
  retryable: boolean;
  http_status: number;
  error: string;
  error_description: string;
  status: string;
  message: string;
  category: string;
  correlation_id: string;
}
/** The token endpoint's answer: the tokens, or throws HsInstallError with `tokenError`. */
export function parseTokenResponse(httpStatus: number, body: string): Tokens;

export interface Introspection extends WithDiagnostics {
  active: boolean;
  app_id: number | null;
  hub_id: number | null;
  user_id: number | null;
  expires_in: number | null;
  client_id: string;
  hub_domain: string;
  user: string;
  token_type: string;
  token_use: string;
  scopes: string[];
}
/** A token-introspection answer (v3 or v1 shape); throws like parseTokenResponse. */
export function parseIntrospectionResponse(httpStatus: number, body: string): Introspection;

export interface ScopeComparison extends WithDiagnostics {
  missing_required: string[];
  missing_conditional: string[];
  granted_optional: string[];
  missing_optional: string[];
  /** Granted, but never configured. */
  unexpected: string[];
}
/**
 * Granted scopes against the app's configuration (parseConfig(...).scopes fits) and
 * the conditional scopes the URL asked for: a missing required or requested
 * conditional scope is an error, a missing optional one a note.
 */
export function compareGrantedScopes(
  granted: Iterable<string> | string,
  configured: { required?: Iterable<string> | string; conditional?: Iterable<string> | string; optional?: Iterable<string> | string; requestedConditional?: Iterable<string> | string },
): ScopeComparison;

/** What load() resolves to: every function above. */
export interface HsInstall {
  load: typeof load;
  isLoaded: typeof isLoaded;
  HsInstallError: typeof HsInstallError;
  scopes: Scopes;
  validateScopes: typeof validateScopes;
  parseConfig: typeof parseConfig;
  lintConfig: typeof lintConfig;
  validateRedirectUri: typeof validateRedirectUri;
  buildInstallUrl: typeof buildInstallUrl;
  inspectInstallUrl: typeof inspectInstallUrl;
  parseInstallUrl: typeof parseInstallUrl;
  parseCallback: typeof parseCallback;
  encodeState: typeof encodeState;
  signState: typeof signState;
  decodeState: typeof decodeState;
  verifyState: typeof verifyState;
  buildCodeRequest: typeof buildCodeRequest;
  buildRefreshRequest: typeof buildRefreshRequest;
  buildIntrospectionRequest: typeof buildIntrospectionRequest;
  buildRevokeRequest: typeof buildRevokeRequest;
  parseTokenResponse: typeof parseTokenResponse;
  parseIntrospectionResponse: typeof parseIntrospectionResponse;
  compareGrantedScopes: typeof compareGrantedScopes;
}
