import { PassThrough } from 'node:stream';
import { getAdapter } from '../../src/providers/registry';
import { PROVIDER_NAMES } from '../../src/domain/provider-names';
import { Tally } from '../../src/replay/deliver';
import { providerFromPath, providersByShape, toInput, withFreshEventId, type Delivery } from '../../src/replay/inputs';
import { runDeliveries } from '../../src/replay/run';
import { loadFixtures } from '../helpers/fixtures';

const verifyId = (d: Delivery) => {
  const adapter = getAdapter(d.provider);
  const now = new Date();
  const result = adapter.verify({ body: Buffer.from(d.body), headers: adapter.sign(d.body, 'whsec_input_secret', { now, ...(d.eventId ? { eventId: d.eventId } : {}) }) }, ['whsec_input_secret'], { now, toleranceSeconds: 300 });
  if (!result.ok) throw new Error(result.reason);
  return result.event.eventId;
};

describe('replay inputs', () => {
  it.each(PROVIDER_NAMES)('every shipped %s fixture is recognized by its shape alone, wrapped or bare', (provider) => {
    for (const f of loadFixtures(provider)) {
      expect(providersByShape(f.payload)).toEqual([provider]);
      const wrapped = toInput(`x/${f.file}`, JSON.stringify({ provenance: f.provenance, payload: f.payload, ...((f as { webhook_id?: string }).webhook_id ? { webhook_id: (f as { webhook_id?: string }).webhook_id } : {}) }));
      expect(wrapped).toMatchObject({ kind: 'delivery', delivery: { provider, body: JSON.stringify(f.payload) } });
      const bare = toInput(`x/${f.file}`, JSON.stringify(f.payload));
      expect(bare).toMatchObject({ kind: 'delivery', delivery: { provider } });
    }
  });

  it('a Polar fixture is signed with its recorded webhook id; a bare Polar payload with one derived from its body', () => {
    const [f] = loadFixtures('polar') as (ReturnType<typeof loadFixtures>[number] & { webhook_id: string })[];
    const wrapped = toInput('a.json', JSON.stringify({ provenance: {}, webhook_id: f!.webhook_id, payload: f!.payload }));
    expect(wrapped.kind === 'delivery' && verifyId(wrapped.delivery)).toBe(f!.webhook_id);
    const bare1 = toInput('b.json', JSON.stringify(f!.payload));
    const bare2 = toInput('c.json', JSON.stringify(f!.payload));
    expect(bare1.kind === 'delivery' && bare1.delivery.eventId).toMatch(/^replay_[0-9a-f]{32}$/);
    expect(bare1.kind === 'delivery' && bare1.delivery.eventId).toBe(bare2.kind === 'delivery' && bare2.delivery.eventId);
  });

  it('skips what cannot be sent, saying why', () => {
    expect(toInput('a.json', '{ nope')).toMatchObject({ kind: 'skipped', skipped: { reason: expect.stringMatching(/^not JSON/) } });
    expect(toInput('a.json', '[1,2]')).toMatchObject({ kind: 'skipped', skipped: { reason: expect.stringContaining('not an object') } });
    expect(toInput('a.json', '{"hello":"world"}')).toMatchObject({ kind: 'skipped', skipped: { provider: null, reason: expect.stringContaining('not a provider payload') } });
    const stripe = loadFixtures('stripe')[0]!.payload;
    expect(toInput('a.json', JSON.stringify(stripe), { forced: 'paddle' })).toMatchObject({ kind: 'skipped', skipped: { provider: 'paddle', reason: expect.stringContaining('not a paddle payload') } });
    expect(toInput('a.json', JSON.stringify(stripe), { forced: 'stripe' })).toMatchObject({ kind: 'delivery' });
  });

  it('the folder names the provider (nearest first) and breaks ties of shape', () => {
    expect(providerFromPath('fixtures/stripe/x.json')).toBe('stripe');
    expect(providerFromPath('/data/polar/backfill/paddle/x.json')).toBe('paddle');
    expect(providerFromPath('/tmp/x.json')).toBeNull();
    // a payload that both Paddle and Polar could have sent: the folder decides, else it is skipped
    const both = JSON.stringify({ event_id: 'evt_1', event_type: 'x', type: 'x', data: {} });
    expect(toInput('a.json', both)).toMatchObject({ kind: 'skipped', skipped: { reason: expect.stringContaining('could be paddle or polar') } });
    expect(toInput('a.json', both, { folder: 'polar' })).toMatchObject({ kind: 'delivery', delivery: { provider: 'polar' } });
  });

  it.each(PROVIDER_NAMES)('--fresh-ids gives a %s delivery a new event id, the one its verify deduplicates on', (provider) => {
    const f = loadFixtures(provider).find((x) => x.file.includes('subscription')) ?? loadFixtures(provider)[0]!;
    const input = toInput(`x/${f.file}`, JSON.stringify({ provenance: {}, payload: f.payload, webhook_id: (f as { webhook_id?: string }).webhook_id }));
    if (input.kind !== 'delivery') throw new Error('not a delivery');
    const before = verifyId(input.delivery);
    const a = withFreshEventId(input.delivery);
    const b = withFreshEventId(input.delivery);
    expect(new Set([before, verifyId(a), verifyId(b)]).size).toBe(3);
    // the rest of the payload is untouched
    const strip = (body: string) => {
      const p = JSON.parse(body);
      delete p.id;
      delete p.event_id;
      if (p.meta) delete p.meta.webhook_id;
      return p;
    };
    expect(strip(a.body)).toEqual(strip(input.delivery.body));
  });
});

