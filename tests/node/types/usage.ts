// Compiled (not run) against wasm/index.d.ts by scripts/test-wasm when a
// TypeScript compiler is at hand: the declarations cover the API as documented.
import { load, isLoaded, HsInstallError, scopes, type Diagnostic, type HsInstall, type Tokens } from 'hsinstall';

async function main(): Promise<void> {
  const ready: boolean = isLoaded();
  const hs: HsInstall = await load({ wasm: new URL('https://cdn.example/hsinstall.wasm') });
  const state: string = hs.encodeState({ expiresAt: Math.floor(Date.now() / 1000) + 600 });
  const built = hs.buildInstallUrl({ clientId: 'id', redirectUri: 'https://a.example/cb', scopes: ['oauth'], optionalScopes: new Set(['crm.objects.deals.read']), state, host: 'eu1', accountId: 123 });
  const url: string = built.url;
  const warnings: Diagnostic[] = built.diagnostics;
  hs.buildInstallUrl({ config: '{"uid":"x"}', configFileName: 'app-hsmeta.json', clientId: 'id', conditionalScopes: ['e-commerce'] });
  // @ts-expect-error: with a config, scopes come from it
  hs.buildInstallUrl({ config: {}, clientId: 'id', scopes: ['oauth'] });
  const seen = hs.inspectInstallUrl(url, { config: { uid: 'x' } });
  const hublet: string = seen.hublet;
  const acct: string | null = seen.account_id;
  try {
    const cb = hs.parseCallback(`https://a.example/cb?code=c&state=${state}`, { expectedState: state });
    const verified: boolean = cb.state_verified;
    const kind: 'success' | 'marketplace_authorize' | 'marketplace_finalize' = cb.kind;
    void verified, kind;
  } catch (e) {
    if (e instanceof HsInstallError) {
      const codes: string[] = e.diagnostics.map((d) => d.code);
      void codes, e.code;
    }
  }
  const lint: Diagnostic[] = hs.lintConfig(new Uint8Array([123, 125]), { fileName: 'public-app.json' });
  const app = hs.parseConfig('{}');
  const cmp = hs.compareGrantedScopes(['oauth'], { ...app.scopes, requestedConditional: [] });
  const missing: string[] = cmp.missing_required;
  const info = scopes.lookup('oauth');
  const desc: string | undefined = info?.description;
  const names: string[] = scopes.search('contacts').map((s) => s.name);
  const sug: string[] = scopes.suggest('crm.objects.contact.read', { max: 5 });
  const redirect: Diagnostic[] = hs.validateRedirectUri('http://localhost:3000', { registered: ['http://localhost:3000'] });
  const sc: Diagnostic[] = hs.validateScopes({ required: ['oauth'], marketplace: true });
  const decoded = hs.decodeState(state);
  const signed: string = hs.signState(state, new Uint8Array(32));
  const v: Diagnostic[] = hs.verifyState(signed, { now: 0, expectedMac: new Uint8Array(32) });
  const req = hs.buildCodeRequest({ clientId: 'id', clientSecret: 's', redirectUri: 'https://a.example/cb', code: 'c', api: '2026-03' });
  const headers: Record<string, string> = req.headers;
  hs.buildRefreshRequest({ clientId: 'id', clientSecret: 's', refreshToken: 'r', apiBase: 'http://127.0.0.1:8080' });
  hs.buildIntrospectionRequest({ clientId: 'id', clientSecret: 's', token: 't', tokenTypeHint: 'access_token' });
  hs.buildRevokeRequest({ clientId: 'id', clientSecret: 's', token: 't' });
  try {
    const t: Tokens = hs.parseTokenResponse(200, '{}');
    const hub: number | null = t.hub_id;
    void hub;
  } catch (e) {
    if (e instanceof HsInstallError && e.tokenError?.retryable) {
      /* retry later */
    }
  }
  const intro = hs.parseIntrospectionResponse(200, '{"active":true}');
  const active: boolean = intro.active;
  void ready, warnings, hublet, acct, lint, missing, desc, names, sug, redirect, sc, decoded.signed_part, v, headers, active;
}
void main;
