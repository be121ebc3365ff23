// PostgreSQL for the Node store tests: HSINSTALL_TEST_PG names a database in a cluster whose
// user may CREATE DATABASE (scripts/test-wasm starts a throwaway one with tests/pg/pgtmp
// when it is unset). Each test makes its own databases (hst_<random>) and drops them. A
// missing HSINSTALL_TEST_PG fails: the PostgreSQL tests are never skipped silently.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import pg from '../../wasm/node_modules/pg/lib/index.js';

export { pg };
export const ROOT = new URL('../../', import.meta.url).pathname;
export const PGTMP = new URL('tests/pg/pgtmp', new URL('../../', import.meta.url)).pathname;

/** The cluster's URL; throws (failing the test) when HSINSTALL_TEST_PG is unset. */
export function testPg() {
  const url = process.env.HSINSTALL_TEST_PG;
  if (!url)
    throw new Error('HSINSTALL_TEST_PG is not set: run the Node suite through scripts/test-wasm (it starts a throwaway PostgreSQL with tests/pg/pgtmp), or set it to a database URL whose user may CREATE DATABASE');
  return url;
}

/** `url` with its database name replaced by `name`. */
export function withDatabase(url, name) {
  const m = /^(postgres(?:ql)?:\/\/[^/?#]*)(\/[^?#]*)?(.*)$/i.exec(url);
  if (!m) throw new Error(`not a PostgreSQL URL: ${url}`);
  return `${m[1]}/${name}${m[3]}`;
}

/** Runs `sql` on the database at `url` with a connection of its own. */
export async function sql(url, text, params) {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end().catch(() => {});
  }
}

/** A fresh empty database in the cluster of `base` (default HSINSTALL_TEST_PG): {url, name, drop()}. */
export async function freshDatabase(base = testPg()) {
  const name = `hst_${randomBytes(6).toString('hex')}`;
  await sql(base, `CREATE DATABASE ${name}`);
  return { name, url: withDatabase(base, name), drop: () => sql(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {}) };
}

/**
 * A private cluster of its own (for the tests that stop and start the server): start,
 * down (stopped, the cluster kept), up (started again), restart, remove: all through
 * tests/pg/pgtmp (which runs PostgreSQL's programs as the postgres user when root).
 */
export function privateCluster(dir) {
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout.trim();
  };
  return {
    start: () => run(PGTMP, ['start', dir]),
    down: () => run(PGTMP, ['down', dir]),
    up: () => run(PGTMP, ['start', dir]),
    restart: () => run(PGTMP, ['restart', dir]),
    remove: () => spawnSync(PGTMP, ['stop', dir]),
  };
}
