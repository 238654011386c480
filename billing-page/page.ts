// The billing page: loads the account's billing, shows it, and runs the owner's actions. Nothing
// changes billing except a click of the owner's: checkout and the portal open in a new tab, and a
// plan, interval or seat change is shown with its cost (the proration preview) and confirmed first.
import { BillingApiError, type AccountInfo, type AccountMerchant, type CatalogPrice, type ChangeParams, type Feature, type Invoice, type Subscription, type SubscriptionsApi } from './api.js';
import { openDialog, type DialogHandle } from './dialog.js';
import { h, replaceChildren, type Child } from './dom.js';
import { translator, type Lang, type Translator } from './i18n.js';
import { renderPreview } from './preview.js';
import type { TabMessage } from './token.js';

/** Subscriptions in these states are over: nothing can change them (the API answers 409 subscription_ended). */
const ENDED = new Set(['canceled', 'incomplete_expired']);

interface Identity {
  email: string | null;
  name: string | null;
}

interface Loaded {
  viewer: AccountInfo;
  subscriptions: Subscription[];
  features: Feature[];
  merchants: AccountMerchant[];
  catalog: CatalogPrice[];
  invoices: Invoice[];
  identity: Identity | null;
}

type Pending = { kind: 'checkout'; sessionId: string; url: string; blocked: boolean } | { kind: 'portal'; url: string; blocked: boolean };

export interface PageOptions {
  root: HTMLElement;
  lang: Lang;
  api: SubscriptionsApi;
  /** Embedded in a host's iframe: an expired token is renewed by the host rather than by reopening the page. */
  embedded: boolean;
  /** Tells the host the token expired (embedded only). */
  onTokenExpired: () => void;
  /** Called when the language changes, to keep it in the address bar. */
  onLanguage: (lang: Lang) => void;
  /** The `app` parameter, carried into the URLs Stripe returns to. */
  applicationId: string | undefined;
}

export class BillingPage {
  private tr: Translator;
  private data: Loaded | undefined;
  private busy = false;
  private expired = false;
  private pending: Pending | undefined;
  private readonly header = h('header', { class: 'page-header' });
  private readonly status = h('div', { class: 'status', attrs: { role: 'status', 'aria-live': 'polite', tabindex: -1 } });
  private readonly alert = h('div', { class: 'alert-region', attrs: { role: 'alert' } });
  private readonly content = h('div', { class: 'content' });

