// Smoke test of the packed npm package, run by scripts/test-wasm from an empty
// folder where `npm install <tarball>` put it: only the published files exist there.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { load, HsInstallError, isLoaded } from 'hsinstall';

const require = createRequire(import.meta.url);
const pkg = require('hsinstall/package.json');
let passed = 0;
const check = (name, f) => {
  f();
  passed++;
  console.log(`  ok ${name}`);
};

assert.equal(isLoaded(), false);
const hs = await load();

check('package.json is exported', () => assert.equal(pkg.name, 'hsinstall'));
check('the wasm file is exported', () => assert.ok(require.resolve('hsinstall/hsinstall.wasm').endsWith('.wasm')));
const state = hs.encodeState();
const { url, diagnostics } = hs.buildInstallUrl({
  clientId: '0f3e4c2a-1b2c-4d5e-8f90-123456789abc',
  redirectUri: 'https://acme.example/oauth/callback',
  scopes: ['oauth', 'crm.objects.contacts.read'],
  optionalScopes: ['crm.objects.deals.read'],
  state,
});
check('builds an install URL', () => {
  assert.deepEqual(diagnostics, []);
  assert.ok(url.startsWith('https://app.hubspot.com/oauth/authorize?client_id=0f3e4c2a-1b2c-4d5e-8f90-123456789abc&'));
  assert.equal(new URL(url).searchParams.get('state'), state);
});
check('parses a callback and verifies its state', () => {
  const cb = hs.parseCallback(`https://acme.example/oauth/callback?code=na1-abc&state=${state}`, { expectedState: state });
  assert.equal(cb.code, 'na1-abc');
  assert.equal(cb.state_verified, true);
});
check('a forged state throws HsInstallError', () => {
  assert.throws(
    () => hs.parseCallback('https://acme.example/oauth/callback?code=na1-abc&state=forged', { expectedState: state }),
    (e) => e instanceof HsInstallError && e.diagnostics.some((d) => d.code === 'callback.state_mismatch'),
  );
});
console.log(`hsinstall ${pkg.version} from the packed tarball: ${passed} passed, 0 failed`);
