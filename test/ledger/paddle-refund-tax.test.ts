import request from 'supertest';
import { loadFixture } from '../helpers/fixtures';
import { ledgerStories, type ledgerStory } from '../helpers/ledger-story';

/**
 * PRODUCT.md §7 through signed Paddle webhooks: the commission is computed on the payment's base (tax excluded), and
 * Paddle's adjustments say how much of a refund was tax, so a refund reverses the commission by its untaxed share of
 * that base: tax alone given back (a VAT number entered after the purchase) reverses nothing, and items taxed at
 * different rates each reverse what they earned, whatever the order the events arrive in.
 */
const SECRET = 'pdl_ntfset_01refundtax_secret_value_01';

function payment(totals: { subtotal: number; tax: number }) {
  const payload = structuredClone(loadFixture('paddle', 'transaction.completed.web.json').payload) as Record<string, any>;
  const total = String(totals.subtotal + totals.tax);
  payload.data.details.totals = { ...payload.data.details.totals, subtotal: String(totals.subtotal), discount: '0', tax: String(totals.tax), total, grand_total: total };
  return payload;
}
function adjustment(id: string, totals: { subtotal: number; tax: number }, at: string) {
  const payload = structuredClone(loadFixture('paddle', 'adjustment.updated.refund.json').payload) as Record<string, any>;
  payload.event_id = `evt_${id}`;
  payload.notification_id = `ntf_${id}`;
  payload.occurred_at = at;
  Object.assign(payload.data, { id, action: 'refund', status: 'approved', updated_at: at, created_at: at });
  payload.data.totals = { ...payload.data.totals, subtotal: String(totals.subtotal), tax: String(totals.tax), total: String(totals.subtotal + totals.tax) };
  return payload;
}

