// Compiled (tsc --noEmit, strict) by scripts/test-browser against the package as a site
// installs it: the widget's declarations must describe how it is used.
import 'hsinstall/widget';
import { HubSpotInstallButton } from 'hsinstall/widget';
import type { InstallErrorDetail, InstallSuccessDetail } from 'hsinstall/widget';
import { handleInstallCallback } from 'hsinstall/widget/callback';
import type { CallbackOutcome } from 'hsinstall/widget/callback';

const el = document.querySelector('hubspot-install-button');
if (el) {
  const b: HubSpotInstallButton = el;
  b.addEventListener('hsinstall:success', (e) => {
    const d: InstallSuccessDetail = e.detail;
    console.log(d.portalId, d.scopes.join(' '), d.mode);
  });
  b.addEventListener('hsinstall:error', (e) => {
    const d: InstallErrorDetail = e.detail;
    console.error(d.code, d.message, d.diagnostics.map((x) => x.code));
  });
  b.addEventListener('hsinstall:cancel', (e) => console.log(e.detail.code));
  b.addEventListener('hsinstall:start', (e) => console.log(e.detail.mode));
  void b.load().then((c) => c !== null);
  const link: HTMLAnchorElement | null = b.link;
  console.log(link && link.href);
}

const made = document.createElement('hubspot-install-button');
made.setAttribute('client-id', '0f3e4c2a-1b2c-4d5e-8f90-123456789abc');

async function callbackPage(): Promise<void> {
  const outcome: CallbackOutcome = await handleInstallCallback({ hook: '/hubspot/exchange', target: '#result' });
  if (outcome.ok && !outcome.handedOff) console.log(outcome.portalId, outcome.scopes);
  else if (!outcome.ok) console.error(outcome.error.code, outcome.error.message);
}
void callbackPage();
