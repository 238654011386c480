// What a person sees on the hosted pages: product names rather than ids, amounts as people write
// them in the currency (zero-decimal JPY, two-decimal USD), in Japanese or English.
import type Stripe from 'stripe';
import { formatAmount, pickLang } from '../src/pages/layout.js';
import { harness, type Harness } from './helpers.js';

describe('hosted pages as a person reads them', () => {
  let h: Harness;
  let monthly: Stripe.Price;
  let yearly: Stripe.Price;
  let dollars: Stripe.Price;
  beforeAll(async () => {
    h = await harness();
    const product = await h.stripe.products.create({ name: 'Demo Plan' });
    monthly = await h.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' } });
    yearly = await h.stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 10000, recurring: { interval: 'year' } });
    const other = await h.stripe.products.create({ name: 'Team Seats' });
    dollars = await h.stripe.prices.create({ product: other.id, currency: 'usd', unit_amount: 1250, recurring: { interval: 'month' } });
  });
  afterAll(() => h.stop());

  const html = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers: { Accept: 'text/html', ...headers } });
    expect(res.status).toBe(200);
    return res.text();
  };
  const checkout = (price: Stripe.Price, extra: Partial<Stripe.Checkout.SessionCreateParams> = {}) =>
    h.stripe.checkout.sessions.create({ mode: 'subscription', customer_email: 'a@example.com', line_items: [{ price: price.id, quantity: 1 }], success_url: 'https://app.example.com/ok', ...extra });

  it('shows the product name and the amount in yen on the checkout page, in English by default', async () => {
    const session = await checkout(monthly);
    const page = await html(session.url!, { 'Accept-Language': 'en-US,en;q=0.9' });
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('Demo Plan');
    expect(page).toContain('¥1,000 per month');
    expect(page).not.toContain('smallest unit');
    expect(page).not.toMatch(/<(b|h2)>price_/);
    expect(page).toContain('Subscribe');
  });

  it('answers in Japanese to a Japanese browser, to ?lang=ja and to the session locale', async () => {
    const session = await checkout(yearly);
    const byBrowser = await html(session.url!, { 'Accept-Language': 'ja-JP,ja;q=0.9,en;q=0.8' });
    expect(byBrowser).toContain('<html lang="ja">');
    expect(byBrowser).toContain('￥10,000 毎年');
    expect(byBrowser).toContain('申し込む');
    // The form posts back in the same language.
    expect(byBrowser).toContain(`action="/checkout/${session.id}/pay?lang=ja"`);
    expect(await html(`${session.url!}?lang=ja`, { 'Accept-Language': 'en' })).toContain('<html lang="ja">');
    expect(await html(`${session.url!}?lang=en`, { 'Accept-Language': 'ja' })).toContain('<html lang="en">');
    const japanese = await checkout(monthly, { locale: 'ja' });
    expect(await html(japanese.url!, { 'Accept-Language': 'en' })).toContain('￥1,000 毎月');
  });

  it('formats two-decimal currencies and quantities', async () => {
    const session = await checkout(dollars, { line_items: [{ price: dollars.id, quantity: 3 }] });
    const page = await html(session.url!);
    expect(page).toContain('Team Seats</b> × 3');
    expect(page).toContain('$37.50 per month');
  });

  it('names plans by product and price on the billing portal, not by ids', async () => {
    const customer = await h.stripe.customers.create({ email: 'owner@example.com', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
    const portal = await h.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://app.example.com/billing' });
    const en = await html(portal.url);
    expect(en).toContain('<h2>Demo Plan — active</h2>');
    expect(en).toContain('owner@example.com');
    expect(en).toContain('Demo Plan — ¥10,000 per year');
    expect(en).not.toContain(`Price <code>${monthly.id}</code>`);
    const ja = await html(portal.url, { 'Accept-Language': 'ja' });
    expect(ja).toContain('<h2>Demo Plan — 有効</h2>');
    expect(ja).toContain('￥1,000 毎月');
    expect(ja).toContain('期間の終了時に解約する');
  });

  it('picks the language by the lang parameter, then the locale, then Accept-Language by weight', () => {
    expect(pickLang(undefined, null, undefined)).toBe('en');
    expect(pickLang(undefined, null, 'fr-FR,ja;q=0.8,en;q=0.5')).toBe('ja');
    expect(pickLang(undefined, null, 'en;q=0.4, ja;q=0.9')).toBe('ja');
    expect(pickLang(undefined, 'auto', 'ja')).toBe('ja');
    expect(pickLang(undefined, 'en', 'ja')).toBe('en');
    expect(pickLang('ja', 'en', 'en')).toBe('ja');
    expect(pickLang('xx', null, '*')).toBe('en');
  });

  it('formats amounts by the currency: whole yen, hundredths of a dollar, thousandths of a dinar', () => {
    expect(formatAmount(1000, 'jpy')).toBe('¥1,000');
    expect(formatAmount(1000, 'jpy', 'ja')).toBe('￥1,000');
    expect(formatAmount(1250, 'usd')).toBe('$12.50');
    expect(formatAmount(1500, 'kwd')).toMatch(/^KWD\s1\.500$/);
  });
});
