import { lookup } from 'node:dns/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { sendWebhook } from '../../src/outbound/send-webhook';
import { checkTargetUrl, forbiddenAddress, guardedLookup } from '../../src/outbound/target-guard';

describe('outbound targets', () => {
  const strict = { allowPrivate: false };

  it.each([
    ['ftp://example.com/hook', 'ftp scheme'],
    ['file:///etc/passwd', 'file scheme'],
    ['javascript:alert(1)', 'javascript scheme'],
    ['http://127.0.0.1/hook', 'loopback'],
    ['http://2130706433/hook', 'loopback'],
    ['http://0x7f.1/hook', 'loopback'],
    ['http://0177.0.0.1/hook', 'loopback'],
    ['http://127.1/hook', 'loopback'],
    ['http://[::1]/hook', 'loopback'],
    ['http://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/hook', 'loopback'],
    ['http://10.0.0.8/hook', 'private'],
    ['http://172.16.3.4/hook', 'private'],
    ['http://192.168.1.1/hook', 'private'],
    ['http://169.254.169.254/latest/meta-data', 'linkLocal'],
    ['http://100.64.0.1/hook', 'carrierGradeNat'],
    ['http://[fe80::1]/hook', 'linkLocal'],
    ['http://[fd12:3456::1]/hook', 'uniqueLocal'],
    ['http://[64:ff9b::7f00:1]/hook', 'rfc6052'],
    // IPv6 forms embedding IPv4: compatible, NAT64, 6to4, Teredo and SIIT are refused whatever they embed
    ['http://[::127.0.0.1]/hook', 'IPv4-compatible'],
    ['http://[::7f00:1]/hook', 'IPv4-compatible'],
    ['http://[::8.8.8.8]/hook', 'IPv4-compatible'],
    ['http://[::ffff:169.254.169.254]/hook', 'linkLocal'],
    ['http://[64:ff9b::8.8.8.8]/hook', 'rfc6052'],
    ['http://[64:ff9b:1::a00:1]/hook', 'rfc6052'],
    ['http://[2002:7f00:1::1]/hook', '6to4'],
    ['http://[2002:808:808::1]/hook', '6to4'],
    ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook', 'teredo'],
    ['http://[::ffff:0:7f00:1]/hook', 'rfc6145'],
    ['http://0.0.0.0/hook', 'unspecified'],
    ['http://224.0.0.1/hook', 'multicast'],
    ['http://localhost:3000/hook', 'localhost'],
    ['http://api.localhost/hook', 'localhost'],
    ['https://user:secret@hooks.example.com/x', 'credentials'],
    ['not a url', 'not a valid URL'],
  ])('refuses %s (%s)', (url, why) => {
    const check = checkTargetUrl(url, strict);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toMatch(new RegExp(why.split(' ')[0]!, 'i'));
  });

  it.each([
    'https://hooks.example.com/refwire',
    'https://93.184.215.14/hook',
    'http://[2606:4700::1111]/hook',
    'https://8.8.8.8:8443/x',
    // an IPv4-mapped address is its IPv4 address to the socket
    'http://[::ffff:8.8.8.8]/hook',
  ])('accepts %s', (url) => {
    expect(checkTargetUrl(url, strict).ok).toBe(true);
  });

  it('accepts private targets when OUTBOUND_ALLOW_PRIVATE=true, but never other schemes', () => {
    expect(checkTargetUrl('http://127.0.0.1:8080/hook', { allowPrivate: true }).ok).toBe(true);
    expect(checkTargetUrl('gopher://127.0.0.1/', { allowPrivate: true }).ok).toBe(false);
  });

  it('refuses the same addresses when a name resolves to them', () => {
    expect(forbiddenAddress('::7f00:1')).toMatch(/IPv4-compatible/);
    expect(forbiddenAddress('::127.0.0.1')).toMatch(/IPv4-compatible/);
    expect(forbiddenAddress('2002:a00:1::')).toMatch(/6to4/);
    expect(forbiddenAddress('::ffff:10.0.0.1')).toMatch(/private/);
    expect(forbiddenAddress('::ffff:8.8.8.8')).toBeNull();
  });

  it('refuses at connection time a name that resolves to a private address', async () => {
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => guardedLookup('localhost', {}, (e) => resolve(e)));
    expect(err?.code).toBe('EREFUSEDTARGET');
    expect(err?.message).toMatch(/localhost resolves to 127\.0\.0\.1 is a loopback address/);

    // this machine's own name passes the URL check (it is not "localhost") and must be stopped when resolved
    const host = os.hostname();
    const addresses = await lookup(host, { all: true });
    expect(addresses.some((a) => a.address.startsWith('127.') || a.address === '::1')).toBe(true);
    const server = http.createServer((_req, res) => res.end('reached'));
    await new Promise<void>((r) => server.listen(0, r));
    try {
      const { port } = server.address() as AddressInfo;
      const sent = await sendWebhook(`http://${host}:${port}/hook`, '{}', {}, { allowPrivate: false, timeoutMs: 2000 });
      expect(sent).toMatchObject({ ok: false, statusCode: null });
      expect(sent.error).toMatch(/^refused: .* resolves to 127\.0\.0\.1 is a loopback address/);
    } finally {
      server.close();
    }
  });

  describe('sending', () => {
    let server: http.Server;
    let base: string;
    let behave: (req: http.IncomingMessage, res: http.ServerResponse) => void;
    beforeAll(async () => {
      server = http.createServer((req, res) => behave(req, res));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));
    const open = { allowPrivate: true, timeoutMs: 300 };

    it('records a 2xx with the response excerpt, and a 4xx/5xx as a failure', async () => {
      behave = (_req, res) => res.writeHead(202).end('thanks');
      expect(await sendWebhook(`${base}/ok`, '{}', {}, open)).toMatchObject({ ok: true, statusCode: 202, error: null, responseExcerpt: 'thanks' });
      behave = (_req, res) => res.writeHead(500).end('boom');
      expect(await sendWebhook(`${base}/fail`, '{}', {}, open)).toMatchObject({ ok: false, statusCode: 500, error: 'answered 500', responseExcerpt: 'boom' });
    });

    it('does not follow a redirect', async () => {
      let followed = false;
      behave = (req, res) => {
        if (req.url === '/elsewhere') followed = true;
        res.writeHead(302, { location: `${base}/elsewhere` }).end();
      };
      const sent = await sendWebhook(`${base}/moved`, '{}', {}, open);
      expect(sent).toMatchObject({ ok: false, statusCode: 302 });
      expect(sent.error).toMatch(/redirects are not followed/);
      expect(followed).toBe(false);
    });

    it('gives up on a silent endpoint after the timeout, and records a reset connection', async () => {
      behave = () => undefined;
      const slow = await sendWebhook(`${base}/silent`, '{}', {}, open);
      expect(slow).toMatchObject({ ok: false, statusCode: null, error: 'timed out after 300 ms' });
      expect(slow.durationMs).toBeLessThan(1000);
      behave = (req) => req.socket.destroy();
      expect((await sendWebhook(`${base}/reset`, '{}', {}, open)).error).toMatch(/^connection failed: /);
    });
  });
});
