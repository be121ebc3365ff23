#!/usr/bin/env node
// Where buildInstallUrl's time goes, from a CPU profile written by
// `bench.mjs --profile` over a module built with function names
// (target hsinstall_wasm_profile). Each sample is charged to the nearest frame,
// leaf first, that belongs to one layer:
//   index.js         the hand-written wrapper
//   embind glue      the Emscripten JS that converts arguments and results
//   binding (C++)    wasm/src/bindings.cpp and embind's C++ side (lists, copies, JSON text)
//   core (C++)       hsinstall::*, with the libc++, malloc and memcpy it calls
// and the core's own time is split by function (top entries; the optimiser merges
// identical tiny functions, so such a leaf may carry another function's name).
//
//   node profile.mjs PROFILE.cpuprofile
import { readFileSync } from 'node:fs';

const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);

function layer(frame) {
  const { url, functionName: f } = frame;
  if (url.endsWith('/index.js')) return 'index.js (wrapper)';
  if (url.endsWith('/hsinstall.mjs')) return 'embind glue (JS)';
  if (url.startsWith('wasm://')) {
    if (f.startsWith('hsinstall::')) return 'core (C++)';
    if (f.startsWith('(anonymous namespace)::') || f.startsWith('emscripten::')) return 'binding (C++)';
  }
  if (f === '(garbage collector)') return 'garbage collector';
  return null;
}

const layers = new Map();
const coreLeaf = new Map();
let total = 0;
for (const id of profile.samples) {
  const leaf = byId.get(id);
  if (leaf.callFrame.functionName === '(idle)' || leaf.callFrame.functionName === '(program)') continue;
  total++;
  let owner = null;
  for (let n = leaf; n && !owner; n = byId.get(parent.get(n.id))) owner = layer(n.callFrame);
  owner = owner || 'other (bench loop, Node)';
  layers.set(owner, (layers.get(owner) || 0) + 1);
  if (owner === 'core (C++)') {
    const name = leaf.callFrame.functionName.replace(/\(anonymous namespace\)/g, '{anon}').replace(/\(.*$/, '').replace(/std::__2::basic_string<char.*?>\s*>/g, 'std::string').slice(0, 70);
    coreLeaf.set(name, (coreLeaf.get(name) || 0) + 1);
  }
}
const pct = (n) => `${((100 * n) / total).toFixed(1).padStart(5)}%`;
console.log(`buildInstallUrl, ${total} samples:`);
for (const [k, n] of [...layers].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(n)}  ${k}`);
console.log('inside the core (self time, top 12; leaf functions out of line at -Oz):');
for (const [k, n] of [...coreLeaf].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(n)}  ${k}`);
