// Connect: Stripe-Account scoping (direct charges), destination charges, deauthorization.
import type Stripe from 'stripe';
import { catalog, control, harness, sdk, startReceiver, type Harness } from './helpers.js';
import { startEmulator } from '../src/index.js';

describe('Connect', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  it('objects created with Stripe-Account are invisible to the platform and to other accounts', async () => {
    const { stripe, emu, receiver } = h;
    const acctA = (await stripe.accounts.create({ type: 'standard', country: 'JP' })).id;
    const acctB = (await control(emu, 'POST', '/_emulator/accounts', { id: 'acct_merchantB' })).body.id as string;
    const onA = { stripeAccount: acctA };
    const customer = await stripe.customers.create({ email: 'direct@example.com' }, onA);
    const { price } = await catalog(stripe, { account: acctA, feature: 'direct_feature' });

    await expect(stripe.customers.retrieve(customer.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(stripe.customers.retrieve(customer.id, {}, { stripeAccount: acctB })).rejects.toMatchObject({ statusCode: 404 });
    expect((await stripe.customers.retrieve(customer.id, {}, onA)).id).toBe(customer.id);
    expect((await stripe.prices.list({}, onA)).data.map((p) => p.id)).toContain(price.id);
    expect((await stripe.prices.list()).data.map((p) => p.id)).not.toContain(price.id);

    // A direct charge: the subscription lives on the connected account, with the platform's fee.
    const session = await stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        customer: customer.id,
        line_items: [{ price: price.id }],
        subscription_data: { application_fee_percent: 10 },
        success_url: 'https://x.example/ok',
      },
      onA,
    );
    expect((await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4242424242424242' })).status).toBe(200);
    const subs = await stripe.subscriptions.list({ customer: customer.id }, onA);
    expect(subs.data[0]).toMatchObject({ status: 'active', application_fee_percent: 10 });
    expect((await stripe.subscriptions.list({ status: 'all' })).data.map((s) => s.id)).not.toContain(subs.data[0].id);
    expect((await stripe.entitlements.activeEntitlements.list({ customer: customer.id }, onA)).data[0].lookup_key).toBe('direct_feature');

    await emu.flushWebhooks();
    const completed = receiver.events.find((e) => e.type === 'checkout.session.completed' && (e.data.object as Stripe.Checkout.Session).id === session.id)!;
    expect(completed.account).toBe(acctA);
    expect(receiver.events.filter((e) => e.type === 'customer.created' && (e.data.object as Stripe.Customer).id === customer.id)[0].account).toBe(acctA);
    // Events are listed on their own account only.
    expect((await stripe.events.list({ type: 'checkout.session.completed' }, onA)).data.map((e) => e.id)).toContain(completed.id);
    expect((await stripe.events.list({ type: 'checkout.session.completed' })).data.map((e) => e.id)).not.toContain(completed.id);
  });

  it('an application fee needs a connected account or a destination', async () => {
    const { stripe } = h;
    const { price } = await catalog(stripe);
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    await expect(stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], application_fee_percent: 5 })).rejects.toMatchObject({
      statusCode: 400,
      param: 'application_fee_percent',
    });
  });

  it('destination charges carry transfer_data and the fee on the platform subscription', async () => {
    const { stripe, emu } = h;
    const destination = (await stripe.accounts.create({ type: 'express' })).id;
    const { price } = await catalog(stripe);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: 'dest@example.com',
      line_items: [{ price: price.id }],
      subscription_data: { application_fee_percent: 12.5, transfer_data: { destination } },
      success_url: 'https://x.example/ok',
    });
    await control(emu, 'POST', `/checkout/${session.id}/pay`, { card: '4242424242424242' });
    const done = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription'] });
    const sub = done.subscription as Stripe.Subscription;
    expect(sub.transfer_data).toEqual({ destination, amount_percent: null });
    expect(sub.application_fee_percent).toBe(12.5);
    const direct = await stripe.subscriptions.create({
      customer: sub.customer as string,
      items: [{ price: price.id }],
      transfer_data: { destination, amount_percent: 80 },
      default_payment_method: 'pm_card_visa',
    });
    expect(direct.transfer_data).toEqual({ destination, amount_percent: 80 });
  });

  it('deauthorization sends account.application.deauthorized and locks the account out', async () => {
    const { stripe, emu, receiver } = h;
    const acct = (await control(emu, 'POST', '/_emulator/accounts', { id: 'acct_leaving' })).body.id as string;
    await stripe.customers.create({}, { stripeAccount: acct });
    expect((await control(emu, 'POST', `/_emulator/accounts/${acct}/deauthorize`)).status).toBe(200);
    await emu.flushWebhooks();
    const event = receiver.events.find((e) => e.type === 'account.application.deauthorized')!;
    expect(event.account).toBe(acct);
    expect((event.data.object as Stripe.Application).object).toBe('application');
    await expect(stripe.customers.list({}, { stripeAccount: acct })).rejects.toMatchObject({ statusCode: 403, type: 'StripePermissionError' });
  });

  it('a Connect endpoint receives connected accounts\' events only, another endpoint the platform\'s only', async () => {
    const emu = await startEmulator({ port: 0 });
    const stripe = sdk(emu);
    let platformSecret = '';
    let connectSecret = '';
    const platformReceiver = await startReceiver(() => platformSecret);
    const connectReceiver = await startReceiver(() => connectSecret);
    try {
      platformSecret = (await stripe.webhookEndpoints.create({ url: platformReceiver.url, enabled_events: ['*'] })).secret!;
      connectSecret = (await stripe.webhookEndpoints.create({ url: connectReceiver.url, enabled_events: ['*'], connect: true })).secret!;
      const acct = (await stripe.accounts.create({ type: 'standard' })).id;
      const onPlatform = await stripe.customers.create({ email: 'platform@example.com' });
      const onAccount = await stripe.customers.create({ email: 'connected@example.com' }, { stripeAccount: acct });
      await emu.flushWebhooks();
      const created = (r: typeof platformReceiver) => r.events.filter((e) => e.type === 'customer.created').map((e) => [(e.data.object as Stripe.Customer).id, e.account ?? null]);
      expect(created(platformReceiver)).toEqual([[onPlatform.id, null]]);
      expect(created(connectReceiver)).toEqual([[onAccount.id, acct]]);
    } finally {
      await emu.stop();
      await platformReceiver.close();
      await connectReceiver.close();
    }
  });

  it('Stripe-Account must name an existing account unless any account is accepted', async () => {
    const { stripe, emu } = h;
    await expect(stripe.customers.list({}, { stripeAccount: 'acct_neverCreated' })).rejects.toMatchObject({
      statusCode: 403,
      type: 'StripePermissionError',
      message: expect.stringContaining("does not have access to account 'acct_neverCreated' (or that account does not exist)"),
    });
    const seeded = await control(emu, 'POST', '/_emulator/seed', { account: 'acct_seededHere', count: 1 });
    expect(seeded.status).toBe(200);
    expect((await stripe.customers.list({}, { stripeAccount: 'acct_seededHere' })).data).toHaveLength(1);

    expect((await control(emu, 'POST', '/_emulator/accept-any-account', { enabled: true })).body).toEqual({ accept_any_account: true });
    try {
      expect((await stripe.customers.list({}, { stripeAccount: 'acct_neverCreated' })).data).toEqual([]);
      expect((await stripe.accounts.retrieve('acct_neverCreated')).id).toBe('acct_neverCreated');
    } finally {
      await control(emu, 'POST', '/_emulator/accept-any-account', { enabled: false });
    }
    expect((await control(emu, 'POST', '/_emulator/accept-any-account', { enabled: 'yes' })).status).toBe(400);
  });
});
