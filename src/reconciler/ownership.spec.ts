import { belongsToScope, ownerOf, type OwnedSubscription, type Owners } from './ownership.js';

const owners: Owners = {
  apps: new Map([
    ['inbox', 'platform'],
    ['shop-app', 'shop'],
    ['market-app', 'market'],
  ]),
  destinations: new Map([['acct_Market', 'market']]),
};

const sub = (metadata: Record<string, string> = {}, destination?: string | { id: string }): OwnedSubscription =>
  ({ metadata, transfer_data: destination ? { destination, amount_percent: null } : null }) as unknown as OwnedSubscription;

const platform = { id: 'platform', chargeModel: 'platform' as const };
const shop = { id: 'shop', chargeModel: 'direct' as const };
const market = { id: 'market', chargeModel: 'destination' as const };

describe('ownerOf', () => {
  it('is the application named in the metadata, with its merchant', () => {
    expect(ownerOf(sub({ application_id: 'inbox' }), owners, 'platform', platform)).toEqual({ merchantId: 'platform', applicationId: 'inbox' });
    expect(ownerOf(sub({ application_id: 'shop-app' }), owners, 'acct_Shop', shop)).toEqual({ merchantId: 'shop', applicationId: 'shop-app' });
  });

  it('ignores an application id no application has', () => {
    expect(ownerOf(sub({ application_id: 'gone' }), owners, 'platform', platform)).toEqual({ merchantId: null, applicationId: null });
  });

  it('falls back to the destination merchant the money goes to, given as an id or expanded', () => {
    expect(ownerOf(sub({}, 'acct_Market'), owners, 'platform', platform)).toEqual({ merchantId: 'market', applicationId: null });
    expect(ownerOf(sub({}, { id: 'acct_Market' }), owners, 'platform', platform)).toEqual({ merchantId: 'market', applicationId: null });
  });

  it('on a connected account, falls back to the merchant whose account it is; on the platform, to no merchant', () => {
    expect(ownerOf(sub(), owners, 'acct_Shop', shop)).toEqual({ merchantId: 'shop', applicationId: null });
    expect(ownerOf(sub(), owners, 'platform', platform)).toEqual({ merchantId: null, applicationId: null });
  });

  it("prefers the application's merchant to the destination", () => {
    expect(ownerOf(sub({ application_id: 'inbox' }, 'acct_Market'), owners, 'platform', platform)).toEqual({ merchantId: 'platform', applicationId: 'inbox' });
  });
});

describe('belongsToScope', () => {
  it('takes everything listed for several merchants, or for one direct merchant', () => {
    expect(belongsToScope(sub({ application_id: 'market-app' }), owners, [platform, market])).toBe(true);
    expect(belongsToScope(sub({ application_id: 'inbox' }), owners, [shop])).toBe(true);
  });

  it("for one merchant on the platform account, takes that merchant's subscriptions and those of no merchant", () => {
    expect(belongsToScope(sub({ application_id: 'market-app' }), owners, [market])).toBe(true);
    expect(belongsToScope(sub({}, 'acct_Market'), owners, [market])).toBe(true);
    expect(belongsToScope(sub(), owners, [market])).toBe(true);
    expect(belongsToScope(sub({ application_id: 'inbox' }), owners, [market])).toBe(false);
    expect(belongsToScope(sub({}, 'acct_Market'), owners, [platform])).toBe(false);
  });
});