describe("a Paddle refund reverses the commission by its untaxed share of the payment's base", () => {
  const { story: newStory, database } = ledgerStories();

  /** the rows and the affiliate's total once every delivery is processed; ledger/verify must say ok (ledgerStory) */
  async function run(deliveries: Record<string, any>[], story?: Awaited<ReturnType<typeof ledgerStory>>) {
    const { deliver, outcome } = story ?? (await newStory('paddle', SECRET));
    await deliver(deliveries);
    const { conversions, affiliate } = await outcome();
    return { rows: conversions.map((c) => [c.kind, c.value_minor]).sort(), total: affiliate.total_earnings_minor };
  }

  // two items of 50.00, one untaxed and one at 20%: 100.00 + 10.00 tax, earning 20% of 100.00
  const mixed = () => payment({ subtotal: 10_000, tax: 1000 });
  const taxedItem = adjustment('adj_taxed_item', { subtotal: 5000, tax: 1000 }, '2024-04-20T10:00:00Z');
  const untaxedItem = adjustment('adj_untaxed_item', { subtotal: 5000, tax: 0 }, '2024-04-21T10:00:00Z');

  it.each([
    ['in time order', () => [mixed(), taxedItem, untaxedItem]],
    ['refunds first', () => [untaxedItem, taxedItem, mixed()]],
  ])('items taxed at different rates each reverse what they earned (%s)', async (_label, deliveries) => {
    // 60.00 back for the taxed item is half the base, as the 50.00 untaxed one is: 10.00 each, not 10.91 and 9.09
    expect(await run(deliveries())).toEqual({ rows: [['purchase', 2000], ['refund', -1000], ['refund', -1000]], total: 0 });
  });

  // 49.00 + 9.80 tax, earning 9.80; then the customer's VAT number: the 9.80 of tax given back
  const vat = () => payment({ subtotal: 4900, tax: 980 });
  const taxOnly = adjustment('adj_tax_only', { subtotal: 0, tax: 980 }, '2024-04-20T10:00:00Z');
  const rest = adjustment('adj_rest', { subtotal: 4900, tax: 0 }, '2024-05-20T10:00:00Z');

  it('tax alone given back reverses nothing; the whole base refunded afterwards reverses it all', async () => {
    expect(await run([vat(), taxOnly])).toEqual({ rows: [['purchase', 980]], total: 980 });
    expect(await run([rest, vat(), taxOnly])).toEqual({ rows: [['purchase', 980], ['refund', -980]], total: 0 });
  });

  // 61.44 + 4.61 tax, earning 12.29 (20%); then refunded in twelve pieces of 5.12 + 0.38 tax: the whole base
  const pieces = () =>
    Array.from({ length: 12 }, (_, i) => adjustment(`adj_piece_${i}`, { subtotal: 512, tax: 38 }, `2024-04-${String(20 + i).padStart(2, '0')}T10:00:00Z`));
  it.each([
    ['in time order', () => [payment({ subtotal: 6144, tax: 461 }), ...pieces()]],
    ['the pieces first, the latest first', () => [...pieces().reverse(), payment({ subtotal: 6144, tax: 461 })]],
  ])('a refund of the whole base in twelve pieces reverses the whole commission (%s)', async (_label, deliveries) => {
    // each piece's share of the gross is 550.41: rounded one by one they came to 6,600 of 6,605 and reversed 1,228
    const { rows, total } = await run(deliveries());
    expect(rows.filter(([kind]) => kind === 'purchase')).toEqual([['purchase', 1229]]);
    expect(rows.filter(([kind]) => kind === 'refund').reduce((sum, [, v]) => sum + (v as number), 0)).toBe(-1229);
    expect(total).toBe(0);
  });

  it('ledger/verify counts such pieces as the ledger does, together: three whose shares each round up', async () => {
    // 0.06 + 0.03 tax; three refunds of 0.01 + 0.01 tax: 1.5 of the gross each, 4.5 together, so 5 refunded, not 6
    const tiny = [1, 2, 3].map((i) => adjustment(`adj_tiny_${i}`, { subtotal: 1, tax: 1 }, `2024-04-2${i}T10:00:00Z`));
    const { total } = await run([payment({ subtotal: 6, tax: 3 }), ...tiny]);
    expect(total).toBe(0);
    const [row] = await database().db.sql.query<{ refund_level_minor: string }>(
      `SELECT refund_level_minor::text FROM conversions WHERE kind IN ('purchase', 'renewal') AND amount_minor = 9 ORDER BY created_at DESC LIMIT 1`,
    );
    expect(row?.refund_level_minor).toBe('5');
  });

  it('a refund taxed as its payment reverses its share of the gross, as before', async () => {
    const half = adjustment('adj_half', { subtotal: 2450, tax: 490 }, '2024-04-20T10:00:00Z');
    expect(await run([vat(), half])).toEqual({ rows: [['purchase', 980], ['refund', -490]], total: 490 });
  });
  it('a refund recorded before its tax was kept learns it when its event is replayed', async () => {
    const story = await newStory('paddle', SECRET);
    expect(await run([vat(), taxOnly], story)).toEqual({ rows: [['purchase', 980]], total: 980 });
    const events = (await request(story.t.app).get('/api/v1/events?limit=100').set(story.api).expect(200)).body.data as { id: string; provider_event_id: string }[];
    const adjustmentEvent = events.find((e) => e.provider_event_id === 'evt_adj_tax_only')!;
    const observed = () => database().db.sql.query<{ tax_minor: string | null }>(`SELECT tax_minor::text FROM refund_observations WHERE inbound_event_id = $1`, [adjustmentEvent.id]);
    // as a refund stored before tax_minor existed
    await database().db.sql.query(`UPDATE refund_observations SET tax_minor = NULL WHERE inbound_event_id = $1`, [adjustmentEvent.id]);
    expect(await observed()).toEqual([{ tax_minor: null }]);
    // replayed: the observation learns its tax, and the recompute reverses nothing
    await request(story.t.app).post(`/api/v1/events/${adjustmentEvent.id}/replay`).set(story.api).expect(200);
    expect(await observed()).toEqual([{ tax_minor: '980' }]);
    expect(await run([], story)).toEqual({ rows: [['purchase', 980]], total: 980 });
  });
});