describe('replay summary and progress', () => {
  it('counts per provider, exit codes: 1 with a rejection, 2 with only skips, 0 otherwise', () => {
    const tally = new Tally();
    expect(tally.exitCode()).toBe(0);
    tally.add('stripe', { kind: 'accepted', status: 200, id: 'a' });
    tally.add('stripe', { kind: 'duplicate', status: 200, id: 'a' });
    expect(tally.exitCode()).toBe(0);
    tally.skip({ label: 'x', provider: null, reason: 'not JSON' });
    expect(tally.exitCode()).toBe(2);
    tally.add('polar', { kind: 'rejected', status: 400, reason: 'webhook verification failed' });
    expect(tally.exitCode()).toBe(1);
    expect(tally.table().split('\n')).toEqual([
      'provider  sent  accepted  duplicates  rejected  skipped',
      'stripe       2         1           1         0        0',
      'polar        1         0           0         1        0',
      'unknown      0         0           0         0        1',
      'total        3         1           1         1        1',
    ]);
  });

  it('on a terminal: a cli-progress bar with the running counts, problems printed above it', async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120, rows: 40, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const inputs = [
      { kind: 'skipped' as const, skipped: { label: 'broken.json', provider: null, reason: 'not JSON' } },
      { kind: 'delivery' as const, delivery: { provider: 'stripe' as const, label: 'one.json', body: '{}' } },
    ];
    const fetch = (async () => new Response(JSON.stringify({ received: true, id: 'e1', duplicate: false }), { status: 200 })) as typeof globalThis.fetch;
    const result = await runDeliveries(inputs, 2, { url: 'http://refwire.test', projectId: 'p', secret: 'whsec_x' }, { progress: 'bar', stream: stream as unknown as NodeJS.WriteStream, fetch });
    expect(result.tally.total).toEqual({ sent: 1, accepted: 1, duplicates: 0, rejected: 0, skipped: 1 });
    expect(out).toContain('skipped   -            broken.json  (not JSON)');
    expect(out).toMatch(/█+ 2\/2 \| accepted 1 \| duplicates 0 \| rejected 0 \| skipped 1/);
  });

  it('retries a 503 as Retry-After says, then reports what it got', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return calls < 3
        ? new Response(JSON.stringify({ success: false, error: 'temporarily unavailable, retry later' }), { status: 503, headers: { 'retry-after': '0' } })
        : new Response(JSON.stringify({ received: true, id: 'e9', duplicate: true }), { status: 200 });
    }) as typeof globalThis.fetch;
    const delivery = { kind: 'delivery' as const, delivery: { provider: 'paddle' as const, label: 'x', body: '{}' } };
    const ok = await runDeliveries([delivery], 1, { url: 'http://r.test', projectId: 'p', secret: 's' }, { progress: 'none', fetch, retryDelayMs: 1 });
    expect(ok.results[0]!.outcome).toEqual({ kind: 'duplicate', status: 200, id: 'e9' });
    calls = -10;
    const gaveUp = await runDeliveries([delivery], 1, { url: 'http://r.test', projectId: 'p', secret: 's' }, { progress: 'none', fetch, retryDelayMs: 1, retries: 1 });
    expect(gaveUp.results[0]!.outcome).toEqual({ kind: 'rejected', status: 503, reason: 'temporarily unavailable, retry later' });
    expect(gaveUp.tally.exitCode()).toBe(1);
  });
});
