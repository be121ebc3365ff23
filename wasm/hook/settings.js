// The hook's settings (docs/hook.md, "Settings"): from options, else from the
// environment; `<NAME>_FILE` reads a value from a file. A missing or invalid setting
// is a HookConfigError naming the variable (or the option), raised at start. Every
// check of a URL or of the app's config is the core's; the hook only reads and decodes.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

import { HookConfigError } from './errors.js';
import { parseKeyRing } from './seal.js';

export { HookConfigError };

/** The environment variable of each option. */
export const ENV = Object.freeze({
  clientId: 'HSINSTALL_CLIENT_ID',
  clientSecret: 'HSINSTALL_CLIENT_SECRET',
  stateKey: 'HSINSTALL_STATE_KEY',
  appConfig: 'HSINSTALL_APP_CONFIG',
  redirectUri: 'HSINSTALL_REDIRECT_URI',
  apiBase: 'HSINSTALL_API_BASE',
  returnOrigins: 'HSINSTALL_RETURN_ORIGINS',
  store: 'HSINSTALL_STORE',
  tokenKey: 'HSINSTALL_TOKEN_KEY',
});

export const DEFAULT_STORE = 'sqlite:///./hsinstall.db';
const MIN_KEY_BYTES = 32;

function fromEnv(env, name) {
  const file = env[`${name}_FILE`];
  if (file !== undefined && file !== '') {
    if (env[name] !== undefined && env[name] !== '') throw new HookConfigError(name, `both ${name} and ${name}_FILE are set; set one`);
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw new HookConfigError(`${name}_FILE`, `cannot read ${file} (${e.code || e.message})`);
    }
  }
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** The state key's bytes: hex, or base64url (padding allowed); at least 32 bytes. */
export function decodeKey(setting, key) {
  let bytes;
  if (key instanceof Uint8Array || key instanceof ArrayBuffer) bytes = Buffer.from(key instanceof ArrayBuffer ? new Uint8Array(key) : key);
  else if (typeof key !== 'string') throw new HookConfigError(setting, 'expected hex or base64url text, or bytes');
  else if (/^(?:[0-9a-fA-F]{2})+$/.test(key)) bytes = Buffer.from(key, 'hex');
  else if (/^[A-Za-z0-9_-]+={0,2}$/.test(key) && key.replace(/=+$/, '').length % 4 !== 1) bytes = Buffer.from(key.replace(/=+$/, ''), 'base64url');
  else throw new HookConfigError(setting, 'is neither hex nor base64url');
  if (bytes.length < MIN_KEY_BYTES)
    throw new HookConfigError(setting, `is ${bytes.length} bytes; at least ${MIN_KEY_BYTES} are needed (64 hex digits or 43 base64url characters, from a CSPRNG)`);
  return bytes;
}

const firstError = (diagnostics) => diagnostics.find((d) => d.severity === 'error') || diagnostics[0];

/**
 * Resolves every setting, checked through the core (`hs`, the loaded wasm API). The
 * store stays a URL or object here; the hook opens it.
 */
export function resolveSettings(hs, options = {}) {
  const env = options.env || process.env;
  const pick = (key) => (options[key] !== undefined && options[key] !== null ? [options[key], `options.${key}`] : [fromEnv(env, ENV[key]), ENV[key]]);
  const need = (key) => {
    const [v, name] = pick(key);
    if (v === undefined || v === '') throw new HookConfigError(name, 'is not set');
    return [v, name];
  };

  const [clientId, clientIdName] = need('clientId');
  if (typeof clientId !== 'string') throw new HookConfigError(clientIdName, 'must be a string');
  const [clientSecret, secretName] = need('clientSecret');
  if (typeof clientSecret !== 'string') throw new HookConfigError(secretName, 'must be a string');
  const [keyText, keyName] = need('stateKey');
  const stateKey = decodeKey(keyName, keyText);

  // The app's config: an option holds its text (or object, or bytes); the variable, or
  // options.appConfigFile, its path.
  let configText, fileName, configName;
  if (options.appConfig !== undefined && options.appConfig !== null) {
    [configText, fileName, configName] = [options.appConfig, options.appConfigFileName || '', 'options.appConfig'];
  } else {
    const [path, name] = options.appConfigFile ? [options.appConfigFile, 'options.appConfigFile'] : need('appConfig');
    try {
      configText = readFileSync(path, 'utf8');
    } catch (e) {
      throw new HookConfigError(name, `cannot read the app config ${path} (${e.code || e.message})`);
    }
    [fileName, configName] = [basename(path), name];
  }
  let app;
  try {
    app = hs.parseConfig(configText, { fileName });
  } catch (e) {
    if (!(e instanceof hs.HsInstallError)) throw e;
    const d = firstError(e.diagnostics);
    throw new HookConfigError(configName, `the app config has errors: ${d.code} at ${d.where}: ${d.message}`);
  }
  if (!app.redirect_urls.length) throw new HookConfigError(configName, 'the app config lists no redirect URL (auth.redirectUrls); the hook needs one');

  const [redirectOption, redirectName] = pick('redirectUri');
  const redirectUri = redirectOption === undefined ? app.redirect_urls[0] : String(redirectOption);
  const redirectErrors = hs.validateRedirectUri(redirectUri, { registered: app.redirect_urls }).filter((d) => d.severity === 'error');
  if (redirectErrors.length) throw new HookConfigError(redirectName, `${redirectErrors[0].code}: ${redirectErrors[0].message}`);

  const [apiBaseOption, apiBaseName] = pick('apiBase');
  const apiBase = apiBaseOption === undefined ? undefined : String(apiBaseOption);
  try {
    // The core decides what an API base may be: a request built with it says.
    hs.buildRefreshRequest({ clientId, clientSecret, refreshToken: 'check', apiBase });
  } catch (e) {
    if (!(e instanceof hs.HsInstallError)) throw e;
    throw new HookConfigError(apiBaseName, `${e.code}: ${firstError(e.diagnostics).message}`);
  }

  const [origins] = pick('returnOrigins');
  const returnOrigins = origins === undefined ? [] : typeof origins === 'string' ? origins.split(/\s+/).filter(Boolean) : [...origins].map(String);

  const { store, storeName, keys, keyText: tokenKeyText } = storeSettings(options);
  return {
    clientId,
    clientSecret,
    stateKey,
    stateKeyText: typeof keyText === 'string' ? keyText : '',
    app,
    configText,
    configFileName: fileName,
    redirectUri,
    apiBase,
    returnOrigins,
    store,
    storeName,
    keys,
    keyText: tokenKeyText,
  };
}

/**
 * The store's settings alone (the hook's commands need no more): the store (a URL, or a
 * store object passed as options.store) and the key ring that seals tokens at rest,
 * required unless the store is an object of the site's own.
 */
export function storeSettings(options = {}) {
  const env = options.env || process.env;
  const pick = (key) => (options[key] !== undefined && options[key] !== null ? [options[key], `options.${key}`] : [fromEnv(env, ENV[key]), ENV[key]]);
  const [store, storeName] = pick('store');
  const [keyText, keyName] = pick('tokenKey');
  const own = store && typeof store === 'object';
  const keys = own && (keyText === undefined || keyText === '') ? null : parseKeyRing(keyText, keyName);
  return { store: store === undefined || store === '' ? DEFAULT_STORE : store, storeName, keys, keyText: typeof keyText === 'string' ? keyText : '' };
}
