import { verifyLedger } from '../../src/ledger/verify';
import { getAdapter } from '../../src/providers/registry';
import { applyEvents } from '../../src/ledger/apply-events';
import type { ScopedEvents } from '../../src/ledger/record-events';
import { recomputeCustomersByEmail } from '../../src/ledger/reattribute';
import { balances, conversions, deliverAndProcess, newAffiliate, newProject, stripeEvent, newStripeCoupon } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const PAYMENT = 'checkout.session.completed.payment.json';
const SUB_CHECKOUT = 'checkout.session.completed.subscription.json';
const FIRST_INVOICE = 'invoice.paid.subscription_create.json';
const RENEWAL = 'invoice.paid.subscription_cycle.basil.json';

/** Strips every attribution hint from an object, so a test controls exactly which one is present. */
function bare(o: Record<string, any>) {
  o.metadata = {};
  delete o.client_reference_id;
  delete o.discount;
  o.discounts = [];
  o.total_discount_amounts = [];
  if (o.subscription_details) o.subscription_details.metadata = {};
  if (o.parent?.subscription_details) o.parent.subscription_details.metadata = {};
}

describe('the ledger on PostgreSQL', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());

  const deliver = (projectId: string, payload: Record<string, any>) => deliverAndProcess(tdb.db, projectId, payload);

  it('checkout.session.completed and invoice.paid for one first invoice make one conversion', async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    await deliver(projectId, stripeEvent(SUB_CHECKOUT));
    await deliver(projectId, stripeEvent(FIRST_INVOICE, bare));

    const rows = await conversions(tdb.db, projectId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: 'purchase',
      affiliateId: affiliate.id,
      amountMinor: 3920n,
      baseValueMinor: 3920n,
      valueMinor: 784n,
      reason: null,
      ruleSource: 'project',
      attribution: { method: 'metadata', trace: [expect.objectContaining({ step: 'coupon', result: 'miss' }), expect.objectContaining({ step: 'metadata', result: 'hit' })] },
    });
  });

  it('a new payment is written once, with its commission; its later report updates it', async () => {
    const projectId = await newProject(tdb.db);
    await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    // every write of this project's conversions, as PostgreSQL makes them
    await tdb.db.sql.exec(`CREATE TABLE IF NOT EXISTS conversion_writes (op text, id uuid, project_id uuid, value_minor bigint)`);
    await tdb.db.sql.exec(`CREATE OR REPLACE FUNCTION note_conversion_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO conversion_writes VALUES (TG_OP, NEW.id, NEW.project_id, NEW.value_minor); RETURN NEW; END $$`);
    await tdb.db.sql.exec(`CREATE OR REPLACE TRIGGER note_conversion_write AFTER INSERT OR UPDATE ON conversions FOR EACH ROW EXECUTE FUNCTION note_conversion_write()`);
    const writes = () =>
      tdb.db.sql.query<{ op: string; value_minor: string }>(`SELECT op, value_minor::text FROM conversion_writes WHERE project_id = $1`, [projectId]);
    try {
      await deliver(projectId, stripeEvent(PAYMENT, (o) => (o.payment_status = 'paid')));
      expect(await writes()).toEqual([{ op: 'INSERT', value_minor: '800' }]);
      const succeeded = stripeEvent(PAYMENT);
      succeeded.type = 'checkout.session.async_payment_succeeded';
      await deliver(projectId, succeeded);
      // the report merges into the stored row; the recompute finds nothing else to change
      expect((await writes()).map((w) => w.op)).toEqual(['INSERT', 'UPDATE']);
      expect((await conversions(tdb.db, projectId)).map((r) => r.valueMinor)).toEqual([800n]);
    } finally {
      await tdb.db.sql.exec(`DROP TRIGGER note_conversion_write ON conversions`);
    }
  });

  it('a checkout session and its async_payment_succeeded count one payment once, even processed concurrently', async () => {
    const projectId = await newProject(tdb.db);
    await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    const completed = stripeEvent(PAYMENT, (o) => (o.payment_status = 'paid'));
    const succeeded = stripeEvent(PAYMENT);
    succeeded.type = 'checkout.session.async_payment_succeeded';
    await Promise.all([deliver(projectId, completed), deliver(projectId, succeeded), deliver(projectId, completed)]);
    const rows = await conversions(tdb.db, projectId);
    expect(rows.map((r) => [r.kind, r.paymentKey, r.valueMinor])).toEqual([['purchase', 'pi_3RwFxDemoPayIntent01', 800n]]);
  });

  it("a renewal follows the subscription's affiliate", async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'PARTNER-A');
    await newStripeCoupon(tdb.db, projectId, affiliate.id, 'RWFX20', 'RWFX20');
    await deliver(projectId, stripeEvent(FIRST_INVOICE)); // the discount names coupon RWFX20
    await deliver(projectId, stripeEvent(RENEWAL, bare)); // no hint at all on the renewal

    const [purchase, renewal] = await conversions(tdb.db, projectId);
    expect(purchase).toMatchObject({ kind: 'purchase', affiliateId: affiliate.id, attribution: { method: 'coupon' } });
    expect(renewal).toMatchObject({
      kind: 'renewal',
      affiliateId: affiliate.id,
      valueMinor: 784n,
      attribution: { method: 'subscription', trace: expect.arrayContaining([expect.objectContaining({ step: 'subscription', result: 'hit' })]) },
    });
  });

  it('a basil invoice naming only a discount id finds its coupon through customer.discount.created', async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'PARTNER-D');
    await newStripeCoupon(tdb.db, projectId, affiliate.id, 'PROMO', 'promo_1RwFxDemoPromo0001');
    await deliver(projectId, stripeEvent(RENEWAL, (o) => (o.parent.subscription_details.metadata = {})));
    expect((await conversions(tdb.db, projectId))[0]).toMatchObject({ affiliateId: null, reason: 'unattributed' });
    await deliver(projectId, stripeEvent('customer.discount.created.json'));
    expect((await conversions(tdb.db, projectId))[0]).toMatchObject({ affiliateId: affiliate.id, attribution: { method: 'coupon' } });
  });

  it('a refund before its purchase is applied once the purchase arrives', async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    const refund = await deliver(projectId, stripeEvent('charge.refunded.json', (o) => (o.amount_refunded = 1000)));
    expect(refund.outcome).toEqual({ status: 'processed', reason: null });
    expect(await conversions(tdb.db, projectId)).toEqual([]);

    await deliver(projectId, stripeEvent(PAYMENT));
    const rows = await conversions(tdb.db, projectId);
    expect(rows.map((r) => [r.kind, r.amountMinor, r.valueMinor, r.refundLevelMinor])).toEqual([
      ['purchase', 4000n, 800n, 1000n],
      ['refund', -1000n, -200n, 1000n],
    ]);
    expect(rows[1]!.reversesId).toBe(rows[0]!.id);
    expect(await balances(tdb.db, projectId)).toEqual({ [`${affiliate.id}:USD`]: 600n });
  });

  it('a refund applied while its purchase is still being applied is counted once both commit', async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    const scoped = (payload: Record<string, any>): ScopedEvents => {
      const normalized = getAdapter('stripe').normalize(payload);
      if (normalized.kind !== 'events') throw new Error(`fixture not applicable: ${normalized.kind}`);
      return { scope: { projectId, provider: 'stripe', inboundEventId: null }, events: normalized.events };
    };
    const purchase = scoped(stripeEvent(PAYMENT));
    const refund = scoped(stripeEvent('refund.created.json', (o) => (o.amount = 1000)));

    // the purchase's transaction has recorded and recomputed, and not committed yet
    let release!: () => void;
    let applied!: () => void;
    const purchaseApplied = new Promise<void>((resolve) => (applied = resolve));
    const purchaseDone = tdb.db.sql.transaction(async (tx) => {
      await applyEvents(tx, [purchase], new Date());
      applied();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await purchaseApplied;
    // the refund's, meanwhile: it either waits for the purchase's (seen waiting on a lock), or finishes without it
    let refundFinished = false;
    const refundDone = tdb.db.sql.transaction((tx) => applyEvents(tx, [refund], new Date())).then(() => (refundFinished = true));
    try {
      for (let waited = 0; !refundFinished; waited += 10) {
        const [locks] = await tdb.db.sql.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        if (locks!.waiting > 0) break;
        if (waited > 10_000) throw new Error('the refund neither finished nor waited');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      release();
    }
    await Promise.all([purchaseDone, refundDone]);

    const rows = await conversions(tdb.db, projectId);
    expect(rows.map((r) => [r.kind, String(r.amountMinor), String(r.valueMinor), String(r.refundLevelMinor)])).toEqual([
      ['purchase', '4000', '800', '1000'],
      ['refund', '-1000', '-200', '1000'],
    ]);
    expect(await balances(tdb.db, projectId)).toEqual({ [`${affiliate.id}:USD`]: 600n });
  });

  it('verify names a reported refund that no row reverses, and applying its event again reverses it', async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    await deliver(projectId, stripeEvent(PAYMENT));
    const [purchase] = await conversions(tdb.db, projectId);
    const problems = async () => (await verifyLedger(tdb.db.prisma, projectId, new Date())).checks.filter((c) => !c.ok).map((c) => [c.name, c.failures]);
    expect(await problems()).toEqual([]);

    // what a refund recorded beside its payment's first recompute, unseen by it, left before the two shared a lock:
    // the provider's report stored, no refund row
    const refund = stripeEvent('refund.created.json', (o) => (o.amount = 1000));
    const object = refund.data.object;
    await tdb.db.sql.query(
      `INSERT INTO refund_observations (project_id, provider, payment_ref, observation_key, cumulative, amount_minor, currency, occurred_at)
       VALUES ($1, 'stripe', $2, $3, false, 1000, 'USD', now())`,
      [projectId, object.payment_intent, object.id],
    );
    expect(await problems()).toEqual([
      [
        'every refund a provider reported of a recorded payment is counted',
        [`conversion ${purchase!.id} (stripe payment pi_3RwFxDemoPayIntent01): refunded 1000 of 4000, reversed 0`],
      ],
    ]);

    await deliver(projectId, refund);
    expect(await problems()).toEqual([]);
    expect((await conversions(tdb.db, projectId)).map((r) => [r.kind, String(r.amountMinor), String(r.valueMinor)])).toEqual([
      ['purchase', '4000', '800'],
      ['refund', '-1000', '-200'],
    ]);
    expect(await balances(tdb.db, projectId)).toEqual({ [`${affiliate.id}:USD`]: 600n });
  });

  it('verify counts money given back only against what withdrawals took before it', async () => {
    const projectId = await newProject(tdb.db);
    await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    await deliver(projectId, stripeEvent(PAYMENT));
    const [purchase] = await conversions(tdb.db, projectId);
    const problems = async () => (await verifyLedger(tdb.db.prisma, projectId, new Date())).checks.filter((c) => !c.ok).map((c) => [c.name, c.failures]);
    const paymentIntent = stripeEvent('refund.created.json').data.object.payment_intent;
    const observe = (key: string, amount: number, withdrawal: boolean, at: string) =>
      tdb.db.sql.query(
        `INSERT INTO refund_observations (project_id, provider, payment_ref, observation_key, cumulative, withdrawal, amount_minor, currency, occurred_at)
         VALUES ($1, 'stripe', $2, $3, false, $4, $5, 'USD', $6::timestamptz)`,
        [projectId, paymentIntent, key, withdrawal, amount, at],
      );
    // money given back with nothing taken before it, then a refund no row reverses: the refund is still owed
    await observe('given_back', -4000, true, '2026-01-02T00:00:00Z');
    await observe('re_later', 1000, false, '2026-01-03T00:00:00Z');
    expect(await problems()).toEqual([
      ['every refund a provider reported of a recorded payment is counted', [`conversion ${purchase!.id} (stripe payment pi_3RwFxDemoPayIntent01): refunded 1000 of 4000, reversed 0`]],
    ]);
    // taken, then given back, at one moment: nothing more owed
    await tdb.db.sql.query(`DELETE FROM refund_observations WHERE project_id = $1`, [projectId]);
    await observe('lost', 2500, true, '2026-01-04T00:00:00Z');
    await observe('won', -2500, true, '2026-01-04T00:00:00Z');
    expect(await problems()).toEqual([]);
  });

  it('the same cumulative refund delivered twice reverses once, and refund.created with charge.refunded count one refund', async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    await deliver(projectId, stripeEvent(PAYMENT));
    const partial = (o: Record<string, any>) => (o.amount_refunded = 1000);
    await deliver(projectId, stripeEvent('charge.refunded.json', partial));
    await deliver(projectId, stripeEvent('charge.refunded.json', partial));
    await deliver(projectId, stripeEvent('refund.created.json', (o) => (o.amount = 1000)));
    let rows = await conversions(tdb.db, projectId);
    expect(rows.map((r) => [r.kind, r.valueMinor])).toEqual([
      ['purchase', 800n],
      ['refund', -200n],
    ]);

    // then the rest: partial then full reverses exactly the commission
    await deliver(projectId, stripeEvent('charge.refunded.json'));
    rows = await conversions(tdb.db, projectId);
    expect(rows.map((r) => [r.kind, r.valueMinor, r.refundLevelMinor])).toEqual([
      ['purchase', 800n, 4000n],
      ['refund', -200n, 1000n],
      ['refund', -600n, 4000n],
    ]);
    expect(await balances(tdb.db, projectId)).toEqual({ [`${affiliate.id}:USD`]: 0n });
  });

  it('a payment attributed later, when its referral is created', async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'LATER');
    await deliver(projectId, stripeEvent(PAYMENT, bare));
    expect((await conversions(tdb.db, projectId))[0]).toMatchObject({ affiliateId: null, valueMinor: 0n, reason: 'unattributed' });

    await tdb.db.prisma.referral.create({ data: { projectId, affiliateId: affiliate.id, email: 'jamie.rivera@example.com' } });
    expect(await recomputeCustomersByEmail(tdb.db.sql, projectId, 'Jamie.Rivera@example.com', new Date())).toBe(1);
    expect((await conversions(tdb.db, projectId))[0]).toMatchObject({
      affiliateId: affiliate.id,
      valueMinor: 800n,
      reason: null,
      attribution: { method: 'email' },
    });
  });

  it.each([
    ['self-referral earns nothing', { email: 'jamie.rivera@example.com' }, 'self_referral'],
    ['an inactive affiliate earns nothing', { status: 'inactive' }, 'affiliate_inactive'],
  ])('%s, with a reason', async (_label, extra, reason) => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42', extra);
    await deliver(projectId, stripeEvent(PAYMENT));
    expect((await conversions(tdb.db, projectId))[0]).toMatchObject({ affiliateId: affiliate.id, valueMinor: 0n, reason });
  });

  it("a provider's customer email is kept trimmed and lower-cased: padded, it is still the affiliate's own", async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42', { email: 'jamie.rivera@example.com' });
    await deliver(projectId, stripeEvent(PAYMENT, (o) => (o.customer_details.email = '  Jamie.Rivera@Example.com ')));
    expect((await conversions(tdb.db, projectId))[0]).toMatchObject({ affiliateId: affiliate.id, valueMinor: 0n, reason: 'self_referral', customerEmail: 'jamie.rivera@example.com' });
  });

  it.each([
    ['a product rule beats the project default', null, 3000, 'product', 1176n],
    ['the affiliate override beats the product rule', 5000, 3000, 'affiliate', 1960n],
  ])('%s', async (_label, affiliateBp, productBp, source, value) => {
    const projectId = await newProject(tdb.db);
    await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42', affiliateBp ? { commissionType: 'percentage', commissionRateBp: affiliateBp } : {});
    await tdb.db.prisma.productRule.create({ data: { projectId, productId: 'prod_RwFxDemoProPl1', commissionType: 'percentage', commissionRateBp: productBp } });
    await deliver(projectId, stripeEvent(FIRST_INVOICE));
    expect((await conversions(tdb.db, projectId))[0]).toMatchObject({ ruleSource: source, valueMinor: value });
  });

  it('with first_payment duration a renewal earns nothing, with a reason; tax is left out of the base', async () => {
    const projectId = await newProject(tdb.db, { commissionDuration: 'first_payment' });
    await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    await deliver(projectId, stripeEvent(FIRST_INVOICE, (o) => (o.tax = 420)));
    await deliver(projectId, stripeEvent(RENEWAL));
    const [purchase, renewal] = await conversions(tdb.db, projectId);
    expect(purchase).toMatchObject({ baseValueMinor: 3500n, valueMinor: 700n, reason: null });
    expect(renewal).toMatchObject({ valueMinor: 0n, reason: 'duration_ended' });
  });

  it('a fixed commission and the hold period', async () => {
    const projectId = await newProject(tdb.db, { commissionType: 'fixed', commissionAmountMinor: 1500n, holdDays: 14 });
    await newAffiliate(tdb.db, projectId, 'ACME-PARTNER-42');
    await deliver(projectId, stripeEvent(FIRST_INVOICE));
    const [row] = await conversions(tdb.db, projectId);
    expect(row!.valueMinor).toBe(1500n);
    expect(row!.holdUntil!.getTime() - row!.occurredAt.getTime()).toBe(14 * 86_400_000);
  });

  it('basil payloads: a Checkout coupon attributes the purchase, and a partial basil charge.refunded reverses half', async () => {
    const projectId = await newProject(tdb.db);
    const affiliate = await newAffiliate(tdb.db, projectId, 'COUPON-OWNER');
    await newStripeCoupon(tdb.db, projectId, affiliate.id, 'RWFX20', 'RWFX20');
    await deliver(projectId, stripeEvent('charge.refunded.basil.json'));
    await deliver(projectId, stripeEvent('checkout.session.completed.payment.basil.json'));
    const rows = await conversions(tdb.db, projectId);
    expect(rows.map((r) => [r.kind, r.affiliateId, r.amountMinor, r.valueMinor])).toEqual([
      ['purchase', affiliate.id, 2000n, 400n],
      ['refund', affiliate.id, -1000n, -200n],
    ]);
    expect(rows[0]!.attribution).toMatchObject({ method: 'coupon' });
  });

  it('marks an event whose payload lacks what we need failed, with the reason, and does not retry it', async () => {
    const projectId = await newProject(tdb.db);
    const { id, outcome } = await deliver(projectId, stripeEvent(FIRST_INVOICE, (o) => delete o.amount_paid));
    expect(outcome).toEqual({ status: 'failed', reason: 'invoice has no amount_paid or currency' });
    const [row] = await tdb.db.sql.query<{ status: string; attempts: number }>('SELECT status, attempts FROM inbound_events WHERE id = $1', [id]);
    expect(row).toEqual({ status: 'failed', attempts: 1 });
  });
});