  constructor(private readonly options: PageOptions) {
    this.tr = translator(options.lang);
    // The tab opened for checkout or the portal says when it came back (same origin only).
    window.addEventListener('message', (event: MessageEvent) => {
      if (event.origin !== location.origin) return;
      void this.fromTab(event.data as TabMessage);
    });
    // Coming back to this tab: a checkout may have been paid, a portal change made.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void this.onReturn();
    });
    window.addEventListener('focus', () => void this.onReturn());
  }

  // ---- loading ----

  /** Loads everything the page shows; `quiet` keeps what is on screen while it loads. */
  async load(quiet = false): Promise<void> {
    if (!this.header.isConnected) {
      replaceChildren(this.options.root, this.header, this.status, this.alert, this.content);
      this.options.root.removeAttribute('aria-busy');
    }
    if (!quiet) {
      this.content.setAttribute('aria-busy', 'true');
      replaceChildren(this.content, h('p', { class: 'loading' }, this.tr.t('loading')));
    }
    try {
      const api = this.options.api;
      const [viewer, subscriptions, features, merchants, catalog, invoices, identity] = await Promise.all([
        api.account(),
        api.list(),
        api.features(),
        api.merchants(),
        api.catalog(),
        api.invoices(),
        api.identity().catch((error: unknown) => {
          // No Stripe customer before the first purchase: nothing to show, not an error.
          if (error instanceof BillingApiError && error.code === 'identity_not_found') return null;
          throw error;
        }),
      ]);
      this.data = { viewer, subscriptions, features, merchants, catalog, invoices, identity };
      this.expired = false;
    } catch (error) {
      this.showError(error);
    } finally {
      this.content.removeAttribute('aria-busy');
    }
    this.render();
  }

  /** A new token from the host: the page reads everything again with it. */
  async tokenRenewed(): Promise<void> {
    this.expired = false;
    this.clearAlert();
    await this.load(this.data !== undefined);
  }

  /** Back from checkout with a session id in the URL and a token in hand: the subscription is mirrored now. */
  async completeCheckout(sessionId: string, announceNotYet = true): Promise<void> {
    try {
      const subscription = await this.options.api.syncCheckoutSession(sessionId);
      this.pending = undefined;
      await this.load(true);
      this.announce(this.tr.t('checkoutDone', { plan: this.planName(subscription), status: this.tr.status(subscription.status) }));
    } catch (error) {
      if (error instanceof BillingApiError && error.code === 'checkout_not_complete') {
        if (announceNotYet) this.announce(this.tr.t('checkoutNotYet'));
        return;
      }
      this.showError(error);
    }
  }

  checkoutCanceled(): void {
    this.pending = undefined;
    this.render();
    this.announce(this.tr.t('checkoutCanceled'));
  }

  private async fromTab(message: TabMessage | null): Promise<void> {
    if (!message || typeof message !== 'object') return;
    if (message.type === 'billing:checkout-returned' && this.pending?.kind === 'checkout' && message.session_id === this.pending.sessionId) {
      await this.completeCheckout(message.session_id);
    } else if (message.type === 'billing:checkout-canceled' && this.pending?.kind === 'checkout') {
      this.checkoutCanceled();
    } else if (message.type === 'billing:portal-returned' && this.pending?.kind === 'portal') {
      this.pending = undefined;
      await this.load(true);
      this.announce(this.tr.t('portalBack'));
    }
  }

  private returning = false;
  private async onReturn(): Promise<void> {
    if (!this.pending || this.returning || this.expired) return;
    this.returning = true;
    try {
      if (this.pending.kind === 'checkout') await this.completeCheckout(this.pending.sessionId, false);
      else await this.load(true);
    } finally {
      this.returning = false;
    }
  }

  // ---- messages ----

  private announce(text: string): void {
    this.status.textContent = '';
    // A separate task, so that screen readers announce the same text twice in a row too.
    setTimeout(() => {
      this.status.replaceChildren(h('p', { class: 'notice success' }, text));
    }, 50);
  }

  private clearAlert(): void {
    this.alert.replaceChildren();
  }

  private showError(error: unknown): void {
    const tr = this.tr;
    if (!(error instanceof BillingApiError)) {
      console.error(error);
      this.renderAlert(tr.error('internal_error', 500));
      return;
    }
    if (error.code === 'token_expired') {
      this.expired = true;
      this.renderAlert(this.options.embedded ? tr.t('tokenExpiredEmbedded') : tr.t('tokenExpired'));
      if (this.options.embedded) this.options.onTokenExpired();
      this.render();
      return;
    }
    const lines: Child[] = [h('p', {}, tr.error(error.code, error.status))];
    if (error.retryAfter !== undefined && error.status >= 429) lines.push(h('p', {}, tr.t('retryIn', { seconds: error.retryAfter })));
    if (error.requestId) lines.push(h('p', { class: 'reference' }, tr.t('errorReference', { id: error.requestId })));
    this.renderAlert(...lines);
  }

  private renderAlert(...content: Child[]): void {
    const dismiss = h(
      'button',
      {
        type: 'button',
        class: 'link-button',
        on: {
          click: () => {
            this.clearAlert();
            // The button is gone with the alert: focus goes back to the top of the page.
            this.header.querySelector('h1')?.focus();
          },
        },
      },
      this.tr.t('dismiss'),
    );
    this.alert.replaceChildren(h('div', { class: 'alert' }, h('p', { class: 'alert-title' }, h('strong', {}, this.tr.t('errorTitle'))), ...(typeof content[0] === 'string' ? [h('p', {}, content[0])] : content), dismiss));
  }

  // ---- rendering ----

  private render(focusKey?: string): void {
    const focused = focusKey ?? (document.activeElement instanceof HTMLElement ? document.activeElement.dataset.focus : undefined);
    this.renderHeader();
    const data = this.data;
    if (!data) {
      replaceChildren(this.content);
    } else {
      replaceChildren(
        this.content,
        !data.viewer.is_owner && h('p', { class: 'notice info', id: 'read-only-note' }, this.tr.t('readOnly')),
        this.renderPending(),
        this.renderSubscriptions(data),
        data.viewer.is_owner && this.renderSubscribe(data),
        this.renderFeatures(data),
        this.renderInvoices(data),
        data.viewer.is_owner && this.renderPayment(data),
        this.renderMerchants(data),
      );
    }
    if (focused) this.content.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
  }

  private renderHeader(): void {
    const tr = this.tr;
    const lang = (code: Lang, label: string) =>
      h('button', { type: 'button', class: 'lang-button', attrs: { 'aria-pressed': String(tr.lang === code), lang: code, 'data-focus': `lang-${code}` }, on: { click: () => this.setLanguage(code) } }, label);
    replaceChildren(
      this.header,
      h('h1', { attrs: { tabindex: -1 } }, tr.t('title')),
      this.data && h('p', { class: 'account' }, tr.t('signedInAs', { account: this.data.viewer.account_id })),
      h('div', { class: 'languages', attrs: { role: 'group', 'aria-label': tr.t('languageLabel') } }, lang('en', 'English'), lang('ja', '日本語')),
    );
  }

  setLanguage(lang: Lang): void {
    this.tr = translator(lang);
    document.documentElement.lang = lang;
    document.title = this.tr.t('title');
    this.options.onLanguage(lang);
    this.clearAlert();
    this.status.replaceChildren();
    this.render(`lang-${lang}`);
  }

  private renderPending(): Child {
    const p = this.pending;
    if (!p) return null;
    const tr = this.tr;
    if (p.kind === 'portal') {
      return h('div', { class: 'notice info pending' }, h('p', {}, p.blocked ? tr.t('portalPopupBlocked') : tr.t('portalOpened')), p.blocked && newTabLink(p.url, tr.t('portalLink')));
    }
    return h(
      'div',
      { class: 'notice info pending' },
      h('p', {}, p.blocked ? tr.t('checkoutPopupBlocked') : tr.t('checkoutOpened')),
      p.blocked && h('p', {}, newTabLink(p.url, tr.t('checkoutLink'))),
      h('button', { type: 'button', attrs: { 'data-focus': 'checkout-check' }, disabled: this.busy || this.expired, on: { click: () => void this.completeCheckout(p.sessionId) } }, tr.t('checkoutCheck')),
    );
  }

  private section(key: string, title: string, ...children: Child[]): HTMLElement {
    return h('section', { class: `panel ${key}`, attrs: { 'aria-labelledby': `${key}-heading` } }, h('h2', { id: `${key}-heading` }, title), ...children);
  }

  private renderSubscriptions(data: Loaded): HTMLElement {
    const tr = this.tr;
    if (data.subscriptions.length === 0) return this.section('subscriptions', tr.t('subscriptionsHeading'), h('p', { class: 'empty' }, tr.t('noSubscriptions')));
    return this.section('subscriptions', tr.t('subscriptionsHeading'), h('ul', { class: 'cards' }, ...data.subscriptions.map((s) => h('li', {}, this.renderSubscription(s, data)))));
  }

  private item(s: Subscription) {
    return s.items.find((i) => i.usage_type === 'licensed') ?? s.items[0];
  }

  private priceOf(priceId: string | undefined): CatalogPrice | undefined {
    return this.data?.catalog.find((p) => p.price_id === priceId);
  }

  private planName(s: Subscription): string {
    const item = this.item(s);
    const price = this.priceOf(item?.price_id);
    return price?.product_name ?? this.data?.catalog.find((p) => p.product_id === item?.product_id)?.product_name ?? this.tr.t('unknownPlan', { price: item?.price_id ?? s.id });
  }

  /** What a price costs per period for a number of seats, from the catalog ("¥30,000 / year"). */
  private recurringLabel(priceId: string, quantity: number | null | undefined): string | undefined {
    const price = this.priceOf(priceId);
    if (!price || price.unit_amount === null) return undefined;
    return this.tr.pricePer(price.unit_amount * (quantity ?? 1), price.currency, price.interval, price.interval_count, price.usage_type);
  }

  /** The catalog price of the same product with the other interval: what "Switch to yearly/monthly" moves to. */
  private otherInterval(s: Subscription): 'year' | 'month' | undefined {
    const item = this.item(s);
    const current = this.priceOf(item?.price_id);
    if (!item || item.usage_type !== 'licensed') return undefined;
    const interval = current?.interval === 'year' ? 'month' : current?.interval === 'month' ? 'year' : undefined;
    if (!interval) return undefined;
    const exists = this.data?.catalog.some((p) => p.product_id === item.product_id && p.interval === interval && (p.interval_count ?? 1) === 1);
    return exists ? interval : undefined;
  }

  private renderSubscription(s: Subscription, data: Loaded): HTMLElement {
    const tr = this.tr;
    const item = this.item(s);
    const price = this.priceOf(item?.price_id);
    const live = !ENDED.has(s.status);
    const rows: [string, Child][] = [
      [tr.t('plan'), price ? tr.pricePer(price.unit_amount, price.currency, price.interval, price.interval_count, price.usage_type) : (item?.price_id ?? '')],
      [tr.t('status'), h('span', { class: `badge status-${s.status}` }, tr.status(s.status))],
    ];
    if (item?.quantity !== null && item?.quantity !== undefined) {
      rows.push([tr.t('quantity'), item.quantity === 1 ? tr.t('seat') : tr.t('seats', { count: item.quantity })]);
      // The plan's price is per seat: with several, what they come to per period (before tax).
      const total = item.quantity > 1 && price ? this.recurringLabel(price.price_id, item.quantity) : undefined;
      if (total) rows.push([tr.t('total'), total]);
    }
    if (s.status === 'trialing' && s.trial_end) rows.push([tr.t('trialEnds'), tr.date(s.trial_end)]);
    if (live && s.current_period_end) rows.push([s.cancel_at_period_end || s.status !== 'active' ? tr.t('currentPeriodEnd') : tr.t('renews'), tr.date(s.current_period_end)]);
    if (!live && s.ended_at) rows.push([tr.t('endedOn'), tr.date(s.ended_at)]);
    if (s.latest_invoice_status) rows.push([tr.t('latestInvoice'), tr.invoiceStatus(s.latest_invoice_status)]);

    const notices: Child[] = [];
    if (live && s.cancel_at_period_end) {
      const at = s.cancel_at ?? s.current_period_end;
      notices.push(h('p', { class: 'notice warning cancel-notice' }, at ? tr.t('cancelNotice', { date: tr.date(at) }) : tr.t('cancelNoticeNoDate')));
    }
    if (s.status === 'past_due' || s.status === 'unpaid') notices.push(h('p', { class: 'notice warning' }, tr.t('pastDueNotice')));
    if (s.status === 'incomplete') notices.push(h('p', { class: 'notice info' }, tr.t('incompleteNotice')));

    const headingId = `sub-${s.id}`;
    return h(
      'article',
      { class: live ? 'card' : 'card ended', attrs: { 'aria-labelledby': headingId, 'data-subscription': s.id } },
      h('h3', { id: headingId, attrs: { tabindex: -1, 'data-focus': `heading-${s.id}` } }, this.planName(s)),
      h('dl', { class: 'facts' }, ...rows.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value)))),
      ...notices,
      live && data.viewer.is_owner && this.renderActions(s),
    );
  }

  private renderActions(s: Subscription): HTMLElement {
    const tr = this.tr;
    const disabled = this.busy || this.expired;
    const button = (key: string, label: string, onClick: (button: HTMLButtonElement) => void, className = '') => {
      const b: HTMLButtonElement = h('button', { type: 'button', class: className, disabled, attrs: { 'data-focus': `${key}-${s.id}` }, on: { click: () => onClick(b) } }, label);
      return b;
    };
    const item = this.item(s);
    const other = this.otherInterval(s);
    return h(
      'div',
      { class: 'actions', attrs: { role: 'group', 'aria-label': this.planName(s) } },
      other && button(`switch-${other}`, other === 'year' ? tr.t('switchToYearly') : tr.t('switchToMonthly'), () => void this.switchInterval(s, other)),
      item?.usage_type === 'licensed' && button('quantity', tr.t('changeQuantity'), () => this.changeQuantity(s)),
      s.cancel_at_period_end ? button('resume', tr.t('resume'), () => void this.resume(s)) : button('cancel-period-end', tr.t('cancelAtPeriodEnd'), () => void this.cancelAtPeriodEnd(s)),
      button('cancel-now', tr.t('cancelNow'), () => this.cancelNow(s), 'danger'),
    );
  }

  private renderSubscribe(data: Loaded): HTMLElement {
    const tr = this.tr;
    if (data.catalog.length === 0) return this.section('subscribe', tr.t('subscribeHeading'), h('p', { class: 'empty' }, tr.t('noCatalog')));
    // Products the account already has a live subscription to are changed from their card, not bought twice.
    const subscribedProducts = new Set(data.subscriptions.filter((s) => !ENDED.has(s.status)).flatMap((s) => s.items.map((i) => i.product_id)));
    const open = data.catalog.filter((p) => !subscribedProducts.has(p.product_id));
    if (open.length === 0) return this.section('subscribe', tr.t('subscribeHeading'), h('p', { class: 'empty' }, tr.t('allSubscribed')));
    const products = new Map<string, CatalogPrice[]>();
    for (const p of open) products.set(p.product_id, [...(products.get(p.product_id) ?? []), p]);
    const disabled = this.busy || this.expired;

    const quantity = h('input', { type: 'number', id: 'subscribe-quantity', name: 'quantity', value: '1', attrs: { min: 1, max: 10000, step: 1, inputmode: 'numeric', required: true } });
    const quantityField = h('div', { class: 'field' }, h('label', { attrs: { for: 'subscribe-quantity' } }, tr.t('quantityLabel')), quantity);
    quantityField.hidden = open[0]!.usage_type === 'metered';
    const form = h(
      'form',
      {
        class: 'subscribe-form',
        on: {
          submit: (event) => {
            event.preventDefault();
            const chosen = form.querySelector<HTMLInputElement>('input[name="price"]:checked')?.value;
            if (chosen && quantity.reportValidity()) void this.subscribe(chosen, Number(quantity.value));
          },
        },
      },
      ...[...products.values()].map((prices) =>
        h(
          'fieldset',
          { class: 'product', disabled },
          h('legend', {}, prices[0]!.product_name),
          prices[0]!.product_description && h('p', { class: 'description' }, prices[0]!.product_description),
          ...prices.map((p) => {
            const id = `price-${p.price_id}`;
            return h(
              'div',
              { class: 'choice' },
              h('input', { type: 'radio', id, name: 'price', value: p.price_id, checked: p === open[0], on: { change: () => (quantityField.hidden = p.usage_type === 'metered') } }),
              h('label', { attrs: { for: id } }, tr.pricePer(p.unit_amount, p.currency, p.interval, p.interval_count, p.usage_type), p.nickname && ` (${p.nickname})`),
            );
          }),
        ),
      ),
      quantityField,
      h('button', { type: 'submit', class: 'primary', disabled, attrs: { 'data-focus': 'subscribe' } }, tr.t('subscribe')),
    );
    return this.section('subscribe', tr.t('subscribeHeading'), h('p', {}, tr.t('subscribeIntro')), form);
  }

  private renderFeatures(data: Loaded): HTMLElement {
    const tr = this.tr;
    if (data.features.length === 0) return this.section('features', tr.t('featuresHeading'), h('p', { class: 'empty' }, tr.t('noFeatures')));
    return this.section(
      'features',
      tr.t('featuresHeading'),
      h(
        'ul',
        { class: 'features-list' },
        ...data.features.map((f) =>
          h('li', {}, h('span', { class: 'feature-name' }, f.name), f.trial && h('span', { class: 'badge' }, tr.t('featureTrial')), f.access_until && h('span', { class: 'muted' }, ` ${tr.t('featureUntil', { date: tr.date(f.access_until) })}`)),
        ),
      ),
    );
  }

  private renderInvoices(data: Loaded): HTMLElement {
    const tr = this.tr;
    if (data.invoices.length === 0) return this.section('invoices', tr.t('invoicesHeading'), h('p', { class: 'empty' }, tr.t('noInvoices')));
    const head = [tr.t('invoiceDate'), tr.t('invoicePeriod'), tr.t('invoiceAmount'), tr.t('invoiceStatus'), tr.t('invoiceLink')];
    return this.section(
      'invoices',
      tr.t('invoicesHeading'),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ...head.map((label) => h('th', { attrs: { scope: 'col' } }, label)))),
          h(
            'tbody',
            {},
            ...data.invoices.map((invoice) =>
              h(
                'tr',
                {},
                h('td', {}, tr.date(invoice.created)),
                h('td', {}, invoice.period_start && invoice.period_end ? tr.t('periodRange', { start: tr.date(invoice.period_start), end: tr.date(invoice.period_end) }) : ''),
                h('td', { class: 'amount' }, tr.money(invoice.total, invoice.currency)),
                h('td', {}, h('span', { class: `badge invoice-${invoice.status ?? 'none'}` }, tr.invoiceStatus(invoice.status))),
                h('td', {}, invoice.hosted_invoice_url && safeUrl(invoice.hosted_invoice_url) ? newTabLink(invoice.hosted_invoice_url, tr.t('invoiceView'), tr.t('invoiceViewFor', { date: tr.date(invoice.created) })) : ''),
              ),
            ),
          ),
        ),
      ),
    );
  }

  private renderPayment(data: Loaded): HTMLElement {
    const tr = this.tr;
    const disabled = this.busy || this.expired;
    const hasCustomer = data.identity !== null;
    return this.section(
      'payment',
      tr.t('paymentHeading'),
      hasCustomer && h('p', {}, tr.t('paymentIntro')),
      hasCustomer && h('button', { type: 'button', disabled, attrs: { 'data-focus': 'portal' }, on: { click: () => void this.openPortal() } }, tr.t('managePayment')),
      h('p', {}, tr.t('syncIntro')),
      h('button', { type: 'button', disabled, attrs: { 'data-focus': 'sync' }, on: { click: () => void this.sync() } }, tr.t('sync')),
    );
  }

  private renderMerchants(data: Loaded): HTMLElement {
    const tr = this.tr;
    const regions = new Intl.DisplayNames([tr.locale], { type: 'region' });
    const currencies = new Intl.DisplayNames([tr.locale], { type: 'currency' });
    const name = (of: (code: string) => string | undefined, code: string) => {
      try {
        return of(code) ?? code;
      } catch {
        return code;
      }
    };
    return this.section(
      'merchant',
      tr.t('merchantHeading'),
      ...data.merchants.map((m) =>
        h(
          'div',
          { class: 'merchant' },
          h('p', { class: 'merchant-name' }, m.display_name),
          h(
            'dl',
            { class: 'facts' },
            h('div', {}, h('dt', {}, tr.t('merchantCountry')), h('dd', {}, name((c) => regions.of(c), m.country))),
            h('div', {}, h('dt', {}, tr.t('merchantCurrency')), h('dd', {}, name((c) => currencies.of(c), m.currency.toUpperCase()))),
          ),
        ),
      ),
    );
  }

  // ---- actions ----

  /** Runs a mutation with every action disabled, then shows the result (or the error) and reloads. */
  private async act(run: () => Promise<string | undefined>, focusKey?: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.clearAlert();
    // The last action's result no longer describes the page.
    this.status.replaceChildren();
    this.render();
    try {
      const message = await run();
      this.busy = false;
      await this.load(true);
      if (message) this.announce(message);
    } catch (error) {
      this.busy = false;
      this.showError(error);
      this.render();
    } finally {
      this.busy = false;
    }
    if (focusKey) this.focus(focusKey);
  }

  private focus(key: string): void {
    (this.content.querySelector<HTMLElement>(`[data-focus="${CSS.escape(key)}"]`) ?? this.content.querySelector<HTMLElement>('h2'))?.focus();
  }

  /** Where Stripe sends the browser back to: this page, without the token (it never leaves this page's memory). */
  private returnUrl(params: Record<string, string>): string {
    const url = new URL('/billing', location.origin);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    url.searchParams.set('lang', this.tr.lang);
    if (this.options.applicationId) url.searchParams.set('app', this.options.applicationId);
    // `{CHECKOUT_SESSION_ID}` is Stripe's placeholder: it must reach Stripe unescaped.
    return url.toString().replace('%7BCHECKOUT_SESSION_ID%7D', '{CHECKOUT_SESSION_ID}');
  }

  private async subscribe(priceId: string, quantity: number): Promise<void> {
    if (this.busy) return;
    const price = this.priceOf(priceId);
    // Opened now, while the click still counts as the person's: browsers block tabs opened later.
    const tab = window.open('', '_blank');
    await this.act(async () => {
      try {
        const session = await this.options.api.createCheckoutSession(
          {
            price_id: priceId,
            success_url: this.returnUrl({ session_id: '{CHECKOUT_SESSION_ID}' }),
            cancel_url: this.returnUrl({ checkout: 'canceled' }),
            locale: this.tr.lang,
            ...(price?.usage_type === 'metered' ? {} : { quantity }),
          },
          { idempotencyKey: idempotencyKey() },
        );
        this.pending = { kind: 'checkout', sessionId: session.id, url: session.url, blocked: !tab };
        if (tab) tab.location.href = session.url;
      } catch (error) {
        tab?.close();
        throw error;
      }
      return undefined;
    }, 'checkout-check');
  }

  private async openPortal(): Promise<void> {
    if (this.busy) return;
    const tab = window.open('', '_blank');
    await this.act(async () => {
      try {
        const session = await this.options.api.createPortalSession({ return_url: this.returnUrl({ portal: 'returned' }) });
        this.pending = { kind: 'portal', url: session.url, blocked: !tab };
        if (tab) tab.location.href = session.url;
      } catch (error) {
        tab?.close();
        throw error;
      }
      return undefined;
    }, 'portal');
  }

  private async sync(): Promise<void> {
    await this.act(async () => {
      const result = await this.options.api.sync({ allowDeletes: false });
      return this.tr.t('synced', { created: result.created, updated: result.updated, unchanged: result.unchanged });
    }, 'sync');
  }

  private async resume(s: Subscription): Promise<void> {
    await this.act(async () => {
      await this.options.api.resume(s.id, { idempotencyKey: idempotencyKey() });
      return this.tr.t('resumed', { plan: this.planName(s) });
    }, `cancel-period-end-${s.id}`);
  }

  private async cancelAtPeriodEnd(s: Subscription): Promise<void> {
    await this.act(async () => {
      const after = await this.options.api.cancel(s.id, { timing: 'period_end' }, { idempotencyKey: idempotencyKey() });
      const at = after.cancel_at ?? after.current_period_end;
      return this.tr.t('cancelScheduled', { plan: this.planName(s), date: at ? this.tr.date(at) : '' });
    }, `resume-${s.id}`);
  }

  private cancelNow(s: Subscription): void {
    const tr = this.tr;
    const plan = this.planName(s);
    const keep = h('button', { type: 'button', attrs: { autofocus: true } }, tr.t('keepSubscription'));
    const confirm = h('button', { type: 'button', class: 'danger' }, tr.t('confirmCancelButton'));
    const dialog = openDialog({
      title: tr.t('confirmCancelTitle', { plan }),
      content: [h('p', {}, tr.t('confirmCancelBody'))],
      actions: [keep, confirm],
      danger: true,
      fallbackFocus: () => this.content.querySelector<HTMLElement>(`[data-focus="heading-${CSS.escape(s.id)}"]`),
    });
    keep.addEventListener('click', () => dialog.close());
    confirm.addEventListener('click', () => {
      dialog.close();
      void this.act(async () => {
        await this.options.api.cancel(s.id, { timing: 'immediately' }, { idempotencyKey: idempotencyKey() });
        return tr.t('canceledNow', { plan });
      }, `heading-${s.id}`);
    });
  }

  private async switchInterval(s: Subscription, interval: 'year' | 'month'): Promise<void> {
    const tr = this.tr;
    const plan = this.planName(s);
    const dialog = this.changeDialog(tr.t(interval === 'year' ? 'confirmSwitchYearTitle' : 'confirmSwitchMonthTitle', { plan }), s, [], { interval }, () =>
      tr.t(interval === 'year' ? 'switchedYear' : 'switchedMonth', { plan }),
    );
    await dialog.review({ interval });
  }

  private changeQuantity(s: Subscription): void {
    const tr = this.tr;
    const plan = this.planName(s);
    const current = this.item(s)?.quantity ?? 1;
    const input = h('input', { type: 'number', id: 'new-quantity', value: String(current), attrs: { min: 1, max: 10000, step: 1, inputmode: 'numeric', required: true } });
    const review = h('button', { type: 'button' }, tr.t('reviewChange'));
    const field = h('div', { class: 'field' }, h('label', { attrs: { for: 'new-quantity' } }, tr.t('newQuantity')), input, review);
    const dialog = this.changeDialog(tr.t('confirmQuantityTitle', { plan }), s, [field], undefined, (params) => tr.t('quantityChanged', { plan, count: ('quantity' in params ? params.quantity : undefined) ?? current }));
    const go = () => {
      if (!input.reportValidity()) return;
      void dialog.review({ quantity: Number(input.value) });
    };
    review.addEventListener('click', go);
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        go();
      }
    });
    // A reviewed cost is for the number reviewed: another number needs its own review.
    input.addEventListener('input', () => dialog.invalidate());
  }

  /**
   * A change confirmed after its cost: the dialog shows the proration preview of `params` and only
   * then enables "Confirm change", which sends exactly the reviewed change.
   */
  private changeDialog(title: string, s: Subscription, fields: Child[], initial: ChangeParams | undefined, done: (params: ChangeParams) => string) {
    const tr = this.tr;
    const previewArea = h('div', { class: 'preview', attrs: { 'aria-live': 'polite' } });
    const cancel = h('button', { type: 'button', attrs: { autofocus: initial !== undefined } }, tr.t('keepAsIs'));
    const confirm = h('button', { type: 'button', class: 'primary', disabled: true }, tr.t('confirmChange'));
    let reviewed: ChangeParams | undefined;
    let generation = 0;
    const dialog: DialogHandle = openDialog({
      title,
      content: [...fields, previewArea],
      actions: [cancel, confirm],
      fallbackFocus: () => this.content.querySelector<HTMLElement>(`[data-focus="heading-${CSS.escape(s.id)}"]`),
    });
    cancel.addEventListener('click', () => dialog.close());
    confirm.addEventListener('click', () => {
      const params = reviewed;
      if (!params) return;
      dialog.close();
      void this.act(async () => {
        await this.options.api.change(s.id, params, { idempotencyKey: idempotencyKey() });
        return done(params);
      }, `heading-${s.id}`);
    });
    return {
      review: async (params: ChangeParams) => {
        const mine = ++generation;
        reviewed = undefined;
        confirm.disabled = true;
        previewArea.setAttribute('aria-busy', 'true');
        replaceChildren(previewArea, h('p', { class: 'loading' }, tr.t('previewLoading')));
        try {
          const preview = await this.options.api.previewChange(s.id, params);
          if (mine !== generation || !dialog.element.open) return;
          replaceChildren(previewArea, renderPreview(preview, tr, { renewsAt: s.current_period_end, recurring: (priceId, quantity) => this.recurringLabel(priceId, quantity) }));
          reviewed = params;
          confirm.disabled = false;
          // After "Review the cost", the next step is to confirm; a switch keeps focus on the safe choice.
          if (initial === undefined) confirm.focus();
        } catch (error) {
          if (mine !== generation || !dialog.element.open) return;
          const reason = error instanceof BillingApiError ? tr.error(error.code, error.status) : tr.error('internal_error', 500);
          replaceChildren(previewArea, h('p', { class: 'notice error' }, tr.t('previewUnavailable', { reason })));
          if (error instanceof BillingApiError && error.code === 'token_expired') {
            dialog.close();
            this.showError(error);
          }
        } finally {
          if (mine === generation) previewArea.removeAttribute('aria-busy');
        }
      },
      invalidate: () => {
        generation++;
        reviewed = undefined;
        confirm.disabled = true;
        replaceChildren(previewArea);
      },
    };
  }
}

/**
 * A new Idempotency-Key for one intended change. crypto.getRandomValues, not randomUUID: the
 * latter exists only on secure origins (https, localhost), and the page may be served over plain
 * http on a private network.
 */
function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `billing-page-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function safeUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

function newTabLink(url: string, text: string, label?: string): HTMLAnchorElement | string {
  if (!safeUrl(url)) return '';
  return h('a', { attrs: { href: url, target: '_blank', rel: 'noopener noreferrer', 'aria-label': label } }, text);
}

