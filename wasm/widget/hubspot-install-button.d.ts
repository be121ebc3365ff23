// Types of the <hubspot-install-button> element (wasm/widget/hubspot-install-button.js).
import type { Diagnostic } from '../index.js';

/** The element's controller once enhanced (internal). */
export interface InstallButtonController {
  click(event: MouseEvent): void;
  start(popup: Window | null): void;
}

/**
 * `<hubspot-install-button>`: wraps an authored `<a href>` install link (made by
 * `hsinstall url`), which works before and without script. Attributes: client-id,
 * redirect-uri, scopes, optional-scopes, conditional-scopes (space- or comma-separated),
 * host ("global" | "eu1"), account, mode ("redirect" | "popup"), hook (server hook URL),
 * config (URL of an app config file: scopes and redirect URLs come from it), preview
 * (show the scope preview), state-url (the server hook's POST /state endpoint, docs/hook.md:
 * the hook issues and signs each state instead of the widget making it). Events: hsinstall:start, hsinstall:success, hsinstall:error,
 * hsinstall:cancel (bubbling, composed).
 */
export class HubSpotInstallButton extends HTMLElement {
  /** Loads the enhancement and the wasm core now (normally on idle, hover, focus or press); null when the plain link stays. */
  load(): Promise<InstallButtonController | null>;
  /** The authored install link. */
  readonly link: HTMLAnchorElement | null;
  /** Marks a step in flight: aria-busy="true", the link aria-disabled (still focusable). */
  busy(on: boolean): void;
}

/** @internal The popup's window features. */
export const POPUP: string;

export interface InstallStartDetail {
  mode: 'redirect' | 'popup';
}
export interface InstallSuccessDetail {
  mode: 'redirect' | 'popup';
  /** From the hook's answer (portal_id); null without a hook. */
  portalId: number | string | null;
  /** Granted scopes, from the hook's answer. */
  scopes: string[];
  /** The hook's whole JSON answer (never tokens, if the hook is hsinstall's); null without a hook. */
  result: Record<string, unknown> | null;
  /** Popup mode without a `hook` only: the verified authorization code, for the page to hand to its server. */
  code?: string;
  redirectUri?: string;
}
export interface InstallErrorDetail {
  mode?: 'redirect' | 'popup' | 'callback';
  /** "configure": the attributes or the authored href are wrong (the link is left as authored); "install"/"callback": the flow failed. */
  phase: 'configure' | 'install' | 'callback';
  /** A core diagnostic code ("callback.state_mismatch", "scope.unknown", ...) or a widget one ("widget.href_mismatch", "widget.hook_failed", "widget.no_pending_install", ...). */
  code: string;
  codes?: string[];
  /** Readable, for people. */
  message: string;
  diagnostics: Diagnostic[];
}
export interface InstallCancelDetail {
  mode: 'popup';
  code: 'widget.popup_closed';
  message: string;
}

declare global {
  interface HTMLElementTagNameMap {
    'hubspot-install-button': HubSpotInstallButton;
  }
  interface HTMLElementEventMap {
    'hsinstall:start': CustomEvent<InstallStartDetail>;
    'hsinstall:success': CustomEvent<InstallSuccessDetail>;
    'hsinstall:error': CustomEvent<InstallErrorDetail>;
    'hsinstall:cancel': CustomEvent<InstallCancelDetail>;
  }
}
