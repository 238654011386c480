import { invoiceRow, subscriptionRow } from '../../src/subscriptions/stripe-objects.js';
import { DAY, invoice, mediumDb, scope, StripeStub, subscription, syncService, type MediumDb } from './support.js';

/**
 * The access a mirror write stores (`access_until`), from the subscription and the facts beside it:
 * invoices, the application's grace, the merchant's status. Pure rules are unit-tested in
 * src/subscriptions/access-policy.spec.ts; this checks that the repository feeds them the right facts.
 */
describe('access computed by the mirror (medium: repository on a real database)', () => {
  let db: MediumDb;
  const { sync, mirror } = syncService(new StripeStub());
  const start = 1_800_000_000;
  const end = start + 30 * DAY;
  beforeAll(async () => {
    db = await mediumDb();
    await db.query(
      `insert into merchants (id, display_name, charge_model, country, default_currency, status, created_at, updated_at) values
         ('m_live', 'Live', 'platform', 'JP', 'jpy', 'active', now(), now()),
         ('m_gone', 'Gone', 'platform', 'JP', 'jpy', 'deauthorized', now(), now())`,
    );
    await db.query(
      `insert into applications (id, name, merchant_id, allowed_origins, past_due_grace_days, trial_days, allow_multiple_subscriptions_per_product, cancel_invoice_now, cancel_prorate, created_at, updated_at)
       values ('app_grace3', 'Grace 3', 'm_live', '[]', 3, 14, false, false, false, now(), now())`,
    );
  });
  afterAll(() => db.close());

  const accessOf = async (id: string) => {
    const [row] = await db.query<{ access_until: Date | string | null }>('select access_until from subscriptions where id = ?', [id]);
    return row!.access_until === null ? null : new Date(row!.access_until).getTime() / 1000;
  };

  it('active: until the period end', async () => {
    await db.tx((em) => sync.applyFetchedSubscription(em, subscription('sub_acc1', 'cus_acc1', { periodStart: start, periodEnd: end }), scope, start));
    expect(await accessOf('sub_acc1')).toBe(end);
  });

  it('a paid invoice newer than the subscription state extends access to its period end (renewal paid before the subscription update arrives)', async () => {
    const sub = subscription('sub_acc2', 'cus_acc2', { periodStart: start, periodEnd: end });
    await db.tx((em) => sync.applyFetchedSubscription(em, sub, scope, start));
    const renewal = invoice('in_acc2', sub, { periodStart: end, periodEnd: end + 30 * DAY, created: end });
    await db.tx(async (em) => {
      await mirror.upsertInvoice(em, invoiceRow(renewal), 'platform', end, 'newer');
      await mirror.refreshAccess(em, 'sub_acc2');
    });
    expect(await accessOf('sub_acc2')).toBe(end + 30 * DAY);
  });

  it("past_due: the application's grace after the first failed payment, never past the period end plus grace", async () => {
    const sub = subscription('sub_acc3', 'cus_acc3', { periodStart: start, periodEnd: end, status: 'past_due' });
    const failed = invoice('in_acc3', sub, { status: 'open', amount_paid: 0, attempt_count: 1, created: start + 2 * DAY });
    await db.tx(async (em) => {
      await mirror.upsertInvoice(em, invoiceRow(failed), 'platform', start + 2 * DAY, 'newer');
      await mirror.upsertSubscription(em, subscriptionRow(sub), { ...scope, applicationId: 'app_grace3', merchantId: 'm_live', accountId: null }, start + 2 * DAY, 'newer', sub);
    });
    expect(await accessOf('sub_acc3')).toBe(start + 2 * DAY + 3 * DAY);
  });

  it('nothing for incomplete, unpaid, canceled and paused, and nothing once the merchant is deauthorized', async () => {
    for (const status of ['incomplete', 'unpaid', 'canceled', 'paused'] as const) {
      await db.tx((em) => sync.applyFetchedSubscription(em, subscription(`sub_acc_${status}`, `cus_acc_${status}`, { periodStart: start, periodEnd: end, status }), scope, start));
      expect({ status, access: await accessOf(`sub_acc_${status}`) }).toEqual({ status, access: null });
    }
    await db.tx((em) => sync.applyFetchedSubscription(em, subscription('sub_acc_gone', 'cus_acc_gone', { periodStart: start, periodEnd: end }), { ...scope, merchantId: 'm_gone' }, start));
    expect(await accessOf('sub_acc_gone')).toBeNull();
  });
});
