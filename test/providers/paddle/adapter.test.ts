import { createHmac } from 'node:crypto';
import { paddleAdapter } from '../../../src/providers/paddle/adapter';
import { describeAdapterContract } from '../adapter-contract';

const SECRET = 'pdl_ntfset_01hs0t3tw21j988db1pam5xg8m_GrOWLNef+vmtjJYq4mSnHNzvc8uWoJ1I';
const OTHER = 'pdl_ntfset_01hs0t3tw21j988db1pam5xg8m_OtherSecretValue1234567890';
const BODY = JSON.stringify({
  event_id: 'evt_01hv8wptq8987qeep44cyrewp9',
  event_type: 'transaction.completed',
  occurred_at: '2026-11-21T11:59:58.000000Z',
  notification_id: 'ntf_01hv8wptq8987qeep44cyrewp9',
  data: { id: 'txn_01hv8wptq8987qeep44cyrewp9', details: { totals: { grand_total: '65215' } } },
});

describeAdapterContract(paddleAdapter, {
  body: BODY,
  secret: SECRET,
  otherSecret: OTHER,
  eventId: 'evt_01hv8wptq8987qeep44cyrewp9',
  type: 'transaction.completed',
  signsTimestamp: true,
});

describe('paddle adapter: provider traps', () => {
  const NOW = new Date('2026-11-21T12:00:00Z');
  const ts = Math.floor(NOW.getTime() / 1000);
  const h1 = (secret: string) => createHmac('sha256', secret).update(`${ts}:${BODY}`).digest('hex');
  const verify = (header: string) =>
    paddleAdapter.verify({ body: Buffer.from(BODY), headers: { 'paddle-signature': header } }, [SECRET], { now: NOW, toleranceSeconds: 300 });

  it('signs `ts:body` (colon) as Paddle documents', () => {
    expect(paddleAdapter.sign(BODY, SECRET, { now: NOW })['paddle-signature']).toBe(`ts=${ts};h1=${h1(SECRET)}`);
  });

  it('checks every h1, not only the last one as the node SDK does', () => {
    expect(verify(`ts=${ts};h1=${h1(SECRET)};h1=${h1(OTHER)}`).ok).toBe(true);
    expect(verify(`ts=${ts};h1=${h1(OTHER)};h1=${h1(SECRET)}`).ok).toBe(true);
  });

  it('reads occurred_at', () => {
    const result = verify(`ts=${ts};h1=${h1(SECRET)}`);
    expect(result.ok && result.event.occurredAt?.toISOString()).toBe('2026-11-21T11:59:58.000Z');
  });

  it.each(['ts=abc;h1=00', `h1=${'a'.repeat(64)}`, `ts=${ts}`, `ts=${ts};h1=xyz`, 'garbage'])('rejects the malformed header %s', (header) => {
    expect(verify(header)).toEqual({ ok: false, reason: 'malformed_signature' });
  });
});
