import { connectWebhookEndpoint } from '../../src/local-mode.js';
import { control } from '../support/mirror-check.js';
import { startStack, type Stack } from '../support/stack.js';

interface DeliveryRecord {
  event: string;
  type: string;
  endpoint: string;
  status: number | null;
}

/**
 * Stripe sends a connected account's events only to Connect endpoints (`connect=true`) and the
 * platform's own events only to the other endpoints, each signed with its endpoint's own secret.
 * An application of a direct merchant (a connected account) gets both endpoints, and the service
 * accepts deliveries signed with either secret.
 */
describe('Connect and platform webhook endpoints of an application', () => {
  let s: Stack;
  let account: string;
  let endpoints: { platform: string; connect: string };

  beforeAll(async () => {
    s = await startStack();
    account = await s.connectedAccount();
    expect((await s.admin(s.http().post('/admin/merchants')).send({ id: 'hooked-shop', display_name: 'Hooked shop', charge_model: 'direct', stripe_account_id: account })).status).toBe(201);
    expect((await s.admin(s.http().post('/admin/applications')).send({ id: 'hooked-app', name: 'Hooked app', merchant_id: 'hooked-shop' })).status).toBe(201);
    endpoints = await connectWebhookEndpoint(s.app, s.baseUrl, 'hooked-app');
  });
  afterAll(() => s.close());

  it('the Connect endpoint delivers only the connected account\'s events, the platform endpoint only the platform\'s, both accepted', async () => {
    const onAccount = await s.stripe.customers.create({ email: 'connected@example.com' }, { stripeAccount: account });
    const onPlatform = await s.stripe.customers.create({ email: 'platform@example.com' });
    await s.settle();

    const [accountEvent] = (await s.stripe.events.list({ type: 'customer.created' }, { stripeAccount: account })).data.filter((e) => (e.data.object as { id: string }).id === onAccount.id);
    const [platformEvent] = (await s.stripe.events.list({ type: 'customer.created' })).data.filter((e) => (e.data.object as { id: string }).id === onPlatform.id);
    const { deliveries } = await control<{ deliveries: DeliveryRecord[] }>(s, 'GET', '/_emulator/webhooks');
    const to = (endpoint: string) => deliveries.filter((d) => d.endpoint === endpoint);
    expect(to(endpoints.connect).map((d) => [d.event, d.status])).toEqual([[accountEvent!.id, 200]]);
    // Each answered 200 at the first attempt: the service verified each with its endpoint's own secret.
    expect(to(endpoints.platform).map((d) => [d.event, d.status])).toEqual([[platformEvent!.id, 200]]);
  });
});
