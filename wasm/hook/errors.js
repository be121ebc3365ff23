// The hook's errors, shared by the hook, its stores and its commands.

/** A failed hook call: `code` is the core's diagnostic code or one of the hook's own (docs/hook.md, "Outcomes"). */
export class HookError extends Error {
  constructor(code, message, options = {}) {
    super(message);
    this.name = 'HookError';
    this.code = code;
    this.retryable = Boolean(options.retryable);
    if (options.diagnostics) this.diagnostics = options.diagnostics;
    if (options.cause) this.cause = options.cause;
  }
}

/** A missing or invalid setting; `setting` names the variable (or option). */
export class HookConfigError extends Error {
  constructor(setting, message) {
    super(`${setting}: ${message}`);
    this.name = 'HookConfigError';
    this.setting = setting;
  }
}

/** The store cannot be reached (refused, restarting, a dropped connection): retryable, nothing was done. */
export const storeUnavailable = (why, cause) =>
  new HookError('hook.store_unavailable', `The install store cannot be reached (${why}); try again in a moment.`, { retryable: true, cause });

/** A stored row that does not open (tampered, or sealed by a key this process does not hold). */
export const storeCorrupt = (why) => new HookError('hook.store_corrupt', `A stored install does not open: ${why}.`);

/**
 * A store URL fit for a message (and so for the attempt log and its CSV): no password, in the
 * user-info part (`user:pw@`, up to the last `@` before the path) or in the query
 * (`password=`, `sslpassword=`, `passfile=` and the like).
 */
export function safeUrl(url) {
  let u = String(url);
  const start = u.indexOf('://') + 3;
  const end = u.slice(start).search(/[?#]|$/) + start; // the authority and path, before any query
  const at = u.lastIndexOf('@', end - 1);
  const colon = u.indexOf(':', start);
  if (start > 2 && at >= start && colon >= start && colon < at) u = `${u.slice(0, colon)}:***${u.slice(at)}`;
  return u.replace(/([?&][^=&#]*pass[^=&#]*=)[^&#]*/gi, '$1***');
}
