// A Node hook process for the multi-instance tests (test-only; never deploy it).
//
//   node tests/multi/instance.mjs [--host 127.0.0.1] [--port 0] [--prefix /hook]
//
// The hook exactly as wasm/hook/serve.js runs it (createHook() from the HSINSTALL_*
// environment, its node:http handler), plus one route outside the prefix:
//
//   GET /__test/token?portal=N   200 {"ok": true, "sha256": "<hex of SHA-256 of the access token>"}
//                                or {"ok": false, "code", "retryable"} (503 when retryable, else 409)
//
// so the tests can compare tokens across processes without any token leaving the process.
// Prints "hsinstall test instance (node) listening on http://HOST:PORT/PREFIX" first.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { createHook, HookConfigError } from '../../wasm/hook/index.js';

const { values: args } = parseArgs({
  options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' }, prefix: { type: 'string', default: '/hook' } },
});
const prefix = args.prefix.replace(/^\/*/, '/').replace(/\/+$/, '');

let hook;
try {
  hook = await createHook({ basePath: prefix });
} catch (e) {
  if (!(e instanceof HookConfigError)) throw e;
  process.stderr.write(`hsinstall test instance: ${e.message}\n`);
  process.exit(2);
}

function answer(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

async function tokenRoute(req, res) {
  const url = new URL(req.url, 'http://x');
  const portal = Number(url.searchParams.get('portal'));
  if (req.method !== 'GET' || !Number.isSafeInteger(portal) || portal <= 0) return answer(res, 400, { ok: false, code: 'hook.bad_request', retryable: false });
  try {
    const token = await hook.getAccessToken(portal);
    return answer(res, 200, { ok: true, sha256: createHash('sha256').update(token, 'utf8').digest('hex') });
  } catch (e) {
    if (typeof e.code !== 'string' || !e.code.includes('.')) {
      process.stderr.write(`hsinstall test instance: getAccessToken threw ${e.name}\n`);
      return answer(res, 500, { ok: false, code: 'test.unexpected_error', retryable: false });
    }
    return answer(res, e.retryable ? 503 : 409, { ok: false, code: e.code, retryable: Boolean(e.retryable) });
  }
}

const server = createServer((req, res) => {
  if (String(req.url).split('?')[0] === '/__test/token') {
    tokenRoute(req, res);
    return;
  }
  hook.handler(req, res);
});
server.listen(Number(args.port), args.host, () => {
  process.stdout.write(`hsinstall test instance (node) listening on http://${args.host}:${server.address().port}${prefix}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    server.close(() => hook.close().then(() => process.exit(0)));
    server.closeAllConnections();
  });
