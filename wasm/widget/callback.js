// The callback helper for the page at the app's redirect URI:
//
//   <script type="module">
//     import { handleInstallCallback } from 'hsinstall/widget/callback';
//     handleInstallCallback({ hook: '/hubspot/install' });
//   </script>
//
// Redirect flow: the core parses the callback against the state this tab stored
// when the button was clicked (single use), then the code goes to the server hook
// as JSON {code, state, redirect_uri}, and the outcome is shown. Popup flow: the
// callback is handed to the window that opened this one (postMessage to an exact
// origin, or a BroadcastChannel when a Cross-Origin-Opener-Policy cut the opener),
// which does the same. The client secret is never here.
import { load } from '../index.js';
import { CHANNEL, pending, forget, exchange, successText, failure, notOurs, fire, loadFailed, WidgetError } from './flow.js';

function place(target) {
  const t = (typeof target === 'string' ? document.querySelector(target) : target) || document.querySelector('[data-hsinstall-result]') || document.body;
  let out = t.querySelector(':scope > .hsinstall-result');
  if (!out) {
    out = document.createElement('div');
    out.className = 'hsinstall-result';
    out.setAttribute('role', 'status');
    out.setAttribute('aria-live', 'polite');
    t.append(out);
  }
  return [t, out];
}

/** Hands the callback to the opener (exact origin) or, failing that, over the BroadcastChannel; true once acknowledged. */
function handOff(url, origin, wait) {
  return new Promise((resolve) => {
    const msg = { type: 'hsinstall:callback', url };
    let bc = null;
    let timer = 0;
    const end = (v) => {
      clearTimeout(timer);
      removeEventListener('message', onMessage);
      if (bc) bc.close();
      resolve(v);
    };
    const onMessage = (e) => {
      if (e.source === window.opener && e.origin === origin && e.data && e.data.type === 'hsinstall:ack') end(true);
    };
    let sent = false;
    if (window.opener) {
      addEventListener('message', onMessage);
      try {
        window.opener.postMessage(msg, origin);
        sent = true;
      } catch {}
    }
    if (self.BroadcastChannel) {
      bc = new BroadcastChannel(CHANNEL);
      bc.onmessage = (e) => e.data && e.data.type === 'hsinstall:ack' && end(true);
      bc.postMessage(msg);
      sent = true;
    }
    if (!sent) return end(false);
    timer = setTimeout(() => end(false), wait);
  });
}

/**
 * Handles HubSpot's redirect back on the callback page. Resolves (never rejects) to
 * {ok: true, portalId, scopes, result}, {ok: true, handedOff: true} (a popup handed its
 * callback to the opener), or {ok: false, error: {code, message, diagnostics}};
 * also fires hsinstall:success / hsinstall:error on the target.
 */
export async function handleInstallCallback(options = {}) {
  const { hook, openerOrigin = location.origin, handOffWait = 2000 } = options;
  const url = options.url === undefined ? location.href : String(options.url);
  const [target, out] = place(options.target);
  const show = (text, kind) => {
    out.textContent = text;
    out.dataset.state = kind;
  };
  const fail = (e) => {
    const error = failure(e);
    show(error.message, 'error');
    fire(target, 'hsinstall:error', { mode: 'callback', phase: 'callback', ...error });
    return { ok: false, error };
  };
  show('Completing the install…', 'pending');
  target.setAttribute('aria-busy', 'true');
  try {
    let api;
    try {
      api = await load();
    } catch (e) {
      loadFailed(e);
      throw new WidgetError('widget.load_failed', `The install could not be checked in this browser: ${e && e.message ? e.message : e}`);
    }
    // The install this tab started (redirect flow), found by the core's state check.
    let match = null;
    let mismatch = null;
    for (const [state, entry] of pending()) {
      try {
        match = { state, entry, cb: api.parseCallback(url, { expectedState: state }) };
      } catch (e) {
        if (notOurs(e)) {
          mismatch = e;
          continue;
        }
        match = { state, entry, error: e };
      }
      break;
    }
    if (!match) {
      // A popup: the window that opened this one holds the state.
      if (await handOff(url, openerOrigin, handOffWait)) {
        show('Done: you can close this window.', 'handed-off');
        setTimeout(() => window.close(), 50);
        return { ok: true, handedOff: true };
      }
      if (mismatch) throw mismatch; // a forged or stale state: the core's callback.state_mismatch
      throw new WidgetError(
        'widget.no_pending_install',
        'No install was started from this browser tab, or it expired. Start the install again from the install button.',
      );
    }
    forget(match.state); // single use, whatever happens next
    if (options.url === undefined && history.replaceState) history.replaceState(null, '', location.pathname + location.hash);
    if (match.error) throw match.error;
    const expired = api.verifyState(match.state).filter((d) => d.severity === 'error');
    if (expired.length) throw Object.assign(new Error(expired[0].message), { diagnostics: expired, code: expired[0].code });
    if (!hook) throw new WidgetError('widget.no_hook', 'handleInstallCallback needs `hook`, the URL of the server hook that completes the install.');
    const r = await exchange(new URL(hook, document.baseURI).href, { code: match.cb.code, state: match.state, redirect_uri: match.entry.redirect_uri });
    show(successText(r), 'success');
    fire(target, 'hsinstall:success', { mode: 'redirect', ...r });
    return { ok: true, ...r };
  } catch (e) {
    return fail(e);
  } finally {
    target.removeAttribute('aria-busy');
  }
}
