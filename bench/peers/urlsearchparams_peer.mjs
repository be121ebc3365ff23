#!/usr/bin/env node
// The four hsinstall jobs done the way Node users do them, with the platform's
// WHATWG URL / URLSearchParams, JSON.parse and crypto.timingSafeEqual (Node 20):
//   build_install_url  URLSearchParams after a minimal presence/scheme check
//                      (its serializer writes spaces as '+', not HubSpot's %20)
//   parse_install_url  new URL + searchParams.get, then the fields picked out
//   parse_callback     new URL + searchParams.get + timingSafeEqual on the state
//   lint_config        JSON.parse + a few property lookups and type checks
// Reads the inputs shared with hsinstall_bench (default: ../inputs.json next to
// this file) and prints JSON: ops/sec per job, the same format as urllib_peer.py.
//
//   node urlsearchparams_peer.mjs [INPUTS_JSON] [--min-time SECONDS]
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function buildInstallUrl(rq) {
  // Minimal check: presence and the redirect's scheme. No scope catalogue, no
  // redirect rules beyond that, no client id shape.
  if (!rq.client_id || rq.scopes.length === 0 || !rq.state) throw new Error('missing field');
  const redirect = new URL(rq.redirect_uri);
  if ((redirect.protocol !== 'https:' && redirect.protocol !== 'http:') || !redirect.host) throw new Error('bad redirect_uri');
  const params = new URLSearchParams({
    client_id: rq.client_id,
    redirect_uri: rq.redirect_uri,
    scope: rq.scopes.join(' '),
  });
  if (rq.optional_scopes.length > 0) params.set('optional_scope', rq.optional_scopes.join(' '));
  params.set('state', rq.state);
  return `https://${rq.host}/oauth/authorize?${params}`;
}

function parseInstallUrl(text) {
  const url = new URL(text);
  if (url.protocol !== 'https:' || url.hostname !== 'app.hubspot.com') throw new Error('not a HubSpot install URL');
  const q = url.searchParams;
  const scope = q.get('scope');
  const optional = q.get('optional_scope');
  return {
    client_id: q.get('client_id'),
    redirect_uri: q.get('redirect_uri'),
    scopes: scope ? scope.split(' ').filter(Boolean) : [],
    optional_scopes: optional ? optional.split(' ').filter(Boolean) : [],
    state: q.get('state'),
  };
}

function parseCallback(text, expectedState) {
  const q = new URL(text).searchParams;
  const state = Buffer.from(q.get('state') ?? '');
  const expected = Buffer.from(expectedState);
  if (state.length !== expected.length || !timingSafeEqual(state, expected)) throw new Error('state mismatch');
  const error = q.get('error');
  if (error) throw new Error(error);
  const code = q.get('code');
  if (!code) throw new Error('no code');
  return code;
}

function lintConfig(text) {
  const doc = JSON.parse(text);
  const config = doc.config;
  const auth = config.auth;
  if (doc.type !== 'app' || typeof doc.uid !== 'string') throw new Error('not an app component');
  if (typeof config.name !== 'string') throw new Error('no name');
  const required = auth.requiredScopes;
  const redirects = auth.redirectUrls;
  if (!Array.isArray(required) || required.length === 0 || !Array.isArray(redirects) || redirects.length === 0)
    throw new Error('no scopes or redirect URLs');
  return config.name;
}

// Results go into a sink the optimizer cannot see through, so no call is dropped.
let sink = 0;
function consume(v) {
  sink = (sink + (typeof v === 'string' ? v.length : 1)) | 0;
}

// Runs fn in batches, growing the batch until one takes minTime; ops/sec of that batch.
function measure(fn, minTime) {
  consume(fn()); // warm-up (and a correctness check: throws on a bad input)
  let n = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; ++i) consume(fn());
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    if (elapsed >= minTime) return { ops_per_sec: n / elapsed, iterations: n, seconds: elapsed };
    // Aim a little past minTime, growing at most tenfold a step, as Google Benchmark does.
    n = elapsed > 0 ? Math.min(n * 10, Math.max(n * 2, Math.floor((n * minTime * 1.4) / elapsed))) : n * 10;
  }
}

function main(argv) {
  const here = dirname(fileURLToPath(import.meta.url));
  let inputsPath = join(here, '..', 'inputs.json');
  let minTime = 0.5;
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--min-time') minTime = Number(argv[++i]);
    else inputsPath = argv[i];
  }
  const inputs = JSON.parse(readFileSync(inputsPath, 'utf8'));
  const configText = readFileSync(resolve(dirname(resolve(inputsPath)), inputs.config.path), 'utf8'); // once, untimed

  const rq = inputs.build;
  const url = inputs.install_url;
  const cbUrl = inputs.callback.url;
  const expected = inputs.callback.expected_state;
  const jobs = {
    build_install_url: () => buildInstallUrl(rq),
    parse_install_url: () => parseInstallUrl(url),
    parse_callback: () => parseCallback(cbUrl, expected),
    lint_config: () => lintConfig(configText),
  };
  const parsed = parseInstallUrl(url);
  const out = {
    peer: 'URLSearchParams',
    runtime: `Node ${process.version}`,
    min_time: minTime,
    outputs: {
      built_url: buildInstallUrl(rq),
      parsed_scopes: `${parsed.scopes.length}+${parsed.optional_scopes.length}`,
      callback_code: parseCallback(cbUrl, expected),
      config_name: lintConfig(configText),
    },
    jobs: {},
  };
  for (const [name, fn] of Object.entries(jobs)) out.jobs[name] = measure(fn, minTime);
  out.sink = sink;
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main(process.argv.slice(2));
