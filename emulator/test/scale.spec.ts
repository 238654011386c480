// Speed and memory at benchmark size: bulk seeding through the control API, then listing every
// subscription through the SDK's auto-pagination (100 a page, status=all).
import { control, harness, type Harness } from './helpers.js';

const N = Number(process.env.EMULATOR_SCALE_N ?? 100_000);

describe('scale', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.stop());

  it(`lists ${N} seeded subscriptions through SDK auto-pagination in seconds`, async () => {
    const seeded = await control(h.emu, 'POST', '/_emulator/seed', { account: 'acct_scale', count: N });
    expect(seeded.status).toBe(200);
    expect(seeded.body.created).toBe(N);

    const started = Date.now();
    let count = 0;
    let last = '';
    for await (const sub of h.stripe.subscriptions.list({ limit: 100, status: 'all' }, { stripeAccount: 'acct_scale' })) {
      count++;
      last = sub.id;
    }
    const ms = Date.now() - started;
    const rssMb = process.memoryUsage().rss / 1024 / 1024;
    console.log(`seeded ${N} in ${seeded.body.ms} ms; listed ${count} in ${ms} ms; rss ${rssMb.toFixed(0)} MB`);
    expect(count).toBe(N);
    expect(last).toBe(seeded.body.sample_subscriptions[0]);
    expect(ms).toBeLessThan(30_000);
    expect(rssMb).toBeLessThan(1024);
    // The platform sees none of them.
    expect((await h.stripe.subscriptions.list({ limit: 1 })).data).toHaveLength(0);
  });
});
