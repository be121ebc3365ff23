#!/usr/bin/env node
// The Node hook on its own, settings from the HSINSTALL_* environment (docs/hook.md):
//
//   node node_modules/hsinstall/hook/serve.js [--host 127.0.0.1] [--port 8030] [--prefix /hook]
//   npx hsinstall-hook serve [...]                  (the same, through hook/cli.js)
//
// Prints "hsinstall hook listening on http://HOST:PORT[/PREFIX]" as its first line (--port 0
// picks a free port); a wrong setting exits with status 2 and a message naming the
// variable. JSON-lines logs go to stderr. Stops on SIGINT or SIGTERM.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { createHook, HookConfigError, HookError } from './index.js';

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8030' },
      prefix: { type: 'string', default: '/' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (e) {
  process.stderr.write(`hsinstall hook: ${e.message}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write('usage: node hook/serve.js [--host 127.0.0.1] [--port 8030] [--prefix /hook]\nsettings: the HSINSTALL_* environment variables of docs/hook.md\n');
  process.exit(0);
}
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`hsinstall hook: --port ${args.port} is not a port\n`);
  process.exit(2);
}
const prefix = args.prefix.replace(/^\/*/, '/').replace(/\/+$/, '');

let hook;
try {
  hook = await createHook({ basePath: prefix });
} catch (e) {
  if (!(e instanceof HookConfigError) && !(e instanceof HookError)) throw e;
  // A wrong setting, or a store that cannot be reached at start (hook.store_unavailable).
  process.stderr.write(`hsinstall hook: ${e.message}\n`);
  process.exit(2);
}

const server = createServer(hook.handler);
server.listen(port, args.host, () => {
  const { port: bound } = server.address();
  const host = args.host.includes(':') ? `[${args.host}]` : args.host;
  process.stdout.write(`hsinstall hook listening on http://${host}:${bound}${prefix}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    server.close(() => hook.close().then(() => process.exit(0)));
    server.closeAllConnections();
  });
