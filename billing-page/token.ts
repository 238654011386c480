// Where the account token comes from: the host app, never storage. Either the URL fragment
// (`/billing#token=<jwt>`, read once and removed from the address bar), or, when the page is
// embedded in an iframe, a postMessage from the parent window whose origin is `host_origin`.
// The token lives in this module's memory only: no localStorage, sessionStorage or cookie.

/**
 * Messages between the page and its host (README: Billing page). The host sends
 * `{ type: 'billing:token', token }` (again whenever it has a fresh one); the page sends
 * `{ type: 'billing:ready' }` when it listens and `{ type: 'billing:token-expired' }` when the
 * token it has was refused as expired. Messages to the host carry no billing data.
 */
export type HostMessage = { type: 'billing:token'; token: string };
export type PageMessage = { type: 'billing:ready' } | { type: 'billing:token-expired' };

/** Messages between this page and the tab it opened for Stripe Checkout or the portal (same origin). */
export type TabMessage = { type: 'billing:checkout-returned'; session_id: string } | { type: 'billing:checkout-canceled' } | { type: 'billing:portal-returned' };

/** Reads `token` from the URL fragment and removes the fragment from the address bar and the history entry. */
export function takeTokenFromFragment(): string | undefined {
  if (!location.hash) return undefined;
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? undefined;
  history.replaceState(history.state, '', location.pathname + location.search);
  return token || undefined;
}

/** `host_origin` when it is an origin (scheme, host and port, nothing else); undefined when absent; null when malformed. */
export function parseHostOrigin(value: string | null): string | undefined | null {
  if (value === null || value === '') return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value.replace(/\/$/, '') ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * Listens for tokens from the parent window at `hostOrigin`: any other sender (another origin, or
 * a window other than the parent) is ignored. Announces itself with `billing:ready`.
 */
export function listenToHost(hostOrigin: string, onToken: (token: string) => void): { send(message: PageMessage): void } {
  const send = (message: PageMessage) => {
    if (window.parent !== window) window.parent.postMessage(message, hostOrigin);
  };
  window.addEventListener('message', (event: MessageEvent) => {
    if (event.origin !== hostOrigin || event.source !== window.parent) return;
    const data = event.data as Partial<HostMessage> | null;
    if (data && data.type === 'billing:token' && typeof data.token === 'string' && data.token !== '') onToken(data.token);
  });
  send({ type: 'billing:ready' });
  return { send };
}
