// Bulk seeding through the control API, then listing every subscription through the SDK's
// auto-pagination (100 a page, status=all). Speed and memory at benchmark size (100,000) are
// measured by `npm run bench -- emulator-listing`, not asserted here.
import { control, harness, type Harness } from './helpers.js';

const N = 2_500;

describe('bulk seeding and full listing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  it(`lists all ${N} seeded subscriptions of a connected account through SDK auto-pagination, each once`, async () => {
    const seeded = await control(h.emu, 'POST', '/_emulator/seed', { account: 'acct_scale', count: N });
    expect(seeded.status).toBe(200);
    expect(seeded.body.created).toBe(N);

    const seen = new Set<string>();
    let last = '';
    for await (const sub of h.stripe.subscriptions.list({ limit: 100, status: 'all' }, { stripeAccount: 'acct_scale' })) {
      seen.add(sub.id);
      last = sub.id;
    }
    expect(seen.size).toBe(N);
    // Newest first, so the oldest seeded one comes last.
    expect(last).toBe(seeded.body.sample_subscriptions[0]);
    // The platform sees none of them.
    expect((await h.stripe.subscriptions.list({ limit: 1 })).data).toHaveLength(0);
  });

  it('spreads seeded objects over a span and lists windows of created, with cursors, exactly as the whole list filtered', async () => {
    const span = 1_000_000;
    const seeded = await control(h.emu, 'POST', '/_emulator/seed', { account: 'acct_spread', count: 1_000, spread_seconds: span });
    expect(seeded.status).toBe(200);
    const opts = { stripeAccount: 'acct_spread' };
    const all: { id: string; created: number }[] = [];
    for await (const sub of h.stripe.subscriptions.list({ limit: 100, status: 'all' }, opts)) all.push({ id: sub.id, created: sub.created });
    expect(all).toHaveLength(1_000);
    const newest = all[0]!.created;
    const oldest = all[all.length - 1]!.created;
    expect(newest - oldest).toBeGreaterThan(span * 0.9);
    // Windows [gte, lt) that tile the span, each walked with its own cursor chain (pages of 30), give back every object once, in order.
    const cuts = [oldest, oldest + 1, oldest + span / 4, oldest + span / 2, newest, newest + 1];
    const windows: string[] = [];
    for (let i = cuts.length - 2; i >= 0; i--) {
      for await (const sub of h.stripe.subscriptions.list({ limit: 30, status: 'all', created: { gte: cuts[i]!, lt: cuts[i + 1]! } }, opts)) windows.push(sub.id);
    }
    expect(windows).toEqual(all.map((s) => s.id));
    // gt and lte are the same bounds one second over; a window with nothing in it is an empty page.
    const middle = all.filter((s) => s.created > oldest + span / 4 && s.created <= oldest + span / 2).map((s) => s.id);
    const listed: string[] = [];
    for await (const sub of h.stripe.subscriptions.list({ limit: 100, status: 'all', created: { gt: oldest + span / 4, lte: oldest + span / 2 } }, opts)) listed.push(sub.id);
    expect(listed).toEqual(middle);
    const empty = await h.stripe.subscriptions.list({ limit: 10, status: 'all', created: { lt: oldest } }, opts);
    expect(empty).toMatchObject({ data: [], has_more: false });
    // ending_before within a window walks towards newer objects of that window only.
    const window = all.filter((s) => s.created >= oldest && s.created < oldest + span / 2);
    const back = await h.stripe.subscriptions.list({ limit: 5, status: 'all', ending_before: window[window.length - 1]!.id, created: { gte: oldest, lt: oldest + span / 2 } }, opts);
    expect(back.data.map((s) => s.id)).toEqual(window.slice(-6, -1).map((s) => s.id));
  });
});
