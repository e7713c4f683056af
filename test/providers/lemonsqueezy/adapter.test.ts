import { createHash, createHmac } from 'node:crypto';
import { lemonSqueezyAdapter } from '../../../src/providers/lemonsqueezy/adapter';
import { describeAdapterContract } from '../adapter-contract';

const SECRET = 'lemon-signing-secret';
const withId = (webhookId?: string) =>
  JSON.stringify({
    meta: { event_name: 'order_created', test_mode: true, ...(webhookId ? { webhook_id: webhookId } : {}), custom_data: { referral_code: 'ALICE' } },
    data: { type: 'orders', id: '1', attributes: { total: 999, currency: 'USD', created_at: '2026-11-21T11:00:00.000000Z', updated_at: '2026-11-21T11:00:05.000000Z' } },
  });

describeAdapterContract(lemonSqueezyAdapter, {
  body: withId('7b1e9c8a-1111-4222-8333-444455556666'),
  secret: SECRET,
  otherSecret: 'another-secret',
  eventId: '7b1e9c8a-1111-4222-8333-444455556666',
  type: 'order_created',
  signsTimestamp: false,
});

describe('lemon squeezy adapter: provider traps', () => {
  // the time of the bodies above, as the other adapters' tests use (Lemon Squeezy signs no timestamp to check it against)
  const NOW = new Date('2026-11-21T12:00:00Z');
  const verify = (body: string, signature: string) =>
    lemonSqueezyAdapter.verify({ body: Buffer.from(body), headers: { 'x-signature': signature } }, [SECRET], {
      now: NOW,
      toleranceSeconds: 300,
    });
  const hmac = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');

  it('verifies the hex HMAC of the raw body, as the official examples compute it', () => {
    const body = withId('a');
    const result = verify(body, hmac(body));
    expect(result.ok && result.event).toMatchObject({ eventId: 'a', type: 'order_created', livemode: false });
  });

  it('dedupes on a hash of the body when meta.webhook_id is absent', () => {
    const body = withId();
    const result = verify(body, hmac(body));
    expect(result.ok && result.event.eventId).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`);
  });

  it('rejects a signature that is not hex', () => {
    expect(verify(withId('a'), 'not-hex')).toEqual({ ok: false, reason: 'malformed_signature' });
  });
});
