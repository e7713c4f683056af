import { createHmac } from 'node:crypto';
import { polarAdapter } from '../../../src/providers/polar/adapter';
import { describeAdapterContract } from '../adapter-contract';

const SECRET = 'whsec_polar0123456789abcdefghijklmnopqrstu1a2b3c';
const BODY = JSON.stringify({ type: 'order.paid', timestamp: '2026-11-21T11:59:59Z', data: { id: 'ord_1', billing_reason: 'purchase' } });

describeAdapterContract(
  { ...polarAdapter, sign: (body, secret, o) => polarAdapter.sign(body, secret, { ...o, eventId: 'msg_fixed_1' }) },
  { body: BODY, secret: SECRET, otherSecret: 'whsec_someotherpolarsecretvalue', eventId: 'msg_fixed_1', type: 'order.paid', signsTimestamp: true },
);

describe('polar adapter: provider traps', () => {
  const NOW = new Date('2026-11-21T12:00:00Z');
  const ts = Math.floor(NOW.getTime() / 1000);
  const verify = (signature: string, id = 'msg_1') =>
    polarAdapter.verify(
      { body: Buffer.from(BODY), headers: { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature } },
      [SECRET],
      { now: NOW, toleranceSeconds: 300 },
    );

  it("uses the UTF-8 bytes of the whole whsec_ secret as the key, as Polar's server signs", () => {
    const sig = createHmac('sha256', Buffer.from(SECRET, 'utf8')).update(`msg_1.${ts}.${BODY}`).digest('base64');
    const result = verify(`v1,${sig}`);
    expect(result.ok && result.event).toMatchObject({ eventId: 'msg_1', type: 'order.paid' });
  });

  it('rejects the Standard Webhooks convention (base64-decoded key), which Polar does not use', () => {
    const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
    const sig = createHmac('sha256', key).update(`msg_1.${ts}.${BODY}`).digest('base64');
    expect(verify(`v1,${sig}`)).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('accepts a space-separated list where any v1 matches, and dedupes on webhook-id', () => {
    const good = createHmac('sha256', Buffer.from(SECRET)).update(`msg_9.${ts}.${BODY}`).digest('base64');
    const result = verify(`v1,${Buffer.alloc(32).toString('base64')} v1,${good}`, 'msg_9');
    expect(result.ok && result.event.eventId).toBe('msg_9');
  });

  it('rejects a signature for another webhook-id (ids are signed)', () => {
    const sig = createHmac('sha256', Buffer.from(SECRET)).update(`msg_1.${ts}.${BODY}`).digest('base64');
    expect(verify(`v1,${sig}`, 'msg_2')).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it.each(['v1', 'v1,not base64!', 'garbage'])('rejects the malformed signature %s', (signature) => {
    expect(verify(signature)).toEqual({ ok: false, reason: 'malformed_signature' });
  });
});
