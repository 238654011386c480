import { mediumDb, scope, StripeStub, subscription, syncService, type MediumDb } from './support.js';

/** SubscriptionSyncService.applySubscriptionEvent: the ordering rule, on its own. */
describe('the ordering rule (medium: sync service and mirror on a real database)', () => {
  let db: MediumDb;
  const stripe = new StripeStub();
  const { sync } = syncService(stripe);
  beforeAll(async () => {
    db = await mediumDb();
  });
  afterAll(() => db.close());

  // bigint comes back as a string from PostgreSQL and a number from PGlite: compared as numbers.
  const stored = async (id: string) => {
    const [row] = await db.query<{ stripe_version: string | number; quantity: number }>('select s.stripe_version, i.quantity from subscriptions s join subscription_items i on i.subscription_id = s.id where s.id = ?', [id]);
    return row && { stripe_version: Number(row.stripe_version), quantity: row.quantity };
  };

  it('writes a snapshot newer than what is stored, and skips an older one without asking Stripe', async () => {
    expect(await db.tx((em) => sync.applySubscriptionEvent(em, subscription('sub_order1', 'cus_order1', { quantity: 2 }), scope, 100))).toBe('applied');
    expect(await db.tx((em) => sync.applySubscriptionEvent(em, subscription('sub_order1', 'cus_order1', { quantity: 4 }), scope, 101))).toBe('applied');
    expect(await db.tx((em) => sync.applySubscriptionEvent(em, subscription('sub_order1', 'cus_order1', { quantity: 3 }), scope, 99))).toBe('stale');
    expect(await stored('sub_order1')).toEqual({ stripe_version: 101, quantity: 4 });
    expect(stripe.calls).toEqual([]);
  });

  it('re-fetches a snapshot of the same second as the stored one and writes what Stripe holds', async () => {
    await db.tx((em) => sync.applySubscriptionEvent(em, subscription('sub_order2', 'cus_order2', { quantity: 3 }), scope, 200));
    stripe.subscriptions.set('sub_order2', subscription('sub_order2', 'cus_order2', { quantity: 5 }));
    expect(await db.tx((em) => sync.applySubscriptionEvent(em, subscription('sub_order2', 'cus_order2', { quantity: 1 }), scope, 200))).toBe('refetched');
    expect(await stored('sub_order2')).toEqual({ stripe_version: 200, quantity: 5 });
    expect(stripe.calls).toEqual(['subscriptions.retrieve']);
  });

  it('an object fetched on purpose is written at the time it was read, unless a newer event is stored', async () => {
    await db.tx((em) => sync.applySubscriptionEvent(em, subscription('sub_order3', 'cus_order3', { quantity: 1 }), scope, 300));
    expect(await db.tx((em) => sync.applyFetchedSubscription(em, subscription('sub_order3', 'cus_order3', { quantity: 7 }), scope, 300))).toBe(true);
    expect(await stored('sub_order3')).toEqual({ stripe_version: 300, quantity: 7 });
    expect(await db.tx((em) => sync.applyFetchedSubscription(em, subscription('sub_order3', 'cus_order3', { quantity: 9 }), scope, 299))).toBe(false);
    expect(await stored('sub_order3')).toEqual({ stripe_version: 300, quantity: 7 });
  });
});
