import { PROVIDER_NAMES } from '../../src/domain/provider-names';
import { getAdapter } from '../../src/providers/registry';
import { loadFixtures } from '../helpers/fixtures';

/** Every recorded payload: signs → verifies to its own id and type → fails once one byte changes. */
const NOW = new Date('2026-11-21T12:00:00Z');
const SECRETS = { stripe: 'whsec_fixture_secret_1', paddle: 'pdl_ntfset_fixture_secret_1', lemonsqueezy: 'fixture-secret', polar: 'whsec_fixture_polar_1' };

const cases = PROVIDER_NAMES.flatMap((provider) => loadFixtures(provider).map((f) => [`${provider}/${f.file}`, provider, f] as const));

describe('fixtures', () => {
  it('exist for Stripe, each with its provenance', () => {
    const stripe = loadFixtures('stripe');
    expect(stripe.length).toBeGreaterThanOrEqual(10);
    for (const f of stripe) expect(f.provenance.source).toEqual(expect.any(String));
  });

  it.each(cases)('%s signs, verifies and fails when tampered', (_name, provider, fixture) => {
    const adapter = getAdapter(provider);
    const body = Buffer.from(JSON.stringify(fixture.payload));
    const headers = adapter.sign(body, SECRETS[provider], { now: NOW });
    const options = { now: NOW, toleranceSeconds: 300 };
    const verified = adapter.verify({ body, headers }, [SECRETS[provider]], options);
    expect(verified.ok).toBe(true);
    if (provider === 'stripe' && verified.ok) {
      expect(verified.event.eventId).toBe(fixture.payload.id);
      expect(verified.event.type).toBe(fixture.payload.type);
    }
    for (const position of [0, Math.floor(body.length / 2), body.length - 1]) {
      const tampered = Buffer.from(body);
      tampered[position] = tampered[position]! ^ 0x01;
      expect(adapter.verify({ body: tampered, headers }, [SECRETS[provider]], options)).toEqual({ ok: false, reason: 'signature_mismatch' });
    }
  });

  it('cover every Stripe event type Refwire asks merchants to enable', () => {
    const types = new Set(loadFixtures('stripe').map((f) => f.payload.type));
    for (const type of getAdapter('stripe').webhookEvents) expect(types).toContain(type);
  });
});
