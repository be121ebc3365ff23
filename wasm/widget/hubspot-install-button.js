// <hubspot-install-button>: the bootstrap, the only script a page loads before the
// button is enhanced. The authored <a href> child is the button: a real install link
// that works without script. This file adds a shadow root (status line, scope-preview
// disclosure) that takes no room in the flow, and loads ./enhance.js (the wasm core)
// on idle after the load event (so it never competes with the page's own loading) or
// on the first hover, focus or press. It holds no URL, scope or state logic.
const idle = (f) => (self.requestIdleCallback ? requestIdleCallback(f, { timeout: 3000 }) : setTimeout(f, 300));
const afterLoad = (f) => (document.readyState === 'complete' ? idle(f) : addEventListener('load', () => idle(f), { once: true }));
const CSS =
  ':host{position:relative}[part=status]{position:absolute;top:100%;left:0;margin-top:.4em;font-size:.85em;white-space:nowrap}' +
  '[part=status]:empty{display:none}[part=preview-toggle]{position:absolute;inset-inline-end:0;top:50%;transform:translateY(-50%);' +
  'width:var(--hsinstall-toggle-size,1.75em);height:var(--hsinstall-toggle-size,1.75em);border-radius:50%;border:1px solid currentColor;' +
  'background:transparent;color:inherit;font:inherit;line-height:1;padding:0;cursor:pointer}[part=preview]{position:absolute;z-index:10;' +
  'top:100%;left:0;margin-top:.4em;min-width:18em;max-width:28em;padding:.75em 1em;background:var(--hsinstall-preview-bg,#fff);' +
  'color:var(--hsinstall-preview-color,#33475b);border:1px solid #cbd6e2;border-radius:6px;box-shadow:0 4px 16px #0002;font-weight:400}' +
  '[part=preview] ul{margin:.4em 0 0;padding-left:1.2em}[part=preview-heading]{margin:0}[part=preview-scope-name]{font-size:.8em;opacity:.75}[hidden]{display:none!important}';
let sheet;

/** @internal the popup's window features; ./enhance.js uses the same. */
export const POPUP = 'popup,width=520,height=720';

export class HubSpotInstallButton extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    // A constructed sheet is not subject to a page's CSP style-src; <style> is the fallback.
    if (sheet === undefined) {
      try {
        (sheet = new CSSStyleSheet()).replaceSync(CSS);
      } catch {
        sheet = null;
      }
    }
    if (sheet) root.adoptedStyleSheets = [sheet];
    const preview = this.hasAttribute('preview');
    root.innerHTML =
      (sheet ? '' : `<style>${CSS}</style>`) + '<slot></slot><span part="status" role="status" aria-live="polite"></span>' +
      (preview
        ? '<button type="button" part="preview-toggle" aria-expanded="false" aria-controls="p" aria-label="What this app will be able to do">?</button>' +
          '<div part="preview" id="p" role="region" aria-label="Requested permissions" hidden>Loading…</div>'
        : '');
    const load = () => this.load();
    for (const t of ['pointerenter', 'focusin', 'pointerdown', 'touchstart']) this.addEventListener(t, load, { once: true, passive: true });
    afterLoad(load);
    this.addEventListener('click', (e) => this.#click(e));
    if (preview) {
      const b = root.querySelector('button');
      const p = root.getElementById('p');
      const show = (on) => {
        b.setAttribute('aria-expanded', on);
        p.hidden = !on;
      };
      b.onclick = () => show(p.hidden);
      this.addEventListener('keydown', (e) => e.key === 'Escape' && !p.hidden && (show(false), b.focus()));
    }
  }

  /** Loads the enhancement (and the wasm core) once; resolves to it, or to null when it cannot run here. */
  load() {
    return (this._p ||= import('./enhance.js').then(
      (m) => m.enhance(this),
      (e) => {
        console.warn('hsinstall: could not load the install-button enhancement; the button stays a plain link.', e);
        return null;
      },
    )).then((x) => (this._x = x));
  }

  /** The authored install link. */
  get link() {
    return this.querySelector('a[href]');
  }

  /** Marks a step in flight: aria-busy on the element, the link aria-disabled (still focusable). */
  busy(on) {
    on ? this.setAttribute('aria-busy', 'true') : this.removeAttribute('aria-busy');
    const a = this.link;
    if (a) on ? a.setAttribute('aria-disabled', 'true') : a.removeAttribute('aria-disabled');
  }

  #click(e) {
    const a = this.link;
    if (!a || !e.composedPath().includes(a) || e.defaultPrevented) return;
    if (this.hasAttribute('aria-busy')) return e.preventDefault();
    if (this._x !== undefined) return this._x && this._x.click(e); // null: the plain link does it
    if (e.button || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    // Not loaded yet: hold the click (a popup must open now, inside the gesture) until it is.
    e.preventDefault();
    const popup = this.getAttribute('mode') === 'popup' ? open('about:blank', '_blank', POPUP) : null;
    this.busy(true);
    const plain = () => {
      this.busy(false);
      if (popup) popup.close();
      location.assign(a.href);
    };
    Promise.race([this.load(), new Promise((r) => setTimeout(r, 8000))]).then(
      (x) => (x ? x.start(popup) : plain()),
      plain,
    );
  }
}

if (!customElements.get('hubspot-install-button')) customElements.define('hubspot-install-button', HubSpotInstallButton);
