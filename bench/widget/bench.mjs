// The install button's cost to a page (issue 3, bench 5(a) and 5(c)):
//  (a) weight: gzip -9 bytes of what a page loads before the button is clickable and of
//      everything the widget loads in all, beside @nangohq/frontend and oauth4webapi bundled
//      minified with esbuild (each whole package: `export *` from its entry);
//  (c) page load: the same page with the widget and with a plain link, in Debian's headless
//      Chromium (playwright-core), load-event time and LCP, median of alternating runs with a
//      fresh context each (no cache), on raw loopback and under an emulated network; printed
//      as ratios (widget / plain).
// Usage: bench/widget/run [--runs N]   (N defaults to 15 per page and network)
import http from 'node:http';
import { readFile, mkdir, writeFile, rm } from 'node:fs/promises';
import { gzipSync, deflateSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const outDir = path.join(here, 'out');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 15;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.html': 'text/html; charset=utf-8' };
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const hs = await import(pathToFileURL(path.join(root, 'wasm/index.js')).href);
const core = await hs.load();

// ---- the pages --------------------------------------------------------------
let origin = '';
const fields = () => ({
  clientId: '0f3e4c2a-1b2c-4d5e-8f90-123456789abc',
  redirectUri: `${origin}/callback`,
  scopes: ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write'],
  optionalScopes: ['crm.objects.deals.read'],
});
const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
const snippet = () => {
  const f = fields();
  const href = core.buildInstallUrl(f).url; // what `hsinstall url` prints
  return `<hubspot-install-button client-id="${f.clientId}" redirect-uri="${esc(f.redirectUri)}" scopes="${f.scopes.join(' ')}" optional-scopes="${f.optionalScopes.join(' ')}" hook="/hook/exchange" preview><a href="${esc(href)}">Install in HubSpot</a></hubspot-install-button>`;
};
const WIDGET_CSS = '<link rel="stylesheet" href="/wasm/widget/hubspot-install-button.css">';
const WIDGET_JS = '<script type="module" async src="/wasm/widget/hubspot-install-button.js"></script>';
// Pages: `minimal` has no subresource of its own (the worst case for any widget: every request
// it adds is the only one); `typical` has what a marketing page has (its stylesheet, a hero
// image, a deferred script). Variants: plain (a plain link), widget (the README snippet: the
// widget's CSS linked, the bootstrap module), widget-css-in-site (the widget's CSS copied into
// the site's stylesheet, so the only added request is the deferred bootstrap).
const page = (kind, variant) => {
  const f = fields();
  const widget = variant !== 'plain';
  const button = widget ? snippet() : `<a class="install" href="${esc(core.buildInstallUrl(f).url)}">Install in HubSpot</a>`;
  const typical = kind === 'typical';
  const head = [
    typical ? `<link rel="stylesheet" href="/site/site.css${variant === 'widget-css-in-site' ? '?with-widget' : ''}">` : '<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#33475b}main{max-width:40em;margin:2em auto;padding:0 1em}</style>',
    widget && variant !== 'widget-css-in-site' ? WIDGET_CSS : '',
    widget ? WIDGET_JS : '',
    typical ? '<script defer src="/site/site.js"></script>' : '',
  ].filter(Boolean).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Acme for HubSpot</title>
${head}
</head><body><main>
<h1>Acme for HubSpot: your contacts, in sync, both ways</h1>
${typical ? '<img src="/site/hero.png" width="640" height="320" alt="Acme and HubSpot, side by side">' : ''}
<p>Acme keeps your HubSpot contacts and your Acme accounts in step. Install the app, pick what to sync, done.</p>
<p>${button}</p>
${'<p>Acme works with every HubSpot tier. It reads and writes contacts, and reads deals if you let it. Nothing else.</p>\n'.repeat(6)}
</main></body></html>`;
};

// The typical page's own files: a stylesheet, a script and a hero image (a PNG made here).
const siteCss = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#33475b}main{max-width:40em;margin:2em auto;padding:0 1em}img{max-width:100%;height:auto}\n` +
  Array.from({ length: 300 }, (_, i) => `.c${i}{margin:${i % 7}px;padding:${i % 5}px;color:#${(i * 4099).toString(16).padStart(6, '0').slice(-6)}}`).join('\n');
const siteJs = `(function(){var n=0;${Array.from({ length: 400 }, (_, i) => `function f${i}(x){return x*${i}+${i % 13}}n+=f${i}(${i});`).join('')}window.__site=n;})();`;
function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((w * 3 + 1) * h);
  let seed = 7;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255) / w;
      raw[o + 1] = (y * 255) / h;
      raw[o + 2] = 180 + (seed % 40);
    }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const heroPng = png(640, 320);
let widgetCss = '';

