// The marketing page: shows each button's outcome (the widget's events) under the buttons.
const result = document.getElementById('result');

function show(text, kind) {
  result.textContent = text;
  result.dataset.kind = kind;
  document.body.dataset.outcome = kind;
}

for (const el of document.querySelectorAll('hubspot-install-button')) {
  el.addEventListener('hsinstall:start', () => show('Waiting for HubSpot…', 'pending'));
  el.addEventListener('hsinstall:success', (e) => {
    const { portalId, scopes } = e.detail;
    show(`Installed in HubSpot account ${portalId}. Granted: ${scopes.join(', ')}.`, 'installed');
    const a = Object.assign(document.createElement('a'), { href: '/installs', textContent: 'See the installs page.' });
    result.append(' ', a);
  });
  el.addEventListener('hsinstall:error', (e) => {
    if (e.detail.phase === 'configure') return; // the button stays a plain link; the console says why
    show(`${e.detail.message} (${e.detail.code})`, 'error');
  });
  el.addEventListener('hsinstall:cancel', (e) => show(e.detail.message, 'cancelled'));
}
