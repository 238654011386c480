import type { SqlEntityManager } from '@mikro-orm/sql';
import { EntityManager } from '@mikro-orm/core';
import { createTier } from '../support/catalog.js';
import { startStack, type Stack } from '../support/stack.js';

describe('a checkout paid on Stripe reaches the mirror through signed webhooks alone', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(() => s.close());

  const query = <T>(sql: string, params: unknown[] = []) => (s.app.get(EntityManager).fork() as SqlEntityManager).execute<T[]>(sql, params);

  it('ends with the subscription active, the invoice paid, the identity stored and the entitlements present', async () => {
    const tier = await createTier(s.stripe, 'standard', ['basic_features']);
    const session = await s.stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: tier.monthly.id, quantity: 3 }],
      customer_email: 'owner@acme.example',
      client_reference_id: 'ACME',
      metadata: { account_id: 'ACME', application_id: 'default' },
      subscription_data: { metadata: { account_id: 'ACME', application_id: 'default' } },
      success_url: 'http://localhost:3000/ok',
      cancel_url: 'http://localhost:3000/cancel',
    });
    expect((await s.payCheckout(session.id)).status).toBe('complete');
    await s.settle();

    const [identity] = await query<{ account_id: string; stripe_customer_id: string; email: string }>('select * from identities where account_id = ?', ['ACME']);
    expect(identity).toMatchObject({ account_id: 'ACME', email: 'owner@acme.example' });
    expect(identity!.stripe_customer_id).toMatch(/^cus_/);

    const subs = await query<{ id: string; status: string; account_id: string; application_id: string; merchant_id: string; access_until: Date; current_period_end: Date }>(
      'select * from subscriptions where account_id = ?',
      ['ACME'],
    );
    expect(subs).toHaveLength(1);
    const sub = subs[0]!;
    expect(sub).toMatchObject({ status: 'active', application_id: 'default', merchant_id: 'platform' });
    expect(new Date(sub.access_until).getTime()).toBe(new Date(sub.current_period_end).getTime());
    const stripeSub = await s.stripe.subscriptions.retrieve(sub.id);
    expect(new Date(sub.current_period_end).getTime() / 1000).toBe(stripeSub.items.data[0]!.current_period_end);

    const items = await query<{ price_id: string; quantity: number; usage_type: string }>('select * from subscription_items where subscription_id = ?', [sub.id]);
    expect(items).toEqual([expect.objectContaining({ price_id: tier.monthly.id, quantity: 3, usage_type: 'licensed' })]);

    const invoices = await query<{ status: string; amount_paid: string }>('select * from invoices where subscription_id = ?', [sub.id]);
    expect(invoices).toEqual([expect.objectContaining({ status: 'paid' })]);
    expect(Number(invoices[0]!.amount_paid)).toBe(3000);

    const entitlements = await query<{ lookup_key: string }>('select lookup_key from active_entitlements where customer_id = ?', [identity!.stripe_customer_id]);
    expect(entitlements.map((e) => e.lookup_key)).toEqual([tier.features[0]!.lookup_key]);

    const states = await query<{ state: string; n: string }>('select state, count(*) as n from webhook_events group by state');
    expect(states.map((r) => r.state)).toEqual(['processed']);
  });
});
