#!/usr/bin/env node
// hsinstall-hook: the Node hook's commands (docs/hook.md, "Commands"), settings from the
// HSINSTALL_* environment as the hook's:
//
//   npx hsinstall-hook serve [--host 127.0.0.1] [--port 8030] [--prefix /hook]   the hook (as hook/serve.js)
//   npx hsinstall-hook rotate-key                       re-seal every install row with HSINSTALL_TOKEN_KEY's first key
//   npx hsinstall-hook migrate-store --from URL --to URL  copy installs, states, codes and attempts between stores
//
// A wrong setting or argument exits with status 2 and a message naming it; a store that
// cannot be reached, with status 1.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { HookConfigError, HookError, safeUrl } from './errors.js';
import { storeSettings } from './settings.js';
import { migrateStore, rotateKey } from './commands.js';

const USAGE = `usage: hsinstall-hook serve [--host 127.0.0.1] [--port 8030] [--prefix /hook]
       hsinstall-hook rotate-key
       hsinstall-hook migrate-store --from URL --to URL
settings: the HSINSTALL_* environment variables of docs/hook.md (rotate-key and
migrate-store need HSINSTALL_TOKEN_KEY; rotate-key also HSINSTALL_STORE)
`;

const out = (text) => process.stdout.write(`${text}\n`);
function fail(e) {
  const known = e instanceof HookConfigError || e instanceof HookError || e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || e.usage;
  process.stderr.write(`hsinstall-hook: ${e.message}\n`);
  if (!known && process.env.HSINSTALL_HOOK_DEBUG) console.error(e);
  process.exit(e instanceof HookConfigError || e.usage || String(e.code).startsWith('ERR_PARSE_ARGS') ? 2 : 1);
}
const usage = (message) => Object.assign(new Error(`${message}\n${USAGE}`), { usage: true });

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'serve') {
    // serve.js reads its own arguments: hand it the rest.
    process.argv = [process.argv[0], fileURLToPath(new URL('./serve.js', import.meta.url)), ...rest];
    await import('./serve.js');
  } else if (command === 'rotate-key') {
    parseArgs({ args: rest, options: {} });
    const s = storeSettings({ env: process.env });
    const moved = await rotateKey(s.store, s.keys);
    out(`re-sealed ${moved} install row${moved === 1 ? '' : 's'} with key id ${s.keys.sealId} in ${safeUrl(s.store)}`);
  } else if (command === 'migrate-store') {
    const { values } = parseArgs({ args: rest, options: { from: { type: 'string' }, to: { type: 'string' } } });
    if (!values.from || !values.to) throw usage('migrate-store needs --from URL and --to URL');
    const { keys } = storeSettings({ env: process.env, store: values.from });
    const n = await migrateStore(values.from, values.to, keys);
    out(
      `copied from ${safeUrl(values.from)} to ${safeUrl(values.to)}: ${n.installs} installs (${n.installsKept} kept as they were: ` +
        `the target's as new or newer, or already copied), ${n.states} states, ${n.codes} codes, ${n.attempts} attempts`,
    );
  } else if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    if (command === undefined) process.exit(2);
  } else throw usage(`unknown command ${JSON.stringify(command)}`);
} catch (e) {
  fail(e);
}
