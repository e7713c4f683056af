import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiBase, apiClient, ApiError } from '../../src/mcp/api-client';
import { stdioSettings } from '../../src/mcp/stdio';

describe('the MCP tools\' API client', () => {
  let server: http.Server;
  let base: string;
  const seen: { method?: string; url?: string; authorization?: string; body: string }[] = [];

  beforeAll(async () => {
    // answers by path: what a Refwire, a wrong server and a broken proxy would answer
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
        if (req.url!.startsWith('/api/v1/ok')) res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"success":true,"data":{"n":1}}');
        else if (req.url!.startsWith('/api/v1/gone')) res.writeHead(204).end();
        else if (req.url!.startsWith('/api/v1/slow')) setTimeout(() => res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"success":true}'), 400);
        else if (req.url!.startsWith('/api/v1/refused')) res.writeHead(409, { 'Content-Type': 'application/json' }).end('{"success":false,"error":"already there"}');
        else res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>bad gateway</html>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('takes a Refwire address with or without /api/v1, and nothing but http(s)', () => {
    expect(apiBase('https://refwire.example.com')).toBe('https://refwire.example.com');
    expect(apiBase('https://refwire.example.com/api/v1/')).toBe('https://refwire.example.com');
    expect(apiBase('https://example.com/refwire/')).toBe('https://example.com/refwire');
    expect(() => apiBase('ftp://example.com')).toThrow(/not an http\(s\) URL/);
    expect(stdioSettings({ REFWIRE_API_KEY: 'rw_x' })).toEqual({ apiKey: 'rw_x', apiUrl: 'http://localhost:3000' });
    expect(stdioSettings({ REFWIRE_API_KEY: 'rw_x', REFWIRE_API_URL: 'localhost:3000' })).toEqual({ problem: 'REFWIRE_API_URL is not an http(s) URL: localhost:3000' });
    expect(stdioSettings({ REFWIRE_API_KEY: ' ' })).toHaveProperty('problem', expect.stringMatching(/^REFWIRE_API_KEY is required/));
  });

  it('sends the key, the query (dates as ISO 8601) and the JSON body; answers the JSON or null for a 204', async () => {
    const api = apiClient({ baseUrl: `${base}/api/v1`, apiKey: 'rw_key' });
    seen.length = 0;
    const at = new Date(Date.UTC(2026, 0, 2));
    expect(await api.call({ method: 'POST', path: '/ok/a%40b.test', query: { paid: false, from: at, skipped: undefined }, body: { value: '12.50' } })).toEqual({
      status: 200,
      body: { success: true, data: { n: 1 } },
    });
    expect(seen[0]).toEqual({ method: 'POST', url: '/api/v1/ok/a%40b.test?paid=false&from=2026-01-02T00%3A00%3A00.000Z', authorization: 'Bearer rw_key', body: '{"value":"12.50"}' });
    expect(await api.call({ method: 'DELETE', path: '/gone' })).toEqual({ status: 204, body: null });
  });

  it("turns a refusal into an ApiError with the API's message, and says when the answer is not Refwire's", async () => {
    const api = apiClient({ baseUrl: base, apiKey: 'rw_key' });
    await expect(api.call({ method: 'GET', path: '/refused' })).rejects.toEqual(new ApiError(409, 'already there'));
    await expect(api.call({ method: 'GET', path: '/elsewhere' })).rejects.toThrow(`Refwire at ${base} answered HTTP 502 without JSON`);
    // a port nothing listens on; the cause fetch keeps to itself is said (a refused port, a TLS error)
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = apiClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: 'rw_key' });
    await expect(nowhere.call({ method: 'GET', path: '/ok' })).rejects.toThrow(`could not reach Refwire at http://127.0.0.1:${port}: fetch failed (connect ECONNREFUSED 127.0.0.1:${port})`);
  });

  it('says a write that got no answer in time may have been made, rather than that Refwire could not be reached', async () => {
    const api = apiClient({ baseUrl: base, apiKey: 'rw_key', timeoutMs: 100 });
    await expect(api.call({ method: 'POST', path: '/slow', body: { reference: 'ORD-1' } })).rejects.toEqual(
      new ApiError(null, `Refwire at ${base} did not answer within 0.1 s: the change may have been made; check (list or get it) before sending it again`),
    );
    await expect(api.call({ method: 'GET', path: '/slow' })).rejects.toEqual(new ApiError(null, `Refwire at ${base} did not answer within 0.1 s`));
  });
});
