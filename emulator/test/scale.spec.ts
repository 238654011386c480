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
});
