// Entry of the billing page (/billing): decides the language, finds the token (URL fragment, or
// the host's postMessage when embedded), and starts the page. A tab that Stripe sent back here
// without a token (after checkout or the portal) tells the tab that opened it, and closes.
import { pageApi } from './api.js';
import { h, replaceChildren } from './dom.js';
import { chooseLanguage, translator, type Lang } from './i18n.js';
import { BillingPage } from './page.js';
import { listenToHost, parseHostOrigin, takeTokenFromFragment, type TabMessage } from './token.js';

const root = document.getElementById('app') as HTMLElement;
const params = new URLSearchParams(location.search);
let lang: Lang = chooseLanguage(params.get('lang'), navigator.languages ?? [navigator.language]);
const tr = translator(lang);
document.documentElement.lang = lang;
document.title = tr.t('title');

/** Keeps the address bar's query in step with the page (language chosen; session handled). */
function setQuery(change: (query: URLSearchParams) => void): void {
  const query = new URLSearchParams(location.search);
  change(query);
  const search = query.toString();
  history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}`);
}

/** A page with a title and a sentence, for the states before the billing page proper. */
function message(title: string, text: string, ...extra: Node[]): void {
  root.removeAttribute('aria-busy');
  replaceChildren(root, h('h1', { attrs: { tabindex: -1 } }, title), h('p', { class: 'notice info' }, text), ...extra);
}

function start(): void {
  let token = takeTokenFromFragment();
  const sessionId = params.get('session_id');
  const returnedFrom = sessionId ? 'checkout' : params.get('checkout') === 'canceled' ? 'checkout-canceled' : params.get('portal') === 'returned' ? 'portal' : undefined;
  const hostOrigin = parseHostOrigin(params.get('host_origin'));

  if (hostOrigin === null) {
    message(tr.t('title'), tr.t('badHostOrigin', { value: params.get('host_origin') ?? '' }));
    return;
  }

  // A tab Stripe sent back to this page, with no token of its own: the tab that opened it holds one.
  if (!token && !hostOrigin && returnedFrom) {
    const tell: TabMessage =
      returnedFrom === 'checkout' ? { type: 'billing:checkout-returned', session_id: sessionId! } : returnedFrom === 'portal' ? { type: 'billing:portal-returned' } : { type: 'billing:checkout-canceled' };
    let told = false;
    try {
      if (window.opener && (window.opener as Window).location.origin === location.origin) {
        (window.opener as Window).postMessage(tell, location.origin);
        told = true;
      }
    } catch {
      // The opener is another origin's page (or gone): nobody to tell.
    }
    if (told) window.close();
    // Still here: not a tab this page opened, or the browser kept it open.
    const close = h('button', { type: 'button', on: { click: () => window.close() } }, tr.t('closeTab'));
    if (returnedFrom === 'checkout') message(tr.t('checkoutReturnTitle'), tr.t('checkoutReturnBody'), close);
    else if (returnedFrom === 'portal') message(tr.t('portalReturnTitle'), tr.t('portalReturnBody'), close);
    else message(tr.t('title'), tr.t('checkoutCanceled'), close);
    return;
  }

  if (!token && !hostOrigin) {
    message(tr.t('title'), tr.t('noToken'));
    return;
  }

  const applicationId = params.get('app') || undefined;
  // Set once the page listens to its host (embedded only); the page tells the host through it.
  const host: { link?: ReturnType<typeof listenToHost> } = {};
  const page = new BillingPage({
    root,
    lang,
    api: pageApi(() => token, applicationId),
    embedded: Boolean(hostOrigin),
    onTokenExpired: () => host.link?.send({ type: 'billing:token-expired' }),
    onLanguage: (next) => {
      lang = next;
      setQuery((q) => q.set('lang', next));
    },
    applicationId,
  });

  const begin = async () => {
    await page.load();
    if (returnedFrom === 'checkout' && sessionId) {
      // Opened by the host with a token and the session of a checkout it started: mirror it now.
      setQuery((q) => q.delete('session_id'));
      await page.completeCheckout(sessionId);
    } else if (returnedFrom === 'checkout-canceled') {
      setQuery((q) => q.delete('checkout'));
      page.checkoutCanceled();
    }
  };

  if (token) {
    void begin();
    return;
  }
  // Embedded: the host sends the token (and a fresh one whenever it likes) by postMessage.
  message(tr.t('title'), tr.t('waitingForHost', { host: hostOrigin! }));
  let started = false;
  host.link = listenToHost(hostOrigin!, (fresh) => {
    token = fresh;
    if (!started) {
      started = true;
      void begin();
    } else {
      void page.tokenRenewed();
    }
  });
}

start();
