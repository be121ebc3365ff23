// What the Node hook needs from the JS API beyond the rest of the suite:
// parseCallback's extraReturnOrigins (the core's CallbackOptions.extra_return_origins),
// through which a local sandbox's origin is honoured as a marketplace returnUrl.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';

import * as hs from '../../wasm/index.js';

const SANDBOX = 'http://127.0.0.1:8025';
const ret = (u) => `/oauth/callback?step=authorize&returnUrl=${encodeURIComponent(u)}`;
const codeOf = (f) => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof hs.HsInstallError, String(e));
    return e.code;
  }
  return 'ok';
};

describe('parseCallback: extraReturnOrigins', () => {
  before(() => hs.load());

  it('HubSpot hosts are honoured without it; a sandbox origin only with it', () => {
    assert.equal(hs.parseCallback(ret('https://app.hubspot.com/x')).return_url, 'https://app.hubspot.com/x');
    assert.equal(codeOf(() => hs.parseCallback(ret(`${SANDBOX}/marketplace/c`))), 'callback.bad_return_url');
    const cb = hs.parseCallback(ret(`${SANDBOX}/marketplace/c`), { extraReturnOrigins: [SANDBOX] });
    assert.equal(cb.kind, 'marketplace_authorize');
    assert.equal(cb.return_url, `${SANDBOX}/marketplace/c`);
  });

  it('takes a single string, any iterable, and null or undefined as none', () => {
    assert.equal(hs.parseCallback(ret(`${SANDBOX}/m`), { extraReturnOrigins: SANDBOX }).return_url, `${SANDBOX}/m`);
    assert.equal(hs.parseCallback(ret(`${SANDBOX}/m`), { extraReturnOrigins: new Set(['https://x.example', SANDBOX]) }).return_url, `${SANDBOX}/m`);
    for (const none of [null, undefined, []])
      assert.equal(codeOf(() => hs.parseCallback(ret(`${SANDBOX}/m`), { extraReturnOrigins: none })), 'callback.bad_return_url');
  });

  it('an origin matches exactly: no prefix, no other port, scheme or host', () => {
    for (const origin of ['http://127.0.0.1:802', 'http://127.0.0.1:80250', 'https://127.0.0.1:8025', 'http://localhost:8025', `${SANDBOX}/`])
      assert.equal(codeOf(() => hs.parseCallback(ret(`${SANDBOX}/m`), { extraReturnOrigins: [origin] })), 'callback.bad_return_url', origin);
    // An origin followed by user-info tricks is still refused.
    assert.equal(codeOf(() => hs.parseCallback(ret(`http://127.0.0.1:8025@evil.example/`), { extraReturnOrigins: [SANDBOX] })), 'callback.bad_return_url');
    // An element holding a NUL goes over as an array and matches nothing.
    assert.equal(codeOf(() => hs.parseCallback(ret(`${SANDBOX}/m`), { extraReturnOrigins: [`${SANDBOX}\0`] })), 'callback.bad_return_url');
  });

  it('changes nothing for other callbacks', () => {
    const cb = hs.parseCallback('?code=na1-abc&state=S', { expectedState: 'S', extraReturnOrigins: [SANDBOX] });
    assert.equal(cb.kind, 'success');
    assert.equal(cb.code, 'na1-abc');
  });
});
