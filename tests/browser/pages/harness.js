// Test harness (a classic script, so it runs before the widget): records the widget's
// events, layout shifts and CSP violations for the browser tests to read.
window.__events = [];
for (const t of ['hsinstall:start', 'hsinstall:success', 'hsinstall:error', 'hsinstall:cancel'])
  document.addEventListener(t, (e) => window.__events.push({ type: t, target: e.target.localName || e.target.id, composed: e.composed, bubbles: e.bubbles, detail: JSON.parse(JSON.stringify(e.detail ?? null)) }));
window.__cls = 0;
window.__shifts = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__shifts.push({ value: e.value, hadRecentInput: e.hadRecentInput });
      if (!e.hadRecentInput) window.__cls += e.value;
    }
  }).observe({ type: 'layout-shift', buffered: true });
} catch {}
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample }));
