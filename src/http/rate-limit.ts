import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Options, type Store } from 'express-rate-limit';
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
    // a dashboard session draws on its user's budget, apart from the project's keys
    keyGenerator: (req) => (req.apiKeyId ? `key:${req.apiKeyId}` : req.dashboardUser ? `user:${req.dashboardUser.id}` : 'key:none'),
    ...(options.store ? { store: options.store } : {}),
    passOnStoreError: true,
    handler: (_req, res) => {
      sendError(res, 429, `rate limit exceeded: ${options.perMinute} requests a minute per API key or dashboard user; retry after the time in X-RateLimit-Reset`);
    },
  });
}

/**
 * The public tracking endpoints have no key to count by: a budget a minute per client address
 * (TRACK_RATE_LIMIT_PER_MINUTE, default 60), apart from the API keys' budgets. IPv6 clients are counted by their
 * /56, since one host usually holds a whole prefix; IPv4-mapped addresses count as their IPv4 address.
 */
export function clientIpRateLimit(options: { perMinute: number; store?: Store }): RequestHandler {
  return clientAddressLimit({ limit: options.perMinute, windowMs: WINDOW_MS, window: 'a minute', ...(options.store ? { store: options.store } : {}) });
}

/**
 * A budget per client address over any window (the public application form counts by the hour). With
 * `failuresOnly`, only refused requests (4xx/5xx answers) use it: a team signing in from one office uses none.
 */
export function clientAddressLimit(options: { limit: number; windowMs: number; window: string; store?: Store; failuresOnly?: boolean; message?: string }): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    legacyHeaders: true,
    standardHeaders: false,
    skipSuccessfulRequests: options.failuresOnly ?? false,
    keyGenerator: (req) => `ip:${addressKey(req)}`,
    ...(options.store ? { store: options.store } : {}),
    passOnStoreError: true,
    handler: (_req, res) => {
      sendError(res, 429, options.message ?? `rate limit exceeded: ${options.limit} requests ${options.window} per client address; retry after the time in X-RateLimit-Reset`);
    },
  });
}

/**
 * A budget per key the request names (an email address in its body, say), over a window of its own, for abuse
 * limits that a per-address budget alone would not stop: one address asking codes for many emails is the address
 * limit's, many addresses asking codes for one email is this one's. Requests without a key pass.
 */
export function keyedRateLimit(options: {
  name: string;
  limit: number;
  windowMs: number;
  key: (req: Request) => string | null;
  message: string;
  store?: Store;
  /** only refused requests (4xx/5xx answers) count */
  failuresOnly?: boolean;
}): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    legacyHeaders: true,
    standardHeaders: false,
    skipSuccessfulRequests: options.failuresOnly ?? false,
    skip: (req) => options.key(req) === null,
    keyGenerator: (req) => `${options.name}:${options.key(req)}`,
    ...(options.store ? { store: options.store } : {}),
    passOnStoreError: true,
    handler: (_req, res) => sendError(res, 429, options.message),
  });
}

/** The address a per-address limit counts by: the visitor behind TRUST_PROXY's proxies, IPv6 by its /56. */
function addressKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/** Refused credentials per client address (src/http/auth.ts asks it before checking any, and tells it of each). */
export type FailedAuthLimit = {
  /** seconds until the address may present credentials again, or null when it may now */
  blocked(req: Request): Promise<number | null>;
  /** counts one refused credential; seconds to wait when that went past the budget, else null */
  failed(req: Request): Promise<number | null>;
};

/**
 * Wrong API keys and admin tokens, a budget a minute per client address (AUTH_FAILURE_LIMIT_PER_MINUTE, default
 * 20), in Redis when given a store from `redisRateLimitStore`. Only refused credentials count: no number of
 * accepted requests, missing credentials or other errors uses any of it. Past it, the address is answered 429 with
 * Retry-After until its minute is over, whatever it presents: a correct guess must not be told apart, or the limit
 * would not slow guessing. A store that cannot answer lets requests through, as the other limits do.
 */
export function failedAuthLimit(options: { perMinute: number; store?: Store }): FailedAuthLimit {
  const store = options.store ?? new MemoryStore();
  // express-rate-limit initializes the stores it is given; this one is used directly
  void Promise.resolve(store.init?.({ windowMs: WINDOW_MS } as Options)).catch(() => undefined);
  const key = (req: Request) => `authfail:${addressKey(req)}`;
  const secondsUntil = (reset: Date | undefined) => Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + WINDOW_MS) - Date.now()) / 1000));
  return {
    async blocked(req) {
      const seen = await Promise.resolve(store.get?.(key(req))).catch(() => undefined);
      // a Redis store reads a missing key as NaN hits with a reset in the past
      if (!seen || !(seen.totalHits >= options.perMinute) || (seen.resetTime && seen.resetTime.getTime() <= Date.now())) return null;
      return secondsUntil(seen.resetTime);
    },
    async failed(req) {
      const counted = await Promise.resolve(store.increment(key(req))).catch(() => undefined);
      return counted && counted.totalHits > options.perMinute ? secondsUntil(counted.resetTime) : null;
    },
  };
}

/** The shared counter store, on its own Redis connection that gives up on a command after half a second. */
export function redisRateLimitStore(url: string, prefix: string): { store: Store; close(): void } {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 500, retryStrategy: (times) => Math.min(times * 200, 2000) });
  redis.on('error', () => undefined);
  const store = reloadingRedisStore(prefix, (command, ...args) => redis.call(command, ...args) as Promise<RedisReply>);
  return { store, close: () => redis.disconnect() };
}

/**
 * rate-limit-redis keeps the promise of its scripts' load from `init`, and every count awaits it: a load that failed
 * (Redis slow or away while the process started, past this connection's half second) failed every later count, and
 * the limits, sign-in lockouts included, stayed off for the life of the process. Here a count that finds a load
 * failed starts a new one for the counts after it.
 */
export function reloadingRedisStore(prefix: string, sendCommand: (command: string, ...args: string[]) => Promise<RedisReply>): RedisStore {
  return new ReloadingRedisStore({ prefix: `${prefix}:ratelimit:`, sendCommand });
}

class ReloadingRedisStore extends RedisStore {
  override async increment(key: string) {
    return this.reloadingOnFailure(() => super.increment(key));
  }

  override async get(key: string) {
    return this.reloadingOnFailure(() => super.get(key));
  }

  /**
   * A load that fails here (Redis slow while the process starts) is made again by the first count that meets it;
   * express-rate-limit would print the failure's stack on stderr, outside the JSON log, once per limiter.
   */
  override async init(options: Parameters<RedisStore['init']>[0]) {
    await super.init(options).catch(() => undefined);
  }

  private async reloadingOnFailure<T>(count: () => Promise<T>): Promise<T> {
    try {
      return await count();
    } catch (err) {
      let reloaded = false;
      if (await failed(this.incrementScriptSha)) {
        this.incrementScriptSha = handled(this.loadIncrementScript());
        reloaded = true;
      }
      if (await failed(this.getScriptSha)) {
        this.getScriptSha = handled(this.loadGetScript());
        reloaded = true;
      }
      // the count could not run without its script (nothing was counted): counted once now, not let through
      if (reloaded) return count();
      throw err;
    }
  }
}

const failed = (p: Promise<unknown> | undefined) => (p ? p.then(() => false, () => true) : Promise.resolve(false));
/** the same promise, its rejection marked handled: the next count awaits it and meets the failure then */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
