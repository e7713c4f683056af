import { createHmac } from 'node:crypto';
import { Paddle } from '@paddle/paddle-node-sdk';
import { Webhook } from 'standardwebhooks';
import { paddleAdapter } from '../../src/providers/paddle/adapter';
import { polarAdapter } from '../../src/providers/polar/adapter';
import { bodyOf, loadFixture } from '../helpers/fixtures';

/**
 * Refwire keeps its own verifiers (docs/architecture.md, Providers); where an SDK ships one, each accepts what the
 * other signs, and they disagree only where Refwire is deliberately stricter or wider.
 */

// @polar-sh/sdk 0.49 exports its verifier under a subpath this project's module resolution does not type
// eslint-disable-next-line @typescript-eslint/no-require-imports
const polarSdk = require('@polar-sh/sdk/webhooks') as {
  validateEvent(body: string, headers: Record<string, string>, secret: string): { type: string };
  WebhookVerificationError: new (m: string) => Error;
};

describe('Paddle: our verifier and @paddle/paddle-node-sdk agree', () => {
  const SECRET = 'pdl_ntfset_01hs0t3tw21j988db1pam5xg8m_GrOWLNef+vmtjJYq4mSnHNzvc8uWoJ1I';
  const sdk = new Paddle('pdl_sdbx_apikey_unused');
  const body = bodyOf(loadFixture('paddle', 'transaction.completed.oneoff.json'));
  // the SDK allows 5 s of age on the real clock, so both sides sign and check now
  const now = () => new Date();
  const h1 = (ts: number, secret: string) => createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex');

  it('the SDK accepts what our adapter signs', async () => {
    const headers = paddleAdapter.sign(body, SECRET, { now: now() });
    expect(await sdk.webhooks.isSignatureValid(body, SECRET, headers['paddle-signature']!)).toBe(true);
    const event = await sdk.webhooks.unmarshal(body, SECRET, headers['paddle-signature']!);
    expect(event.eventId).toBe(JSON.parse(body).event_id);
  });

  it('our adapter accepts what the SDK accepts, and refuses what it refuses', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const good = `ts=${ts};h1=${h1(ts, SECRET)}`;
    const bad = `ts=${ts};h1=${h1(ts, 'pdl_ntfset_some_other_secret')}`;
    expect(await sdk.webhooks.isSignatureValid(body, SECRET, good)).toBe(true);
    expect(paddleAdapter.verify({ body: Buffer.from(body), headers: { 'paddle-signature': good } }, [SECRET], { now: now(), toleranceSeconds: 300 }).ok).toBe(true);
    expect(await sdk.webhooks.isSignatureValid(body, SECRET, bad)).toBe(false);
    expect(paddleAdapter.verify({ body: Buffer.from(body), headers: { 'paddle-signature': bad } }, [SECRET], { now: now(), toleranceSeconds: 300 })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('where they differ, on purpose: a rotation header with the valid h1 first (the SDK reads only the last)', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const rotated = `ts=${ts};h1=${h1(ts, SECRET)};h1=${h1(ts, 'pdl_ntfset_the_other_active_secret')}`;
    expect(await sdk.webhooks.isSignatureValid(body, SECRET, rotated)).toBe(false);
    expect(paddleAdapter.verify({ body: Buffer.from(body), headers: { 'paddle-signature': rotated } }, [SECRET], { now: now(), toleranceSeconds: 300 }).ok).toBe(true);
  });
});

describe('Polar: our verifier and @polar-sh/sdk 0.49 (webhooks.validateEvent) agree', () => {
  const SECRET = 'whsec_polar_sdk_agreement_secret_0001';
  const body = bodyOf(loadFixture('polar', 'order.paid.purchase.json'));
  // Polar's server signs with the UTF-8 bytes of the whole secret, handed to Standard Webhooks base64-encoded
  const standard = new Webhook(Buffer.from(SECRET, 'utf8').toString('base64'));

  it('the SDK accepts what our adapter signs', () => {
    const headers = polarAdapter.sign(body, SECRET, { now: new Date(), eventId: 'msg_sdk_check_1' });
    expect(polarSdk.validateEvent(body, headers, SECRET).type).toBe('order.paid');
  });

  it('our adapter accepts what Polar signs (Standard Webhooks with its key), and both refuse another secret', () => {
    const at = new Date();
    const headers = { 'webhook-id': 'msg_sdk_check_2', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': standard.sign('msg_sdk_check_2', at, body) };
    expect(polarSdk.validateEvent(body, headers, SECRET).type).toBe('order.paid');
    expect(polarAdapter.verify({ body: Buffer.from(body), headers }, [SECRET], { now: at, toleranceSeconds: 300 }).ok).toBe(true);

    const other = 'whsec_polar_sdk_agreement_other_0002';
    expect(() => polarSdk.validateEvent(body, headers, other)).toThrow(polarSdk.WebhookVerificationError);
    expect(polarAdapter.verify({ body: Buffer.from(body), headers }, [other], { now: at, toleranceSeconds: 300 })).toEqual({ ok: false, reason: 'signature_mismatch' });
  });
});