const server = http.createServer(async (req, res) => {
  const u = new URL(req.url, origin);
  const send = (status, type, body) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const m = /^\/(minimal|typical)\/(plain|widget|widget-css-in-site)$/.exec(u.pathname);
  if (m) return send(200, TYPES['.html'], page(m[1], m[2]));
  if (u.pathname === '/site/site.css') return send(200, TYPES['.css'], u.searchParams.has('with-widget') ? `${siteCss}\n${widgetCss}` : siteCss);
  if (u.pathname === '/site/site.js') return send(200, TYPES['.js'], siteJs);
  if (u.pathname === '/site/hero.png') return send(200, 'image/png', heroPng);
  if (u.pathname === '/favicon.ico') return send(204, 'image/x-icon', '');
  if (u.pathname.startsWith('/wasm/')) {
    const base = path.join(root, 'wasm');
    const p = path.resolve(base, '.' + path.posix.normalize(u.pathname.slice(5)));
    if (!p.startsWith(base + path.sep)) return send(403, 'text/plain', 'no');
    try {
      return send(200, TYPES[path.extname(p)] || 'application/octet-stream', await readFile(p));
    } catch {
      return send(404, 'text/plain', 'not found');
    }
  }
  send(404, 'text/plain', 'not found');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
// 127.0.0.1, not localhost: no IPv6-then-IPv4 connection fallback in the timings.
origin = `http://127.0.0.1:${server.address().port}`;
widgetCss = await readFile(path.join(root, 'wasm/widget/hubspot-install-button.css'), 'utf8');

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
const results = { date: new Date().toISOString(), chromium: browser.version(), runs: RUNS };

try {
  // ---- (a) weight ---------------------------------------------------------------
  const file = async (rel) => {
    const buf = await readFile(path.join(root, rel));
    return { file: rel, bytes: buf.length, gzip: gz(buf) };
  };
  const snippetBytes = Buffer.from(snippet());
  const before = [{ file: '(the HTML snippet)', bytes: snippetBytes.length, gzip: gz(snippetBytes) }, await file('wasm/widget/hubspot-install-button.css'), await file('wasm/widget/hubspot-install-button.js')];

  // What a real page load fetches for the widget, in Chromium, until it is enhanced.
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  const fetched = [];
  p.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin === origin && u.pathname.startsWith('/wasm/')) fetched.push(u.pathname);
  });
  await p.goto(`${origin}/minimal/widget`);
  const enhanced = await p.evaluate(() => customElements.whenDefined('hubspot-install-button').then(() => document.querySelector('hubspot-install-button').load()).then((x) => x !== null));
  await ctx.close();
  if (!enhanced) throw new Error('the widget did not enhance on the bench page');
  const all = [before[0]];
  for (const f of [...new Set(fetched)]) all.push(await file(f.slice(1)));
  const sum = (xs, k) => xs.reduce((a, x) => a + x[k], 0);

  // The same JS as a site's bundler would ship it: esbuild, minified, split at the lazy import.
  await rm(path.join(outDir, 'widget-min'), { recursive: true, force: true });
  const built = await esbuild.build({
    entryPoints: [path.join(root, 'wasm/widget/hubspot-install-button.js')],
    bundle: true, minify: true, format: 'esm', splitting: true, write: true, metafile: true,
    outdir: path.join(outDir, 'widget-min'), logLevel: 'silent',
    // The Emscripten glue (ENVIRONMENT=web,node) names Node's fs and path in its Node branch;
    // a browser bundle must leave them out.
    external: ['fs', 'path'],
  });
  const minFiles = [];
  for (const [f, meta] of Object.entries(built.metafile.outputs)) {
    const buf = await readFile(path.resolve(process.cwd(), f));
    minFiles.push({ file: path.relative(outDir, path.resolve(process.cwd(), f)), bytes: buf.length, gzip: gz(buf), entry: !!meta.entryPoint });
  }
  const minEntry = minFiles.find((f) => f.entry);
  const wasmFile = await file('wasm/dist/hsinstall.wasm');
  const cssFile = before[1];

  // Peers: each package bundled whole, minified.
  const peer = async (name) => {
    const r = await esbuild.build({ stdin: { contents: `export * from '${name}';`, resolveDir: here, loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
    const buf = Buffer.from(r.outputFiles[0].contents);
    const pkg = JSON.parse(await readFile(path.join(here, 'node_modules', name, 'package.json'), 'utf8'));
    return { name: `${name}@${pkg.version}`, bytes: buf.length, gzip: gz(buf) };
  };
  const peers = [await peer('@nangohq/frontend'), await peer('oauth4webapi')];

  results.weight = {
    beforeClickable: before,
    beforeClickableGzip: sum(before, 'gzip'),
    all,
    allGzip: sum(all, 'gzip'),
    minified: { files: minFiles, beforeClickableGzip: before[0].gzip + cssFile.gzip + minEntry.gzip, allGzip: before[0].gzip + cssFile.gzip + sum(minFiles, 'gzip') + wasmFile.gzip },
    peers,
  };

  console.log('\n(a) weight, gzip -9 bytes (each file as served)');
  console.log('  before the button is clickable (it is a plain <a href> from first paint; the CSS is render-blocking, the bootstrap is a deferred module):');
  for (const f of before) console.log(`    ${f.file.padEnd(44)} ${String(f.bytes).padStart(7)} B  ${String(f.gzip).padStart(6)} gzip`);
  console.log(`    ${'total'.padEnd(44)} ${''.padStart(9)}  ${String(sum(before, 'gzip')).padStart(6)} gzip = ${kb(sum(before, 'gzip'))}   target <= 4 KB: ${sum(before, 'gzip') <= 4096 ? 'met' : 'NOT met'}`);
  console.log('  everything the widget loads (as fetched by Chromium until enhanced):');
  for (const f of all) console.log(`    ${f.file.padEnd(44)} ${String(f.bytes).padStart(7)} B  ${String(f.gzip).padStart(6)} gzip`);
  console.log(`    ${'total'.padEnd(44)} ${''.padStart(9)}  ${String(sum(all, 'gzip')).padStart(6)} gzip = ${kb(sum(all, 'gzip'))}   target <= 25 KB: ${sum(all, 'gzip') <= 25600 ? 'met' : 'NOT met'}`);
  console.log(`    of which the wasm: ${kb(wasmFile.gzip)} gzip; everything but the wasm: ${kb(sum(all, 'gzip') - wasmFile.gzip)} gzip`);
  console.log('  the same JS bundled by esbuild (minified, split at the lazy import), for a site that bundles:');
  console.log(`    before clickable ${kb(results.weight.minified.beforeClickableGzip)}; in all ${kb(results.weight.minified.allGzip)} (wasm included)`);
  console.log('  peers, whole package bundled minified with esbuild:');
  for (const x of peers) console.log(`    ${x.name.padEnd(44)} ${String(x.bytes).padStart(7)} B  ${String(x.gzip).padStart(6)} gzip = ${kb(x.gzip)}`);

  // ---- (c) page load -------------------------------------------------------------
  const NETWORKS = [
    { name: 'loopback', conditions: null },
    { name: 'emulated 4G (40 ms RTT, 10 Mbit/s down)', conditions: { offline: false, latency: 40, downloadThroughput: (10e6 / 8) | 0, uploadThroughput: (5e6 / 8) | 0 } },
  ];
  const measure = async (url, conditions) => {
    const c = await browser.newContext();
    const pg = await c.newPage();
    if (conditions) {
      const cdp = await c.newCDPSession(pg);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', conditions);
    }
    await pg.addInitScript(() => {
      window.__lcp = 0;
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__lcp = e.startTime;
      }).observe({ type: 'largest-contentful-paint', buffered: true });
    });
    await pg.goto(`${origin}${url}`, { waitUntil: 'load' });
    await pg.waitForTimeout(50);
    const m = await pg.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return { load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : 0, lcp: window.__lcp };
    });
    if (!url.endsWith('/plain'))
      m.enhanced = await pg.evaluate(() => document.querySelector('hubspot-install-button').load().then(() => performance.now()));
    await c.close();
    return m;
  };
  const COMPARE = [
    ['minimal', 'widget'],
    ['typical', 'widget'],
    ['typical', 'widget-css-in-site'],
  ];
  results.pageLoad = [];
  console.log(`\n(c) page load: the page with the widget / the same page with a plain link; median of ${RUNS} interleaved runs per page (fresh context, no cache)`);
  for (const net of NETWORKS) {
    const urls = [...new Set(COMPARE.flatMap(([k, v]) => [`/${k}/plain`, `/${k}/${v}`]))];
    for (const u of urls) await measure(u, net.conditions); // warm-up
    const runs = Object.fromEntries(urls.map((u) => [u, []]));
    for (let i = 0; i < RUNS; i++) {
      const order = i % 2 ? [...urls].reverse() : urls;
      for (const u of order) runs[u].push(await measure(u, net.conditions));
    }
    const med = (u, k) => median(runs[u].map((r) => r[k]));
    console.log(`  ${net.name}:`);
    for (const [kind, variant] of COMPARE) {
      const w = `/${kind}/${variant}`, p0 = `/${kind}/plain`;
      const row = { network: net.name, page: kind, variant };
      for (const k of ['dcl', 'load', 'fcp', 'lcp']) row[k] = { widget: med(w, k), plain: med(p0, k), ratio: med(w, k) / med(p0, k) };
      row.enhanced = med(w, 'enhanced');
      results.pageLoad.push(row);
      const r = (k) => `${row[k].widget.toFixed(0).padStart(4)}/${row[k].plain.toFixed(0).padStart(4)} ms = ${row[k].ratio.toFixed(3)}`;
      console.log(`    ${`${kind} page, ${variant}`.padEnd(36)} load ${r('load')} ${row.load.ratio <= 1.05 ? '(met)' : '(NOT met)'}   LCP ${r('lcp')} ${row.lcp.ratio <= 1.05 ? '(met)' : '(NOT met)'}   DCL ${r('dcl')}   enhanced at ${row.enhanced.toFixed(0)} ms`);
    }
  }
  console.log('  target: load and LCP within 5% of the plain page (ratio <= 1.05); "enhanced" = wasm loaded and href checked, on idle after the load event.');
} finally {
  await browser.close();
  server.close();
}
await mkdir(outDir, { recursive: true });
await writeFile(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`\nresults: ${path.relative(root, path.join(outDir, 'results.json'))}`);
