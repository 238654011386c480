import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { createTier, type Tier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';
import { accountToken } from '../support/test-app.js';
import { authed, memberToken, ORIGIN, ownerToken, setCatalog } from '../subscriptions/helpers.js';
import { launchChromium, openTab, payOnCheckoutPage, startHostApp, type Tab } from './support.js';

/**
 * Seed 001's billing page in a real browser (Debian's Chromium through playwright-core), against
 * the whole product: the service on a real database, the Stripe emulator, signed webhooks. Every
 * step is done as the owner would (clicks, keyboard, the emulator's checkout page) and checked by
 * what the page shows; each step leaves a screenshot in test-artifacts/browser/.
 */
describe('billing page', () => {
  let s: Stack;
  let browser: Browser;
  let tier: Tier;
  let host: Awaited<ReturnType<typeof startHostApp>>;

  beforeAll(async () => {
    s = await startStack();
    host = await startHostApp();
    tier = await createTier(s.stripe, 'Standard', ['Reports', 'Team inbox']);
    // The catalog mirror learns of the product and prices from their webhooks.
    await s.settle();
    // The page's own origin must be allowed for Stripe's return URLs; the host app's for embedding.
    await setCatalog(s, 'default', [tier.monthly.id, tier.yearly.id], { allowed_origins: [ORIGIN, s.baseUrl, host.origin] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await s?.close();
  });

  const open = async (token: string, options: { lang?: 'ja' | 'en'; locale?: string } = {}): Promise<Tab> => {
    const tab = await openTab(browser, options.locale ?? (options.lang === 'ja' ? 'ja-JP' : 'en-US'));
    await tab.page.goto(`${s.baseUrl}/billing${options.lang ? `?lang=${options.lang}` : ''}#token=${token}`);
    return tab;
  };

  /** The subscription's card on the page (its heading is the product's name). */
  const card = (page: Page) => page.locator('article.card').first();

  /** Subscribes through the page: chooses the price, clicks Subscribe, pays on the checkout tab that opens, and waits for that tab to close. */
  async function subscribeThroughCheckout(tab: Tab, priceLabel: RegExp, subscribe: RegExp, shotPrefix: string): Promise<void> {
    const { page, context } = tab;
    await page.getByLabel(priceLabel).check();
    const popup = context.waitForEvent('page');
    await page.getByRole('button', { name: subscribe, exact: true }).click();
    const checkout = await popup;
    const closed = new Promise<void>((resolve) => checkout.once('close', () => resolve()));
    await payOnCheckoutPage(checkout, (name) => tab.shot(name), `${shotPrefix}-checkout`);
    // Back on the billing page's URL, the checkout tab tells this page and closes itself.
    await closed;
  }

  it('lets the owner subscribe through Stripe Checkout, switch to yearly after its preview, change seats, cancel at period end, resume and cancel now', async () => {
    const tab = await open(await ownerToken('ACME'));
    const { page } = tab;

    await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
    await page.getByText('This account has no subscription yet.').waitFor();
    // The token was read from the fragment and removed from the address bar.
    expect(page.url()).toBe(`${s.baseUrl}/billing`);
    await expect(page.getByRole('radio', { name: '¥1,000 / month' }).isChecked()).resolves.toBe(true);
    await page.getByRole('radio', { name: '¥10,000 / year' }).waitFor();
    await tab.shot('01-owner-before-subscribing');

    // Going back from the checkout page without paying: the tab closes and the page says nothing was charged.
    const abandoned = tab.context.waitForEvent('page');
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    const abandonedCheckout = await abandoned;
    await abandonedCheckout.waitForURL(/\/checkout\/cs_/);
    const abandonedClosed = new Promise<void>((resolve) => abandonedCheckout.once('close', () => resolve()));
    await abandonedCheckout.getByRole('link', { name: 'Cancel and go back' }).click();
    await abandonedClosed;
    await page.getByText('Checkout was canceled. Nothing was charged.').waitFor();

    await subscribeThroughCheckout(tab, /¥1,000 \/ month/, /^Subscribe$/, '02');
    await page.getByText('Thank you! Your subscription to Standard is now Active.').waitFor();
    const sub = card(page);
    await sub.getByRole('heading', { name: 'Standard' }).waitFor();
    await sub.getByText('Active', { exact: true }).waitFor();
    await sub.getByText('¥1,000 / month').waitFor();
    await sub.getByText('1 seat').waitFor();
    await page.getByRole('region', { name: 'Features you can use' }).getByText('Reports').waitFor();
    await page.getByRole('region', { name: 'Features you can use' }).getByText('Team inbox').waitFor();
    // The first invoice, paid, in the invoices table.
    const invoices = page.getByRole('region', { name: 'Invoices' });
    await invoices.getByRole('cell', { name: '¥1,000' }).first().waitFor();
    await invoices.getByRole('cell', { name: 'Paid' }).first().waitFor();
    await page.getByRole('region', { name: 'Seller' }).getByText('Platform').waitFor();
    // Bought once: the catalog's only product is no longer offered for checkout.
    await page.getByText('Every plan on offer is already among your subscriptions.').waitFor();
    await tab.shot('03-owner-subscribed');
    await s.settle();

    // Sync: the mirror already matches Stripe.
    await page.getByRole('button', { name: 'Sync with Stripe' }).click();
    await page.getByText('Synced with Stripe: 0 new, 0 updated, 1 unchanged.').waitFor();

    // Stripe failing: the API's 502 stripe_unavailable in words, when to retry, and the request id to quote.
    s.emulator.setFaults({ api: [{ path: '/v1/subscriptions', method: 'GET', status: 500, count: 10 }] });
    await page.getByRole('button', { name: 'Sync with Stripe' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('Stripe, our payment provider, could not be reached. Try again in a moment.').waitFor();
    await alert.getByText(/^Try again in \d+ seconds\.$/).waitFor();
    await alert.getByText(/^Reference: [0-9a-f-]{36}$/).waitFor();
    await tab.shot('03b-owner-stripe-unavailable');
    s.emulator.clearFaults();
    await alert.getByRole('button', { name: 'Dismiss' }).click();
    expect(await alert.getByText(/could not be reached/).count()).toBe(0);

    // Switch to yearly: the preview first, then the change on confirmation.
    await sub.getByRole('button', { name: 'Switch to yearly' }).click();
    const switchDialog = page.getByRole('dialog', { name: 'Switch Standard to yearly billing?' });
    // A new yearly period is billed at once, less the unused rest of the month.
    await switchDialog.getByText('Charged now').waitFor();
    await switchDialog.getByText('¥9,000').waitFor();
    await switchDialog.getByText('¥10,000 / year').waitFor();
    await switchDialog.getByText('Details').click();
    await switchDialog.getByText(/^Credit for the unused time of the current plan \(.+\): -¥1,000$/).waitFor();
    await tab.shot('04-owner-switch-to-yearly-preview');
    await switchDialog.getByRole('button', { name: 'Confirm change' }).click();
    await page.getByText('Standard is now billed yearly.').waitFor();
    await sub.getByText('¥10,000 / year').waitFor();
    await tab.shot('05-owner-yearly');

    // Change quantity: typed with the keyboard, reviewed, confirmed.
    await sub.getByRole('button', { name: 'Change quantity' }).click();
    const quantityDialog = page.getByRole('dialog', { name: 'Change the number of seats of Standard' });
    const seats = quantityDialog.getByLabel('New number of seats');
    await expect(seats.evaluate((input) => input === (input.ownerDocument.activeElement as unknown))).resolves.toBe(true);
    await seats.fill('3');
    await seats.press('Enter');
    // Two seats more for the rest of the year are carried to the renewal, with the three seats' next year.
    const renews = await sub.locator('dt', { hasText: 'Renews on' }).locator('xpath=following-sibling::dd').textContent();
    await quantityDialog.getByText('Nothing is charged now.').waitFor();
    await quantityDialog.getByText(`Next renewal on ${renews}`).waitFor();
    await tab.shot('06-owner-quantity-preview');
    await quantityDialog.getByRole('button', { name: 'Confirm change' }).click();
    await page.getByText('Standard now has 3 seats.').waitFor();
    await sub.getByText('3 seats').waitFor();
    await sub.getByText('¥30,000 / year').waitFor();
    await tab.shot('07-owner-three-seats');

    // Manage payment: the customer portal in a new tab; a change made there shows here once its webhook is applied.
    const portalOpened = tab.context.waitForEvent('page');
    await page.getByRole('button', { name: 'Manage payment' }).click();
    const portal = await portalOpened;
    await portal.waitForURL(/\/portal\/bps_/);
    await page.getByText('The customer portal opened in a new tab.').waitFor();
    await portal.getByRole('button', { name: 'Cancel at period end' }).click();
    await portal.getByText(/cancels at the end of the period/).waitFor();
    await s.settle();
    const portalClosed = new Promise<void>((resolve) => portal.once('close', () => resolve()));
    await portal.getByRole('link', { name: 'Return' }).click();
    await portalClosed;
    await page.getByText(/^Back from the customer portal\./).waitFor();
    await sub.getByText(/This subscription will be canceled on/).waitFor();
    await tab.shot('08-owner-back-from-portal');
    await sub.getByRole('button', { name: 'Resume' }).click();
    await page.getByText('Standard will renew as usual.').waitFor();

    // Cancel at the period end: the notice says when.
    await sub.getByRole('button', { name: 'Cancel at period end' }).click();
    await sub.getByText(/This subscription will be canceled on .+\. You keep access until then/).waitFor();
    await sub.getByRole('button', { name: 'Resume' }).waitFor();
    await tab.shot('09-owner-cancel-at-period-end');

    await sub.getByRole('button', { name: 'Resume' }).click();
    await page.getByText('Standard will renew as usual.').waitFor();
    await sub.getByRole('button', { name: 'Cancel at period end' }).waitFor();
    expect(await sub.getByText(/will be canceled on/).count()).toBe(0);
    await tab.shot('10-owner-resumed');

    // Cancel now: Escape closes the confirmation without canceling and gives focus back.
    const cancelNow = sub.getByRole('button', { name: 'Cancel now' });
    await cancelNow.click();
    const confirm = page.getByRole('dialog', { name: 'Cancel Standard now?' });
    await confirm.getByText('This cannot be undone').waitFor();
    await expect(confirm.getByRole('button', { name: 'Keep subscription' }).evaluate((b) => b === (b.ownerDocument.activeElement as unknown))).resolves.toBe(true);
    await tab.shot('11-owner-cancel-now-confirmation');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    await expect(cancelNow.evaluate((b) => b === (b.ownerDocument.activeElement as unknown))).resolves.toBe(true);
    await sub.getByText('Active', { exact: true }).waitFor();

    await cancelNow.click();
    await confirm.getByRole('button', { name: 'Cancel subscription now' }).click();
    await page.getByText('Standard has been canceled.').waitFor();
    await sub.getByText('Canceled', { exact: true }).waitFor();
    expect(await sub.getByRole('button').count()).toBe(0);
    await page.getByText('No features are available to this account right now.').waitFor();
    await tab.shot('12-owner-canceled');

    // What the page showed is what Stripe holds.
    const [stripeSub] = (await s.stripe.subscriptions.list({ status: 'all', limit: 10 })).data.filter((x) => x.metadata.account_id === 'ACME');
    expect(stripeSub).toMatchObject({ status: 'canceled', items: { data: [expect.objectContaining({ quantity: 3, price: expect.objectContaining({ id: tier.yearly.id }) })] } });
    expect(tab.problems).toEqual([]);
    await tab.context.close();
  });

  it('shows a member the billing read-only, without the owner’s actions', async () => {
    // MEMBERCO has a subscription, bought by its owner through the API.
    const checkout = await authed(s.http().post('/api/subscriptions/stripe/checkout-session'), await ownerToken('MEMBERCO')).send({
      price_id: tier.monthly.id,
      success_url: `${ORIGIN}/done`,
      cancel_url: `${ORIGIN}/cancel`,
      quantity: 2,
    });
    expect(checkout.status).toBe(200);
    await s.payCheckout(checkout.body.id);
    await s.settle();

    const tab = await open(await memberToken('MEMBERCO'));
    const { page } = tab;
    await page.getByText('You can see this account’s billing, but only the account owner can subscribe, change or cancel.').waitFor();
    const sub = card(page);
    await sub.getByText('Active', { exact: true }).waitFor();
    await sub.getByText('2 seats').waitFor();
    await sub.getByText('¥2,000 / month').waitFor();
    await page.getByRole('region', { name: 'Features you can use' }).getByText('Reports').waitFor();
    for (const name of ['Subscribe', 'Manage payment', 'Sync with Stripe', 'Switch to yearly', 'Change quantity', 'Cancel at period end', 'Cancel now']) {
      expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
    }
    await tab.shot('20-member-read-only');
    expect(tab.problems).toEqual([]);
    await tab.context.close();
  });

  it('says in words when the token has expired', async () => {
    const expired = await accountToken({ acc: 'ACME', role: 'owner' }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
    const tab = await open(expired);
    await tab.page.getByRole('alert').getByText('Your sign-in has expired. Go back to the app and open billing again.').waitFor();
    await tab.shot('30-expired-token');
    expect(tab.problems).toEqual([]);
    await tab.context.close();

    const ja = await open(expired, { lang: 'ja' });
    await ja.page.getByRole('alert').getByText('サインインの有効期限が切れました。アプリに戻って、もう一度お支払いページを開いてください。').waitFor();
    await ja.shot('31-expired-token-ja');
    await ja.context.close();
  });

  it('without a token, asks to be opened from the app', async () => {
    const tab = await openTab(browser);
    await tab.page.goto(`${s.baseUrl}/billing`);
    await tab.page.getByText('This page needs a sign-in from your app. Open billing again from the app.').waitFor();
    await tab.context.close();
  });

  it('runs the same flow in Japanese, chosen by the browser’s language', async () => {
    // No lang parameter: the browser's language (ja-JP) decides.
    const tab = await open(await ownerToken('JACO'), { locale: 'ja-JP' });
    const { page } = tab;
    await page.getByRole('heading', { name: 'お支払いとプラン', level: 1 }).waitFor();
    await page.getByText('このアカウントにはまだ契約がありません。').waitFor();
    await tab.shot('40-ja-before-subscribing');

    await subscribeThroughCheckout(tab, /1,000 \/ 月/, /^申し込む$/, '41-ja');
    await page.getByText('ありがとうございます。Standard の契約は「有効」になりました。').waitFor();
    const sub = card(page);
    await sub.getByText('有効', { exact: true }).waitFor();
    await sub.getByText(/￥1,000 \/ 月/).waitFor();
    await page.getByRole('region', { name: '利用できる機能' }).getByText('Reports').waitFor();
    await page.getByRole('region', { name: '請求書' }).getByRole('cell', { name: '支払い済み' }).first().waitFor();
    await tab.shot('42-ja-subscribed');

    await sub.getByRole('button', { name: '年払いに切り替える' }).click();
    const dialog = page.getByRole('dialog', { name: 'Standard を年払いに切り替えますか？' });
    await dialog.getByText('今回の請求額').waitFor();
    await tab.shot('43-ja-switch-preview');
    await dialog.getByRole('button', { name: '変更を確定' }).click();
    await page.getByText('Standard を年払いに切り替えました。').waitFor();
    await sub.getByText(/￥10,000 \/ 年/).waitFor();

    await sub.getByRole('button', { name: '期間終了時に解約' }).click();
    await sub.getByText(/この契約は .+ に解約されます。/).waitFor();
    await tab.shot('44-ja-cancel-at-period-end');
    await sub.getByRole('button', { name: '解約を取り消す' }).click();
    await page.getByText('Standard の解約を取り消しました。今後も通常どおり更新されます。').waitFor();

    await sub.getByRole('button', { name: '今すぐ解約' }).click();
    const confirm = page.getByRole('dialog', { name: 'Standard を今すぐ解約しますか？' });
    await tab.shot('45-ja-cancel-now-confirmation');
    await confirm.getByRole('button', { name: '今すぐ解約する' }).click();
    await page.getByText('Standard を解約しました。').waitFor();
    await sub.getByText('解約済み', { exact: true }).waitFor();
    await tab.shot('46-ja-canceled');

    // Switching the language keeps the token (in memory) and the page: no reload, no sign-in again.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
    await sub.getByText('Canceled', { exact: true }).waitFor();
    expect(new URL(page.url()).searchParams.get('lang')).toBe('en');
    expect(tab.problems).toEqual([]);
    await tab.context.close();
  });

  it('takes the token from its host by postMessage when embedded, only from host_origin', async () => {
    const token = await ownerToken('EMBEDCO');
    const frameOf = (hostOrigin: string) =>
      `<iframe title="Billing" src="${s.baseUrl}/billing?lang=en&host_origin=${encodeURIComponent(hostOrigin)}" style="width:900px;height:700px"></iframe>`;

    // A host as the README describes it: it answers the page's billing:ready with the token, to the page's origin only.
    host.setPage(`<!doctype html><html lang="en"><head><title>Host app</title></head><body><h1>Host app</h1>${frameOf(host.origin)}
<script>
  addEventListener('message', (event) => {
    if (event.origin !== ${JSON.stringify(s.baseUrl)} || event.data?.type !== 'billing:ready') return;
    event.source.postMessage({ type: 'billing:token', token: ${JSON.stringify(token)} }, event.origin);
  });
</script></body></html>`);
    const tab = await openTab(browser);
    await tab.page.goto(`${host.origin}/`);
    const frame = tab.page.frameLocator('iframe[title="Billing"]');
    await frame.getByText('Account EMBEDCO').waitFor();
    await frame.getByText('This account has no subscription yet.').waitFor();
    await tab.shot('50-embedded');
    expect(tab.problems).toEqual([]);
    await tab.context.close();

    // The page names another origin as its host: a token this page sends it (to any origin, twice) is ignored.
    host.setPage(`<!doctype html><html lang="en"><head><title>Other page</title></head><body>${frameOf('https://elsewhere.example')}
<script>
  const frame = document.querySelector('iframe');
  const send = (n) => { frame.contentWindow.postMessage({ type: 'billing:token', token: ${JSON.stringify(token)} }, '*'); document.body.dataset.sent = String(n); };
  frame.addEventListener('load', () => { send(1); setTimeout(() => send(2), 300); });
</script></body></html>`);
    const other = await openTab(browser);
    await other.page.goto(`${host.origin}/`);
    await other.page.locator('body[data-sent="2"]').waitFor({ state: 'attached' });
    const otherFrame = other.page.frameLocator('iframe[title="Billing"]');
    await otherFrame.getByText('Waiting for https://elsewhere.example to sign you in…').waitFor();
    expect(await otherFrame.getByText('Account EMBEDCO').count()).toBe(0);
    await other.shot('51-embedded-wrong-origin-ignored');
    await other.context.close();

    // A token that has expired: the page says so and asks the host, which sends a fresh one; the page carries on.
    const expired = await accountToken({ acc: 'EMBEDCO', role: 'owner' }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
    host.setPage(`<!doctype html><html lang="en"><head><title>Host app</title></head><body>${frameOf(host.origin)}
<script>
  addEventListener('message', (event) => {
    if (event.origin !== ${JSON.stringify(s.baseUrl)}) return;
    if (event.data?.type === 'billing:ready') event.source.postMessage({ type: 'billing:token', token: ${JSON.stringify(expired)} }, event.origin);
    if (event.data?.type === 'billing:token-expired') {
      document.body.dataset.expiredSeen = 'yes';
      setTimeout(() => event.source.postMessage({ type: 'billing:token', token: ${JSON.stringify(token)} }, event.origin), 500);
    }
  });
</script></body></html>`);
    const renewing = await openTab(browser);
    await renewing.page.goto(`${host.origin}/`);
    const renewingFrame = renewing.page.frameLocator('iframe[title="Billing"]');
    await renewingFrame.getByText('Your sign-in has expired. Waiting for the app to renew it…').waitFor();
    await renewing.page.locator('body[data-expired-seen="yes"]').waitFor({ state: 'attached' });
    await renewingFrame.getByText('Account EMBEDCO').waitFor();
    expect(await renewingFrame.getByText('Your sign-in has expired.').count()).toBe(0);
    expect(renewing.problems).toEqual([]);
    await renewing.context.close();
  });
});
