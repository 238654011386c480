// The shape check's samples of subscription schedules (shapes.spec.ts calls it): each answer and,
// through the harness's receiver, each event these calls and the clock publish.
import type Stripe from 'stripe';
import type { RunningEmulator } from '../src/index.js';

type Add = (label: string, type: string, value: unknown) => void;

export async function scheduleSamples(stripe: Stripe, emu: RunningEmulator, add: Add): Promise<void> {
  const customer = await stripe.customers.create({ email: 'schedule@example.com', invoice_settings: { default_payment_method: 'pm_card_visa' } });
  const product = await stripe.products.create({ name: 'Scheduled plan' });
  const price = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 1000, recurring: { interval: 'month' } });
  const pro = await stripe.prices.create({ product: product.id, currency: 'jpy', unit_amount: 2000, recurring: { interval: 'month' } });

  const schedule = await stripe.subscriptionSchedules.create({
    customer: customer.id,
    end_behavior: 'cancel',
    metadata: { a: 'b' },
    phases: [{ items: [{ price: price.id }], end_date: emu.now() + 10 * 86_400 }, { items: [{ price: pro.id, quantity: 2 }], duration: { interval: 'day', interval_count: 10 } }],
  });
  add('POST /v1/subscription_schedules', 'Stripe.SubscriptionSchedule', schedule);
  add('GET /v1/subscription_schedules/:id', 'Stripe.SubscriptionSchedule', await stripe.subscriptionSchedules.retrieve(schedule.id));
  add('GET /v1/subscription_schedules', 'Stripe.ApiList<Stripe.SubscriptionSchedule>', await stripe.subscriptionSchedules.list({ customer: customer.id }));
  add('GET /v1/subscriptions/:id (scheduled)', 'Stripe.Subscription', await stripe.subscriptions.retrieve(schedule.subscription as string));
  emu.advance(21 * 86_400);
  add('GET /v1/subscription_schedules/:id (completed)', 'Stripe.SubscriptionSchedule', await stripe.subscriptionSchedules.retrieve(schedule.id));

  const sub = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  const from = await stripe.subscriptionSchedules.create({ from_subscription: sub.id });
  add('POST /v1/subscription_schedules (from_subscription)', 'Stripe.SubscriptionSchedule', from);
  add(
    'POST /v1/subscription_schedules/:id',
    'Stripe.SubscriptionSchedule',
    await stripe.subscriptionSchedules.update(from.id, { phases: [{ items: [{ price: price.id }], start_date: from.phases[0].start_date, end_date: from.phases[0].end_date }, { items: [{ price: pro.id }] }] }),
  );
  add('POST /v1/subscription_schedules/:id/release', 'Stripe.SubscriptionSchedule', await stripe.subscriptionSchedules.release(from.id));
  const later = await stripe.subscriptionSchedules.create({ customer: customer.id, start_date: emu.now() + 86_400, phases: [{ items: [{ price: price.id }] }] });
  add('POST /v1/subscription_schedules (not started)', 'Stripe.SubscriptionSchedule', later);
  add('POST /v1/subscription_schedules/:id/cancel', 'Stripe.SubscriptionSchedule', await stripe.subscriptionSchedules.cancel(later.id));
}
