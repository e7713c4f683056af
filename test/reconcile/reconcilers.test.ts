import type { ProviderName } from '../../src/domain/provider-names';
import { getReconciler } from '../../src/providers/registry';
import { loadFixture } from '../helpers/fixtures';
import { ProviderStandIn } from '../helpers/provider-stand-ins';

/**
 * Each provider's listing through its SDK, page after page, against its stand-in: every object created in the window
 * comes back exactly once, none from before it, whatever the page boundaries.
 */
const SINCE = new Date('2026-11-21T12:00:00.000Z');
const UNTIL = new Date('2026-11-21T20:00:00.000Z');
/** 450 objects a minute apart from 250 minutes before the window: the newest 200 in it, five pages of 100 in all */
const at = (i: number) => new Date(SINCE.getTime() + (i - 250) * 60_000);
const N = 450;
const IN_WINDOW = 200;

const fill: Record<ProviderName, (s: ProviderStandIn) => void> = {
  stripe: (s) => {
    const base = loadFixture('stripe', 'checkout.session.completed.payment.json').payload as Record<string, any>;
    for (let i = 0; i < N; i++) s.list('/v1/events').push({ ...structuredClone(base), id: `evt_page_${String(i).padStart(4, '0')}`, created: Math.floor(at(i).getTime() / 1000) });
  },
  paddle: (s) => {
    const base = loadFixture('paddle', 'transaction.completed.oneoff.json').payload as Record<string, any>;
    for (let i = 0; i < N; i++) s.list('/events').push({ ...structuredClone(base), event_id: `evt_01page${String(i).padStart(20, '0')}`, occurred_at: at(i).toISOString() });
  },
  lemonsqueezy: (s) => {
    const base = (loadFixture('lemonsqueezy', 'order_created.oneoff.json').payload as Record<string, any>).data;
    for (let i = 0; i < N; i++) {
      const order = structuredClone(base);
      order.id = String(9000 + i);
      order.attributes.created_at = at(i).toISOString();
      s.list('/v1/orders').push(order);
    }
    s.list('/v1/subscription-invoices');
  },
  polar: (s) => {
    const base = (loadFixture('polar', 'order.paid.purchase.json').payload as Record<string, any>).data;
    for (let i = 0; i < N; i++) {
      const order = structuredClone(base);
      order.id = `66666666-aaaa-4bbb-8ccc-${String(100000000000 + i)}`;
      order.created_at = at(i).toISOString();
      s.list('/v1/orders/').push(order);
    }
    s.list('/v1/refunds/');
  },
};

describe.each(Object.keys(fill) as ProviderName[])('%s reconciler', (provider) => {
  const standIn = new ProviderStandIn(provider);
  beforeAll(async () => {
    await standIn.start();
    fill[provider](standIn);
  });
  afterAll(() => standIn.stop());

  it('returns every object of the window once, through every page, and none from before it', async () => {
    const events = await getReconciler(provider).recover({ apiKey: 'key_for_the_page_test_0001', baseUrl: standIn.url, fetch: globalThis.fetch }, { since: SINCE, until: UNTIL }, { storeId: null });
    expect(events).toHaveLength(IN_WINDOW);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(IN_WINDOW);
    expect(events.every((e) => e.occurredAt >= SINCE && e.occurredAt <= UNTIL)).toBe(true);
    // newest first, it stopped at the page reaching past the window (or asked for the window only): not all five
    const listPath = { stripe: '/v1/events', paddle: '/events', lemonsqueezy: '/v1/orders', polar: '/v1/orders/' }[provider];
    expect(standIn.calls.filter((c) => c.path === listPath).length).toBeLessThanOrEqual(3);
  });
});

describe('Lemon Squeezy reconciler: the sweep for refunds of older payments', () => {
  const standIn = new ProviderStandIn('lemonsqueezy');
  const order = (i: number) => standIn.list('/v1/orders').find((o) => o.id === String(9000 + i))!;
  const refund = (i: number, amount: number, updatedAt: Date) => Object.assign(order(i).attributes, { refunded_amount: amount, updated_at: updatedAt.toISOString() });
  const minutesFromSince = (n: number) => new Date(SINCE.getTime() + n * 60_000);
  beforeAll(async () => {
    await standIn.start();
    fill.lemonsqueezy(standIn);
    // partial refunds, as Lemon Squeezy shows them: still `paid`, `refunded` false, no refunded_at
    refund(10, 300, minutesFromSince(-30)); // an older order, refunded after the sweep's changedSince: found
    refund(20, 400, minutesFromSince(-120)); // refunded before changedSince: the previous sweep's
    refund(5, 500, minutesFromSince(-10)); // created before paidSince: too old to look at
    refund(300, 600, minutesFromSince(470)); // created in the window
  });
  afterAll(() => standIn.stop());

  it('without a sweep only the window is read; with one, the older orders refunded since changedSince add their refunds', async () => {
    const api = { apiKey: 'key_for_the_sweep_test_0001', baseUrl: standIn.url, fetch: globalThis.fetch };
    const windowOnly = await getReconciler('lemonsqueezy').recover(api, { since: SINCE, until: UNTIL }, { storeId: null });
    expect(windowOnly).toHaveLength(IN_WINDOW + 1);
    expect(windowOnly.filter((e) => e.type === 'order_refunded').map((e) => [e.eventId, e.occurredAt.toISOString()])).toEqual([
      ['reconciled:order:9300:refunded:600', minutesFromSince(470).toISOString()],
    ]);

    standIn.calls.length = 0;
    const swept = await getReconciler('lemonsqueezy').recover(api, { since: SINCE, until: UNTIL, sweep: { paidSince: minutesFromSince(-242), changedSince: minutesFromSince(-60) } }, { storeId: null });
    expect(swept).toHaveLength(IN_WINDOW + 2);
    const refunds = swept.filter((e) => e.type === 'order_refunded');
    expect(refunds.map((e) => [e.eventId, e.occurredAt.toISOString()])).toEqual([
      ['reconciled:order:9300:refunded:600', minutesFromSince(470).toISOString()],
      ['reconciled:order:9010:refunded:300', minutesFromSince(-30).toISOString()],
    ]);
    // the older order's payment is not recovered again: its own window's run did that
    expect(swept.filter((e) => e.eventId.startsWith('reconciled:order:9010'))).toHaveLength(1);
    // back to the page reaching past paidSince: all five
    expect(standIn.calls.filter((c) => c.path === '/v1/orders')).toHaveLength(5);
  });
});
