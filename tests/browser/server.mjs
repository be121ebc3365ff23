// The browser tests' server (node:http, loopback, random port). It serves
//   /wasm/...            the npm package folder wasm/ (module, dist/, widget/)
//   /pages/...           static test files (tests/browser/pages/)
//   /button?...          a test page with one <hubspot-install-button>, made from query options
//   /callback, /callback-coop   the callback page (the second with Cross-Origin-Opener-Policy)
//   /app-hsmeta.json     an app config file whose redirect URL is this server's /callback
//   /oauth/authorize, /oauth/<account>/authorize   a stand-in for HubSpot's authorize endpoint:
//                        records the request, redirects back with ?code=…&state=…
//   /hook/state (POST)   a stand-in for the hook's state endpoint (docs/hook.md): issues a signed
//                        state made by the core (encodeState + signState), records it
//   /hook/exchange (POST) a stand-in for the server hook's exchange endpoint (docs/hook.md): records
//                        the JSON body, answers {ok, portal_id, granted_scopes} or {ok: false, code, message}
// The tests route https://app.hubspot.com/* (and app-<hublet>) to this server's /oauth/*.
// Every href in a test page is built by the core itself (wasm/index.js in Node), as
// `hsinstall url` would print it.
//
// Run alone to look at the pages by hand: node tests/browser/server.mjs [port]
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.html': 'text/html; charset=utf-8', '.map': 'application/json' };

export const CLIENT_ID = '0f3e4c2a-1b2c-4d5e-8f90-123456789abc';
export const SCOPES = ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write'];
export const OPTIONAL = ['crm.objects.deals.read'];
export const PORTAL_ID = 4242;

