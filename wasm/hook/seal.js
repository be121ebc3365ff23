// Tokens at rest (docs/hook.md, "Tokens at rest"): AES-256-GCM through node:crypto, in
// the format the Python hook reads and writes:
//
//   v1.<key id: 16 hex>.<nonce: 12 random bytes, base64url>.<ciphertext || 16-byte tag, base64url>
//
// (base64url without padding), with the additional authenticated data
// `hsinstall/v1/<column>/<portal_id>`, so a sealed value moved to another row or column
// does not open. The key ring comes from HSINSTALL_TOKEN_KEY (or _FILE): one or more
// 32-byte keys (64 hex characters, or 43/44 base64/base64url characters), separated by
// spaces or commas; the first seals, the others only open. A key's id is the first 16 hex
// characters of HMAC-SHA256(key, "hsinstall token key id").
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { HookConfigError, storeCorrupt } from './errors.js';

export const TOKEN_KEY = 'HSINSTALL_TOKEN_KEY';
const HOW = 'set it to one or more 32-byte keys, e.g. the output of `openssl rand -hex 32` (64 hex characters; base64 or base64url of 32 bytes also works), separated by spaces or commas, the sealing key first';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const COLUMNS = new Set(['access_token', 'refresh_token']);
const B64URL = /^[A-Za-z0-9_-]*$/;

/** Whether two secrets (tokens) are equal, in time that does not depend on where they differ. */
export function sameText(a, b) {
  const digest = (s) => createHash('sha256').update(String(s), 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** A key's id: the first 16 hex characters of HMAC-SHA256(key, "hsinstall token key id"). */
export function keyId(key) {
  return createHmac('sha256', key).update('hsinstall token key id').digest('hex').slice(0, 16);
}

function decodeOne(setting, text, n) {
  const where = `key ${n}`;
  let bytes;
  if (/^[0-9a-fA-F]+$/.test(text) && text.length === 64) bytes = Buffer.from(text, 'hex');
  else if ((text.length === 43 || text.length === 44) && /^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    if (/[+/]/.test(text) && /[-_]/.test(text)) throw new HookConfigError(setting, `${where} mixes base64 and base64url characters; ${HOW}`);
    bytes = Buffer.from(text.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
  } else if (/^[0-9a-fA-F]+$/.test(text))
    throw new HookConfigError(setting, `${where} is ${text.length} hex characters; a key is 32 bytes, 64 hex characters: ${HOW}`);
  else throw new HookConfigError(setting, `${where} is neither 64 hex characters nor 43/44 base64 characters (${text.length} characters); ${HOW}`);
  if (bytes.length !== 32) throw new HookConfigError(setting, `${where} is ${bytes.length} bytes, not 32; ${HOW}`);
  return bytes;
}

/**
 * A key ring from the setting's text (or an array of texts or 32-byte buffers). Throws a
 * HookConfigError naming `setting` when it is missing, empty, malformed or not 32 bytes.
 */
export function parseKeyRing(value, setting = TOKEN_KEY) {
  if (value instanceof KeyRing) return value;
  if (value === undefined || value === null || value === '') throw new HookConfigError(setting, `is not set: the hook seals tokens at rest and has no plaintext fallback; ${HOW}`);
  const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean) : [value];
  if (!parts.length) throw new HookConfigError(setting, `holds no key; ${HOW}`);
  const keys = parts.map((p, i) => {
    if (typeof p === 'string') return decodeOne(setting, p, i + 1);
    if (p instanceof Uint8Array && p.length === 32) return Buffer.from(p);
    throw new HookConfigError(setting, `key ${i + 1} is not 32 bytes; ${HOW}`);
  });
  return new KeyRing(keys, setting);
}

/** Keys by id; the first seals. */
export class KeyRing {
  #keys;
  constructor(keys, setting = TOKEN_KEY) {
    this.#keys = new Map();
    for (const k of keys) if (!this.#keys.has(keyId(k))) this.#keys.set(keyId(k), k);
    this.ids = [...this.#keys.keys()];
    this.sealId = this.ids[0];
    this.setting = setting;
    Object.freeze(this);
  }
  has(id) {
    return this.#keys.has(id);
  }
  /** The sealed form of `text` for `column` (access_token or refresh_token) of `portalId`. */
  seal(column, portalId, text) {
    if (!COLUMNS.has(column)) throw new TypeError(`seal(): unknown column ${column}`);
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', this.#keys.get(this.sealId), nonce, { authTagLength: TAG_BYTES });
    c.setAAD(Buffer.from(aad(column, portalId), 'utf8'));
    const body = Buffer.concat([c.update(String(text), 'utf8'), c.final(), c.getAuthTag()]);
    return `v1.${this.sealId}.${nonce.toString('base64url')}.${body.toString('base64url')}`;
  }
  /** The text sealed in `sealed`; a value that does not open is a HookError hook.store_corrupt. */
  open(column, portalId, sealed) {
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    if (parts.length !== 4 || parts[0] !== 'v1' || !/^[0-9a-f]{16}$/.test(parts[1]) || !B64URL.test(parts[2]) || !B64URL.test(parts[3]))
      throw storeCorrupt(`${column} of portal ${portalId} is not a sealed token (v1.<key id>.<nonce>.<ciphertext>)`);
    const key = this.#keys.get(parts[1]);
    if (!key) throw storeCorrupt(`${column} of portal ${portalId} was sealed with key id ${parts[1]}, which ${this.setting} does not hold`);
    const nonce = Buffer.from(parts[2], 'base64url');
    const body = Buffer.from(parts[3], 'base64url');
    if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw storeCorrupt(`${column} of portal ${portalId} has a malformed seal`);
    try {
      const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      d.setAAD(Buffer.from(aad(column, portalId), 'utf8'));
      d.setAuthTag(body.subarray(body.length - TAG_BYTES));
      const plain = Buffer.concat([d.update(body.subarray(0, body.length - TAG_BYTES)), d.final()]);
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      throw storeCorrupt(`${column} of portal ${portalId} fails its authentication (altered, or moved from another row or column)`);
    }
  }
}

const aad = (column, portalId) => `hsinstall/v1/${column}/${decimal(portalId)}`;
function decimal(portalId) {
  const t = typeof portalId === 'bigint' ? portalId.toString() : String(portalId);
  if (!/^-?\d+$/.test(t)) throw new TypeError(`a portal id is an integer, not ${t}`);
  return t;
}
