import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { stripeClient } from '../../../src/providers/stripe/client';

/**
 * STRIPE_API_BASE_URL names where Stripe's API is reached, a proxy or a stand-in, path included: Stripe's SDK takes
 * only a host, port and protocol, and the calls went to the proxy's root.
 */
describe('the Stripe client', () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', url: '/v1/events', has_more: false, data: [] }));
  });
  let origin = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen.length = 0));

  it.each([
    ['a base URL with a path', '/stripe/proxy', '/stripe/proxy/v1/events?limit=3'],
    ['the same with a trailing slash', '/stripe/proxy/', '/stripe/proxy/v1/events?limit=3'],
    ['a bare origin', '', '/v1/events?limit=3'],
  ])('%s: calls go under it', async (_, path, expected) => {
    const stripe = await stripeClient({ apiKey: 'sk_test_clientPathKey0001', baseUrl: `${origin}${path}`, fetch: globalThis.fetch });
    const page = await stripe.events.list({ limit: 3 });
    expect(page.data).toEqual([]);
    expect(seen).toEqual([expected]);
  });
});
