// Compiled (not run) against wasm/hook/index.d.ts by scripts/test-wasm, from the packed
// package: the hook's declarations cover the stores, the key ring and the commands.
import { createHook, sqliteStore, pgStore, parseKeyRing, keyId, rotateKey, migrateStore, HookError, HookConfigError, type Hook, type OwnStore, type KeyRing } from 'hsinstall/hook';
async function main(): Promise<void> {
  const ring: KeyRing = parseKeyRing('00'.repeat(32));
  const id: string = keyId(new Uint8Array(32));
  const sealed: string = ring.seal('access_token', 1, 'x');
  const s: OwnStore = await sqliteStore('/tmp/x.db', { keys: ring });
  const moved: number = await s.rotateKey({ batch: 10 });
  const p = await pgStore('postgresql://app@/hsinstall?host=/run/postgresql', { keys: '00'.repeat(32), max: 4 });
  await p.close();
  const n: number = await rotateKey('sqlite:///x.db', ring);
  const copied = await migrateStore('sqlite:///x.db', 'postgresql://app@/db', ring);
  const c: number = copied.attempts + copied.installsKept;
  const hook: Hook = await createHook({ store: 'postgresql://app@/db', tokenKey: '00'.repeat(32), storeRetryMs: 5000, poolSize: 5 });
  const kept: number = hook.keptAttempts;
  await hook.flushAttempts();
  try { await hook.getAccessToken(1); } catch (e) { if (e instanceof HookError && e.code === 'hook.store_unavailable' && e.retryable) return; if (e instanceof HookConfigError) console.log(e.setting); }
  console.log(id, sealed, moved, n, c, kept);
}
void main;
