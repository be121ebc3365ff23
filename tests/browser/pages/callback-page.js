// The test site's callback page: what a site pastes at its redirect URI.
import { handleInstallCallback } from '/wasm/widget/callback.js';

console.log(`callback-page: opener ${!!window.opener}`);
window.__outcome = handleInstallCallback({ hook: '/hook/exchange', target: '#result' }).then((r) => (window.__result = r));
