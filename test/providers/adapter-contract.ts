import type { ProviderAdapter, VerifyFailure } from '../../src/providers/provider-adapter';

/**
 * The adversarial block every adapter must pass: sign → verify, then each way a delivery can be wrong fails
 * closed with its reason. Provider-specific traps are tested beside it in each provider's own file.
 */
export function describeAdapterContract(
  adapter: ProviderAdapter,
  fixture: { body: string; secret: string; otherSecret: string; eventId: string; type: string; signsTimestamp: boolean },
): void {
  const NOW = new Date('2026-11-21T12:00:00Z');
  const opts = { now: NOW, toleranceSeconds: 300 };
  const body = Buffer.from(fixture.body);
  const verify = (headers: Record<string, string>, b = body, secrets = [fixture.secret], o = opts) =>
    adapter.verify({ body: b, headers }, secrets, o);
  const signed = (secret = fixture.secret, now = NOW, b: Buffer = body) => adapter.sign(b, secret, { now });
  const expectFailure = (result: ReturnType<typeof verify>, reason: VerifyFailure) => expect(result).toEqual({ ok: false, reason });

  describe(`${adapter.name} adapter: the common adversarial block`, () => {
    it('verifies its own signature and reads the event identity', () => {
      const result = verify(signed());
      expect(result.ok).toBe(true);
      if (result.ok) {
        expect(result.event.eventId).toBe(fixture.eventId);
        expect(result.event.type).toBe(fixture.type);
      }
    });

    it('fails without signature headers', () => {
      expectFailure(verify({}), 'missing_signature');
    });

    it('fails with another secret', () => {
      expectFailure(verify(signed(fixture.otherSecret)), 'signature_mismatch');
    });

    it('fails when one byte of the body changed', () => {
      const headers = signed();
      const tampered = Buffer.from(body);
      tampered[Math.floor(tampered.length / 2)] = tampered[Math.floor(tampered.length / 2)]! ^ 0x01;
      expectFailure(verify(headers, tampered), 'signature_mismatch');
    });

    it('passes with either of two active secrets (rotation)', () => {
      expect(verify(signed(fixture.otherSecret), body, [fixture.secret, fixture.otherSecret]).ok).toBe(true);
      expect(verify(signed(fixture.secret), body, [fixture.otherSecret, fixture.secret]).ok).toBe(true);
    });

    if (fixture.signsTimestamp) {
      it('fails on stale and future timestamps, passes a few seconds of clock skew', () => {
        expectFailure(verify(signed(fixture.secret, new Date(NOW.getTime() - 301_000))), 'stale_timestamp');
        expectFailure(verify(signed(fixture.secret, new Date(NOW.getTime() + 301_000))), 'future_timestamp');
        expect(verify(signed(fixture.secret, new Date(NOW.getTime() + 10_000))).ok).toBe(true);
        expect(verify(signed(fixture.secret, new Date(NOW.getTime() - 10_000))).ok).toBe(true);
      });
    }

    it('fails on a correctly signed body that is not a JSON event', () => {
      const junk = Buffer.from('{"not":"an event"}');
      expectFailure(verify(signed(fixture.secret, NOW, junk), junk), 'malformed_payload');
    });
  });
}
