#!/usr/bin/env node
// Validate + build an install URL in Node through the wasm module, beside
// @hubspot/api-client's getAuthorizationUrl (which validates nothing), on the
// same inputs (bench/inputs.json, shared with bench/run). Prints time per call,
// the ratio hsinstall / peer (<= 1.0: hsinstall no slower), where hsinstall's
// time goes (wrapper, binding + core), and the gzip bytes of what a page loads.
//
//   node bench.mjs [--min-time SECONDS] [--module DIR] [--profile OUT.cpuprofile]
//
// --module: the package folder to load (default: wasm/); --profile: also write a
// CPU profile of a hsinstall-only run (use a build with function names).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const minTime = Number(arg('--min-time', '1'));
const moduleDir = resolve(arg('--module', resolve(here, '../../wasm')));
const profileOut = arg('--profile', null);

const hs = await import(pathToFileURL(resolve(moduleDir, 'index.js')).href);
await hs.load();
const { default: factory } = await import(pathToFileURL(resolve(moduleDir, 'dist/hsinstall.mjs')).href);
const wasmBytes = readFileSync(resolve(moduleDir, 'dist/hsinstall.wasm'));
const raw = await factory({
  instantiateWasm(imports, receive) {
    WebAssembly.instantiate(wasmBytes, imports).then((r) => receive(r.instance, r.module));
    return {};
  },
});

const require = createRequire(resolve(here, 'package.json'));
const hubspot = require('@hubspot/api-client');
const peerVersion = require('@hubspot/api-client/package.json').version;
const oauth = new hubspot.Client().oauth;

const b = JSON.parse(readFileSync(resolve(here, '../inputs.json'), 'utf8')).build;
const options = { clientId: b.client_id, redirectUri: b.redirect_uri, scopes: b.scopes, optionalScopes: b.optional_scopes, state: b.state, host: b.host };
// The binding alone, lists joined beforehand the way index.js sends them: embind + core, no wrapper.
const joined = [`${b.scopes.join('\0')}\0`, `${b.optional_scopes.join('\0')}\0`];
const jobs = {
  hsinstall: () => hs.buildInstallUrl(options).url,
  binding: () => raw.install_url_build(b.client_id, b.redirect_uri, joined[0], joined[1], b.state, b.host, ''),
  peer: () => oauth.getAuthorizationUrl(b.client_id, b.redirect_uri, b.scopes.join(' '), b.optional_scopes.join(' '), b.state),
};

// Same URL from both: same parameters once parsed.
const ours = new URL(jobs.hsinstall());
const theirs = new URL(jobs.peer());
const params = (u) => JSON.stringify([...u.searchParams].sort());
if (ours.origin + ours.pathname !== theirs.origin + theirs.pathname || params(ours) !== params(theirs)) {
  console.error(`bench: the two URLs differ:\n  hsinstall ${ours}\n  peer      ${theirs}`);
  process.exit(1);
}
if (!jobs.binding().endsWith(String(ours))) throw new Error('bench: the raw binding built another URL');

// Rounds alternate between the jobs; each job's figure is its median round.
function round(f, n) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t) / n;
}
const calibrate = (f) => {
  let n = 1000;
  while (round(f, n) * n < 20e6) n *= 2; // 20 ms rounds
  return n;
};
const sizes = Object.fromEntries(Object.entries(jobs).map(([k, f]) => [k, calibrate(f)]));
const samples = Object.fromEntries(Object.keys(jobs).map((k) => [k, []]));
const deadline = process.hrtime.bigint() + BigInt(Math.round(minTime * 3 * 1e9));
do for (const [k, f] of Object.entries(jobs)) samples[k].push(round(f, sizes[k]));
while (process.hrtime.bigint() < deadline || samples.peer.length < 7);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ns = Object.fromEntries(Object.entries(samples).map(([k, a]) => [k, median(a)]));
const ratio = ns.hsinstall / ns.peer;

const fmt = (x) => `${x.toFixed(0).padStart(7)} ns/call  ${(1e9 / x / 1e3).toFixed(1).padStart(7)}k calls/s`;
console.log(`validate + build an install URL (${b.scopes.length} scopes, ${b.optional_scopes.length} optional), Node ${process.version}, median of ${samples.peer.length} rounds`);
console.log(`  hsinstall buildInstallUrl (wasm)          ${fmt(ns.hsinstall)}   validates scopes, redirect, client id, text; builds`);
console.log(`  @hubspot/api-client ${peerVersion} getAuthorizationUrl ${fmt(ns.peer)}   builds only (querystring.stringify)`);
console.log(`  ratio (time, hsinstall / peer): ${ratio.toFixed(2)}   target <= 1.00: ${ratio <= 1 ? 'met' : 'MISSED'}`);
console.log('where hsinstall\'s time goes:');
console.log(`  embind call + core in wasm (the binding alone)  ${ns.binding.toFixed(0).padStart(7)} ns`);
console.log(`  JS wrapper (index.js: options, lists, result)   ${Math.max(0, ns.hsinstall - ns.binding).toFixed(0).padStart(7)} ns   (the difference; noisy at this size)`);
console.log('  (bench/wasm/run --profile splits the binding\'s time into embind glue, binding C++ and core)');

// What a page loads: the .wasm, and the JS (Emscripten glue + index.js).
const file = (p) => readFileSync(resolve(moduleDir, p));
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const br = (buf) => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const js = Buffer.concat([file('dist/hsinstall.mjs'), file('index.js')]);
const wasm = file('dist/hsinstall.wasm');
console.log('what a page loads (bytes: raw, gzip -9, brotli 11):');
console.log(`  dist/hsinstall.wasm                 ${String(wasm.length).padStart(7)} ${String(gz(wasm)).padStart(7)} ${String(br(wasm)).padStart(7)}`);
console.log(`  JS: dist/hsinstall.mjs + index.js   ${String(js.length).padStart(7)} ${String(gz(file('dist/hsinstall.mjs')) + gz(file('index.js'))).padStart(7)} ${String(br(file('dist/hsinstall.mjs')) + br(file('index.js'))).padStart(7)}   (gzip: ${gz(file('dist/hsinstall.mjs'))} glue + ${gz(file('index.js'))} wrapper)`);
console.log(`  total                               ${String(wasm.length + js.length).padStart(7)} ${String(gz(wasm) + gz(file('dist/hsinstall.mjs')) + gz(file('index.js'))).padStart(7)} ${String(br(wasm) + br(file('dist/hsinstall.mjs')) + br(file('index.js'))).padStart(7)}`);

if (profileOut) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  const end = process.hrtime.bigint() + BigInt(Math.round(minTime * 1e9));
  while (process.hrtime.bigint() < end) round(jobs.hsinstall, 1000);
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileOut, JSON.stringify(profile));
  console.log(`CPU profile of buildInstallUrl: ${profileOut}`);
}
