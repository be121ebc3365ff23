// The redirect URI's page: the widget's callback helper checks the callback against the
// state this tab stored when the button was clicked, POSTs {code, state, redirect_uri} to
// the hook and shows the outcome. In a popup it hands the callback to the opener instead.
import { handleInstallCallback } from '/hsinstall/widget/callback.js';

const outcome = await handleInstallCallback({ hook: '/hook/exchange' });
document.getElementById('title').textContent = !outcome.ok
  ? 'The install did not complete'
  : outcome.handedOff
    ? 'Done'
    : 'Connected to HubSpot';
document.body.dataset.outcome = outcome.ok ? (outcome.handedOff ? 'handed-off' : 'installed') : outcome.error.code;