export const CSP = {
  // No 'wasm-unsafe-eval' and no 'unsafe-eval': WebAssembly cannot compile.
  nowasm: "script-src 'self'; object-src 'none'; base-uri 'none'",
  // WebAssembly allowed, eval not, inline styles not: what the widget must live with.
  strict: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; object-src 'none'; base-uri 'none'",
};

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export async function startServer() {
  const hs = await import(pathToFileURL(path.join(root, 'wasm/index.js')).href);
  const core = await hs.load();
  const log = { authorize: [], hook: [], issued: [], requests: [] };
  // Queued stand-in behaviours. authorize: 'ok' (default), 'forge' (another state), 'hold' (a consent
  // page that never redirects). hook: 'ok' (default), 'fail' (a HubSpot-style refusal).
  const next = { authorize: [], hook: [] };
  let origin = '';

  const config = () =>
    JSON.stringify(
      {
        uid: 'browser_test_app',
        type: 'app',
        config: {
          name: 'Browser test app',
          description: 'The app the widget tests install.',
          distribution: 'private',
          auth: { type: 'oauth', redirectUrls: [`${origin}/callback`], requiredScopes: SCOPES, optionalScopes: OPTIONAL, conditionallyRequiredScopes: [] },
          permittedUrls: { fetch: [], iframe: [], img: [] },
          support: { supportEmail: 'support@example.com', documentationUrl: 'https://example.com/docs', supportUrl: 'https://example.com/support', supportPhone: '+18005555555' },
        },
      },
      null,
      2,
    );

  // The test page. q: mode, preview, csp, callback (path), bad (scope|href|redirect|client), config, hook, account, host.
  function buttonPage(q) {
    const redirectUri = q.get('bad') === 'redirect' ? 'http://acme.example/oauth/callback' : `${origin}${q.get('callback') || '/callback'}`;
    const attrs = { 'client-id': CLIENT_ID, 'redirect-uri': redirectUri };
    const fields = { clientId: CLIENT_ID, redirectUri: `${origin}${q.get('callback') || '/callback'}`, scopes: SCOPES, optionalScopes: OPTIONAL };
    if (q.get('host')) fields.host = attrs.host = q.get('host');
    if (q.get('account')) fields.accountId = attrs.account = q.get('account');
    if (q.has('config')) attrs.config = '/app-hsmeta.json';
    else {
      attrs.scopes = (q.get('bad') === 'scope' ? ['oauth', 'crm.objects.contact.read', 'crm.objects.contacts.write'] : SCOPES).join(' ');
      attrs['optional-scopes'] = OPTIONAL.join(' ');
    }
    if (q.get('bad') === 'client') attrs['client-id'] = 'not-a-client-id';
    if (q.get('mode')) attrs.mode = q.get('mode');
    if (q.get('hook') !== 'none') attrs.hook = '/hook/exchange';
    if (q.has('preview')) attrs.preview = '';
    if (q.has('hookstate')) attrs['state-url'] = '/hook/state';
    // The authored href: what the core (the CLI's `hsinstall url`) prints for the right settings.
    const href = core.buildInstallUrl(q.get('bad') === 'href' ? { ...fields, scopes: SCOPES.slice(0, 2) } : fields).url;
    const a = Object.entries(attrs).map(([k, v]) => (v === '' ? k : `${k}="${esc(v)}"`)).join(' ');
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Install test</title>
<link rel="stylesheet" href="/pages/page.css">
<link rel="stylesheet" href="/wasm/widget/hubspot-install-button.css">
${q.get('js') === 'none' ? '' : '<script src="/pages/harness.js"></script>\n<script type="module" async src="/wasm/widget/hubspot-install-button.js"></script>'}
</head><body>
<main>
<h1>Acme for HubSpot</h1>
<p>Sync your Acme contacts with HubSpot in one click.</p>
<p id="cta"><hubspot-install-button ${a}><a href="${esc(href)}">Install in HubSpot</a></hubspot-install-button></p>
<p id="after">Text after the button: it must not move when the button upgrades.</p>
</main>
</body></html>`;
  }

  const callbackPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Installing…</title>
<link rel="stylesheet" href="/pages/page.css">
<script src="/pages/harness.js"></script>
<script type="module" src="/pages/callback-page.js"></script>
</head><body><main><h1>Acme for HubSpot</h1>
<div id="result" data-hsinstall-result></div>
<noscript>JavaScript is off: the install cannot be completed on this page.</noscript>
</main></body></html>`;

  async function file(res, dir, rel, headers = {}) {
    const base = path.join(root, dir);
    const p = path.resolve(base, '.' + path.posix.normalize('/' + rel));
    if (!p.startsWith(base + path.sep)) return send(res, 403, 'text/plain', 'forbidden');
    try {
      const body = await readFile(p);
      send(res, 200, TYPES[path.extname(p)] || 'application/octet-stream', body, headers);
    } catch {
      send(res, 404, 'text/plain', 'not found');
    }
  }

  function send(res, status, type, body, headers = {}) {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  }

  function authorize(req, res, u) {
    const query = Object.fromEntries(u.searchParams);
    const behaviour = next.authorize.shift() || 'ok';
    log.authorize.push({ path: u.pathname, query, url: u.href, behaviour });
    if (behaviour === 'hold')
      return send(res, 200, 'text/html; charset=utf-8', '<!doctype html><title>HubSpot (stand-in)</title><h1>Connect Acme to HubSpot?</h1><button>Connect app</button>');
    if (!query.redirect_uri) return send(res, 400, 'text/plain', 'no redirect_uri');
    const back = new URL(query.redirect_uri);
    back.searchParams.set('code', `na1-${randomBytes(12).toString('hex')}`);
    if (behaviour === 'forge') back.searchParams.set('state', core.encodeState({ expiresAt: Math.floor(Date.now() / 1000) + 600 }));
    else if (query.state !== undefined) back.searchParams.set('state', query.state);
    log.authorize.at(-1).location = back.href;
    res.writeHead(302, { location: back.href, 'cache-control': 'no-store' });
    res.end();
  }

  const server = http.createServer(async (req, res) => {
    const u = new URL(req.url, origin);
    log.requests.push(u.pathname);
    try {
      if (u.pathname.startsWith('/wasm/')) return await file(res, 'wasm', u.pathname.slice(6));
      if (u.pathname.startsWith('/pages/')) return await file(res, 'tests/browser/pages', u.pathname.slice(7));
      if (u.pathname === '/button') {
        const csp = CSP[u.searchParams.get('csp')];
        return send(res, 200, 'text/html; charset=utf-8', buttonPage(u.searchParams), csp ? { 'content-security-policy': csp } : {});
      }
      if (u.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
      if (u.pathname === '/callback') return send(res, 200, 'text/html; charset=utf-8', callbackPage);
      if (u.pathname === '/callback-coop') return send(res, 200, 'text/html; charset=utf-8', callbackPage, { 'cross-origin-opener-policy': 'same-origin' });
      if (u.pathname === '/app-hsmeta.json') return send(res, 200, 'application/json', config());
      if (/^\/oauth\/(\d+\/)?authorize$/.test(u.pathname)) return authorize(req, res, u);
      if (u.pathname === '/hook/state' && req.method === 'POST') {
        const state = core.signState(core.encodeState({ random: randomBytes(32), expiresAt: Math.floor(Date.now() / 1000) + 600 }), randomBytes(32));
        log.issued.push(state);
        return send(res, 200, 'application/json', JSON.stringify({ state }));
      }
      if (u.pathname === '/hook/exchange' && req.method === 'POST') {
        let body = '';
        for await (const chunk of req) body += chunk;
        let json = null;
        try {
          json = JSON.parse(body);
        } catch {}
        log.hook.push({ body: json, type: req.headers['content-type'] });
        if (!json || !json.code || !json.state)
          return send(res, 400, 'application/json', JSON.stringify({ ok: false, code: 'hook.bad_request', message: 'code and state are required', retryable: false }));
        if ((next.hook.shift() || 'ok') === 'fail')
          return send(res, 400, 'application/json', JSON.stringify({ ok: false, code: 'token.bad_auth_code', message: 'HubSpot refused the authorization code (it may have been used already).', retryable: false }));
        const asked = log.authorize.length ? (log.authorize.at(-1).query.scope || '').split(' ') : [];
        return send(res, 200, 'application/json', JSON.stringify({ ok: true, portal_id: PORTAL_ID, granted_scopes: asked, missing_optional_scopes: [] }));
      }
      send(res, 404, 'text/plain', 'not found');
    } catch (e) {
      send(res, 500, 'text/plain', String(e && e.stack));
    }
  });
  await new Promise((r) => server.listen(Number(process.argv[2]) || 0, '127.0.0.1', r));
  // localhost, not 127.0.0.1: http://localhost is a secure context (crypto, COOP) and a loopback redirect URI.
  origin = `http://localhost:${server.address().port}`;
  return {
    origin,
    log,
    next,
    core,
    reset() {
      log.authorize.length = 0;
      log.hook.length = 0;
      log.issued.length = 0;
      log.requests.length = 0;
      next.authorize.length = 0;
      next.hook.length = 0;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await startServer();
  console.log(`${s.origin}/button?preview&mode=popup   (Ctrl-C to stop; HubSpot's host is not routed here outside the tests)`);
}
