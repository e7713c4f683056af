import { loadLedgerInputs, type NewPayment } from '../../src/ledger/ledger-inputs';
import { deliverAndProcess, newAffiliate, newProject, stripeEvent } from '../helpers/ledger';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * The recompute reads a customer's payments as one JSON text per query (src/ledger/ledger-inputs.ts): every amount
 * must come back exact past 2^53, every timestamp as the instant stored, and the payments not yet written sorted
 * among the stored ones.
 */
describe('the ledger inputs read back', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => tdb.drop());

  it('keeps BIGINTs exact, timestamps to the millisecond, and one order for stored and new payments', async () => {
    const projectId = await newProject(tdb.db);
    await newAffiliate(tdb.db, projectId, 'PARTNER');
    const { outcome } = await deliverAndProcess(
      tdb.db,
      projectId,
      stripeEvent('checkout.session.completed.payment.json', (o) => {
        o.payment_intent = 'pi_inputs';
        o.customer = 'cus_inputs';
        o.client_reference_id = null;
        o.metadata = { referral_code: 'PARTNER' };
      }),
    );
    expect(outcome.status).toBe('processed');
    // amounts no JSON number holds (2^62 + 1 and its neighbours), and a stored time with microseconds
    await tdb.db.sql.query(
      `UPDATE conversions SET amount_minor = 4611686018427387905, tax_minor = 4611686018427387903, value_minor = 922337203685477581,
              base_value_minor = 2, occurred_at = '2025-06-25T10:00:00.123456Z', hold_until = '2025-07-25T10:00:00.5Z'
       WHERE project_id = $1 AND kind = 'purchase'`,
      [projectId],
    );
    const [stored] = await tdb.db.sql.query<{ id: string; customer_key: string; affiliate_id: string }>(
      `SELECT id::text, customer_key, affiliate_id::text FROM conversions WHERE project_id = $1 AND kind = 'purchase'`,
      [projectId],
    );
    const fresh = (id: string, externalKey: string, at: string): NewPayment => ({
      id,
      kind: 'renewal',
      externalKey,
      paymentKey: `pk_${externalKey}`,
      customerKey: stored!.customer_key,
      customerId: 'cus_inputs',
      customerEmail: null,
      subscriptionId: 'sub_inputs',
      oneOff: false,
      productIds: ['prod_a', 'prod_b'],
      hints: { couponIds: [], discountIds: [], referralCode: 'PARTNER', clientReferenceId: null, subscriptionReferralCode: null },
      currency: 'usd',
      amountMinor: 9007199254740993n,
      taxMinor: 7n,
      occurredAt: new Date(at),
      inboundEventId: null,
    });
    const later = fresh('00000000-0000-4000-8000-000000000002', 'in_later', '2025-08-01T00:00:00.000Z');
    const between = fresh('00000000-0000-4000-8000-000000000001', 'in_between', '2025-07-01T00:00:00.000Z');

    const inputs = await tdb.db.sql.transaction((tx) => loadLedgerInputs(tx, projectId, 'stripe', [stored!.customer_key], [later, between]));

    expect(inputs.payments.map((p) => p.external_key)).toEqual([expect.any(String), 'in_between', 'in_later']);
    const [first, second] = inputs.payments;
    expect(first).toMatchObject({
      id: stored!.id,
      kind: 'purchase',
      amount_minor: 4611686018427387905n,
      tax_minor: 4611686018427387903n,
      value_minor: 922337203685477581n,
      base_value_minor: 2n,
      refund_level_minor: 0n,
      affiliate_id: stored!.affiliate_id,
      rated_at: null,
      paid_at: null,
      payout_id: null,
    });
    expect(first!.occurred_at).toEqual(new Date('2025-06-25T10:00:00.123Z'));
    expect(first!.hold_until).toEqual(new Date('2025-07-25T10:00:00.500Z'));
    expect(first!.attribution).toMatchObject({ method: expect.any(String) });
    expect(second).toMatchObject({
      id: between.id,
      kind: 'renewal',
      product_ids: ['prod_a', 'prod_b'],
      hints: { referralCode: 'PARTNER' },
      amount_minor: 9007199254740993n,
      tax_minor: 7n,
      value_minor: 0n,
      base_value_minor: 9007199254740986n,
      affiliate_id: null,
      reason: 'pending',
      review_status: null,
      hold_until: null,
    });
    expect(second!.occurred_at).toEqual(new Date('2025-07-01T00:00:00.000Z'));
  });
});
