import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, publicUrlFor } from '../../src/config/config';
import { ConfigError } from '../../src/config/env';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-config-'));
const HEX_KEY = 'a'.repeat(64);

describe('configuration', () => {
  it('defaults to the embedded database in ./data, port 3000, info logs', () => {
    const dir = tmp();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ kind: 'embedded', dir: path.join(dir, 'pglite') });
    expect(publicUrlFor(config, 3000)).toBe('http://localhost:3000');
    expect(config.logLevel).toBe('info');
    expect(config.outboundAllowPrivate).toBe(false);
    expect(config.redisUrl).toBeUndefined();
    expect(config.webhookToleranceSeconds).toEqual({ stripe: 300, paddle: 300, lemonsqueezy: 300, polar: 300 });
  });

  it('generates SECRETS_KEY and ADMIN_TOKEN once in the embedded mode, readable only by the owner', () => {
    const dir = tmp();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.freshDataDir).toBe(true);
    expect(first.secretsKey).toHaveLength(32);
    expect(first.adminToken).toMatch(/^rwadm_/);
    const file = path.join(dir, 'secrets.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const second = loadConfig({ DATA_DIR: dir });
    expect(second.freshDataDir).toBe(false);
    expect(second.secretsKey.equals(first.secretsKey)).toBe(true);
    expect(second.adminToken).toBe(first.adminToken);
  });

  it('lets environment variables win over the generated ones', () => {
    const dir = tmp();
    const config = loadConfig({ DATA_DIR: dir, ADMIN_TOKEN: 'my-own-admin-token-123', SECRETS_KEY: HEX_KEY });
    expect(config.adminToken).toBe('my-own-admin-token-123');
    expect(config.secretsKey.equals(Buffer.from(HEX_KEY, 'hex'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'secrets.json'))).toBe(false);
  });

  it('refuses to start on PostgreSQL without SECRETS_KEY', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgresql://localhost/x' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'postgresql://localhost/x' })).toThrow(/SECRETS_KEY is required/);
  });

  it('runs on PostgreSQL with SECRETS_KEY in hex or base64, and without an admin token disables the admin API', () => {
    const hex = loadConfig({ DATABASE_URL: 'postgresql://localhost/x', SECRETS_KEY: HEX_KEY });
    expect(hex.database).toEqual({ kind: 'postgres', url: 'postgresql://localhost/x', queryTimeoutMs: 300_000 });
    expect(hex.adminToken).toBeNull();
    const b64 = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db', SECRETS_KEY: b64 }).secretsKey.equals(Buffer.alloc(32, 7))).toBe(true);
  });

  it.each([
    [{ SECRETS_KEY: 'too-short', DATA_DIR: '/tmp/x' }, /SECRETS_KEY must be 32 bytes/],
    [{ PORT: 'eighty' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: must be a postgres/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ ADMIN_TOKEN: 'short' }, /ADMIN_TOKEN: must be at least 16/],
    [{ PUBLIC_URL: 'ftp://x' }, /PUBLIC_URL/],
    [{ OUTBOUND_ALLOW_PRIVATE: 'yes' }, /OUTBOUND_ALLOW_PRIVATE/],
    [{ TRUST_PROXY: 'proxies; please' }, /TRUST_PROXY/],
    [{ STRIPE_API_BASE_URL: 'stripe.local' }, /STRIPE_API_BASE_URL: must be an http\(s\) URL/],
  ])('rejects %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: tmp(), ...env })).toThrow(message);
  });

  it('treats blank variables as unset and takes PUBLIC_URL, PORT and per-provider tolerances', () => {
    const config = loadConfig({
      DATA_DIR: tmp(),
      DATABASE_URL: '  ',
      PORT: '8080',
      PUBLIC_URL: 'https://refwire.example.com/',
      PADDLE_WEBHOOK_TOLERANCE_SECONDS: '30',
      OUTBOUND_ALLOW_PRIVATE: 'true',
    });
    expect(config.database.kind).toBe('embedded');
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe('https://refwire.example.com');
    expect(config.webhookToleranceSeconds.paddle).toBe(30);
    expect(config.webhookToleranceSeconds.stripe).toBe(300);
    expect(config.outboundAllowPrivate).toBe(true);
    expect(config.trustProxy).toBe(false);
  });

  it('refuses a REDIS_URL that is not a Redis URL (http://… looped on a connection error at run time)', () => {
    expect(() => loadConfig({ DATA_DIR: tmp(), REDIS_URL: 'http://127.0.0.1:6390' })).toThrow(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(loadConfig({ DATA_DIR: tmp(), REDIS_URL: 'rediss://user:pw@cache.example:6380/2' }).redisUrl).toBe('rediss://user:pw@cache.example:6380/2');
  });

  // an uncommented `PORT=` line of .env.example meant a random port, and blank numbers or choices were refused
  it('takes the default of every variable left blank, numbers and choices included', () => {
    const blank = Object.fromEntries(
      ['PORT', 'WORKER_CONCURRENCY', 'METRICS_PORT', 'RATE_LIMIT_PER_MINUTE', 'WEBHOOK_TOLERANCE_SECONDS', 'LOG_LEVEL', 'OUTBOUND_ALLOW_PRIVATE', 'REQUEST_TIMEOUT_SECONDS'].map((name) => [name, ' ']),
    );
    const config = loadConfig({ DATA_DIR: tmp(), ...blank });
    expect(config.port).toBe(3000);
    expect(config.worker.concurrency).toBe(256);
    expect(config.metricsPort).toBeUndefined();
    expect(config.rateLimitPerMinute).toBe(100);
    expect(config.webhookToleranceSeconds.stripe).toBe(300);
    expect(config.logLevel).toBe('info');
    expect(config.outboundAllowPrivate).toBe(false);
    expect(config.requestTimeoutSeconds).toBe(30);
  });

  it.each([
    ['true', true],
    ['2', 2],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
  ])('takes TRUST_PROXY=%j as Express takes it', (value, expected) => {
    expect(loadConfig({ DATA_DIR: tmp(), TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it("takes every provider's API base URL", () => {
    const urls = { STRIPE_API_BASE_URL: 'http://127.0.0.1:1/', PADDLE_API_BASE_URL: 'http://p', LEMONSQUEEZY_API_BASE_URL: 'http://l', POLAR_API_BASE_URL: 'https://polar.proxy' };
    expect(loadConfig({ DATA_DIR: tmp(), ...urls }).providerApiBaseUrls).toEqual({
      stripe: 'http://127.0.0.1:1/',
      paddle: 'http://p',
      lemonsqueezy: 'http://l',
      polar: 'https://polar.proxy',
    });
  });
});
