import { IdentityService } from '../../src/identity/identity.service.js';
import { mediumDb, type MediumDb } from './support.js';

/** IdentityService: which customer stands for an account, and what may move a link. */
describe('identity linking (medium: service on a real database)', () => {
  let db: MediumDb;
  const identities = new IdentityService();
  beforeAll(async () => {
    db = await mediumDb();
  });
  afterAll(() => db.close());

  const platform = (customerId: string) => ({ stripeAccount: 'platform', customerId });

  it('links an account to a customer and reads it back, one by one and in a batch', async () => {
    expect(await db.tx((em) => identities.link(em, 'ACC-1', { ...platform('cus_l1'), email: 'a@example.com' }))).toBe('ACC-1');
    await db.tx((em) => identities.link(em, 'ACC-2', platform('cus_l2')));
    expect(await db.tx((em) => identities.accountOf(em, 'platform', 'cus_l1'))).toBe('ACC-1');
    expect(Object.fromEntries(await db.tx((em) => identities.accountsOf(em, 'platform', ['cus_l1', 'cus_l2', 'cus_none'])))).toEqual({ cus_l1: 'ACC-1', cus_l2: 'ACC-2' });
    expect(await db.tx((em) => identities.customerOf(em, 'ACC-1', 'platform'))).toEqual({ customerId: 'cus_l1', email: 'a@example.com', name: null, deleted: false });
  });

  it('a customer linked to one account is not taken by another (a forged metadata value)', async () => {
    await db.tx((em) => identities.link(em, 'ACC-3', platform('cus_l3')));
    expect(await db.tx((em) => identities.link(em, 'ACC-INTRUDER', platform('cus_l3')))).toBe('ACC-3');
    expect(await db.tx((em) => identities.accountOf(em, 'platform', 'cus_l3'))).toBe('ACC-3');
  });

  it('an account keeps its live customer; only a deleted customer is replaced by a new one', async () => {
    await db.tx((em) => identities.link(em, 'ACC-4', platform('cus_l4_old')));
    await db.tx((em) => identities.link(em, 'ACC-4', platform('cus_l4_late')));
    expect((await db.tx((em) => identities.customerOf(em, 'ACC-4', 'platform')))!.customerId).toBe('cus_l4_old');
    await db.tx((em) => identities.markDeleted(em, 'platform', 'cus_l4_old', new Date()));
    expect((await db.tx((em) => identities.customerOf(em, 'ACC-4', 'platform')))!.deleted).toBe(true);
    await db.tx((em) => identities.link(em, 'ACC-4', platform('cus_l4_new')));
    expect(await db.tx((em) => identities.customerOf(em, 'ACC-4', 'platform'))).toEqual({ customerId: 'cus_l4_new', email: null, name: null, deleted: false });
  });
});
