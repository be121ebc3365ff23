// LOCAL SANDBOX ONLY. scripts/demo injects this into the page when it runs against
// demo/sandbox/ instead of real HubSpot (the <script> tag carries the sandbox's origin).
//
// hsinstall's core builds install URLs for HubSpot's hosts only (https://app.hubspot.com),
// so the widget's link and its redirect and popup flows all head there. This script
// reroutes those navigations, unchanged but for the origin, to the local sandbox: the
// Navigation API catches link clicks and location.assign in this tab, and window.open is
// wrapped so a popup navigated by the widget lands on the sandbox too. It builds, parses
// and checks nothing. It goes away once the core accepts a loopback sandbox as the
// install host (the way HSINSTALL_API_BASE and HSINSTALL_RETURN_ORIGINS already do).
(() => {
  const sandbox = document.currentScript && document.currentScript.dataset.sandbox;
  if (!sandbox) return;
  const HUBSPOT = 'https://app.hubspot.com';
  const route = (url) => {
    const u = new URL(String(url), location.href);
    return u.origin === HUBSPOT ? sandbox + u.pathname + u.search : u.href;
  };
  if (!self.navigation) {
    console.warn('hsinstall demo: this browser has no Navigation API, so install links cannot be sent to the local sandbox; use Chromium or Chrome.');
    return;
  }
  navigation.addEventListener('navigate', (e) => {
    const to = route(e.destination.url);
    if (to === e.destination.url || !e.cancelable) return;
    e.preventDefault();
    location.assign(to);
  });
  const open = window.open;
  window.open = function (url, ...rest) {
    const w = open.call(window, url === undefined || url === '' ? url : route(url), ...rest);
    if (!w) return w;
    // The widget opens about:blank inside the click, then sets popup.location.href.
    const loc = {
      set href(v) { w.location.href = route(v); },
      get href() { return w.location.href; },
      assign(v) { w.location.assign(route(v)); },
      replace(v) { w.location.replace(route(v)); },
    };
    return new Proxy(w, {
      get(t, k) {
        if (k === 'location') return loc;
        const v = Reflect.get(t, k);
        return typeof v === 'function' ? v.bind(t) : v;
      },
      set(t, k, v) {
        if (k === 'location') t.location.href = route(v);
        else Reflect.set(t, k, v);
        return true;
      },
    });
  };
})();
