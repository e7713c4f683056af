import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { sendError } from './errors';

const WINDOW_MS = 60_000;

/**
 * PRODUCT.md §8: a budget of requests a minute per API key (RATE_LIMIT_PER_MINUTE, default 100), announced in
 * `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (Unix seconds), `429` past it. Counted
 * in Redis when given a store from `redisRateLimitStore`, so every API process draws on one budget; in memory
 * otherwise. A store that cannot answer lets requests through rather than failing the API.
 */
export function apiKeyRateLimit(options: { perMinute: number; store?: Store }): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: options.perMinute,
    legacyHeaders: true,
    standardHeaders: false,
    keyGenerator: (req) => `key:${req.apiKeyId ?? 'none'}`,
    ...(options.store ? { store: options.store } : {}),
    passOnStoreError: true,
    handler: (_req, res) => {
      sendError(res, 429, `rate limit exceeded: ${options.perMinute} requests a minute per API key; retry after the time in X-RateLimit-Reset`);
    },
  });
}

/**
 * The public tracking endpoints have no key to count by: a budget a minute per client address
 * (TRACK_RATE_LIMIT_PER_MINUTE, default 60), apart from the API keys' budgets. IPv6 clients are counted by their
 * /56, since one host usually holds a whole prefix; IPv4-mapped addresses count as their IPv4 address.
 */
export function clientIpRateLimit(options: { perMinute: number; store?: Store }): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: options.perMinute,
    legacyHeaders: true,
    standardHeaders: false,
    keyGenerator: (req) => `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`,
    ...(options.store ? { store: options.store } : {}),
    passOnStoreError: true,
    handler: (_req, res) => {
      sendError(res, 429, `rate limit exceeded: ${options.perMinute} requests a minute per client address; retry after the time in X-RateLimit-Reset`);
    },
  });
}

/** The shared counter store, on its own Redis connection that gives up on a command after half a second. */
export function redisRateLimitStore(url: string, prefix: string): { store: Store; close(): void } {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 500, retryStrategy: (times) => Math.min(times * 200, 2000) });
  redis.on('error', () => undefined);
  const store = new RedisStore({
    prefix: `${prefix}:ratelimit:`,
    sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
  });
  return { store, close: () => redis.disconnect() };
}
