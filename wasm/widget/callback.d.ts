// Types of the callback helper (wasm/widget/callback.js), for the page at the redirect URI.
import type { Diagnostic } from '../index.js';

export interface HandleInstallCallbackOptions {
  /** URL of the server hook; receives POST {code, state, redirect_uri} as JSON and answers {portal_id, scopes} (2xx) or {error: {code, message}}. */
  hook: string;
  /** Where the outcome is shown: an element or a selector. Default: [data-hsinstall-result], else document.body. */
  target?: Element | string;
  /** Popup flow: the exact origin of the page with the button (default: this page's origin). */
  openerOrigin?: string;
  /** The callback URL (default: location.href, which is then cleaned of its query). */
  url?: string;
  /** Milliseconds to wait for an opener's acknowledgement (default 2000). */
  handOffWait?: number;
}

export interface CallbackError {
  /** A core diagnostic code (callback.state_mismatch, callback.access_denied, state.expired, ...) or widget.* */
  code: string;
  message: string;
  diagnostics: Diagnostic[];
}

export type CallbackOutcome =
  | { ok: true; handedOff?: false; portalId: number | string | null; scopes: string[]; result: Record<string, unknown> }
  | { ok: true; handedOff: true }
  | { ok: false; error: CallbackError };

/** Handles HubSpot's redirect back; never rejects. Fires hsinstall:success / hsinstall:error on the target. */
export function handleInstallCallback(options: HandleInstallCallbackOptions): Promise<CallbackOutcome>;
