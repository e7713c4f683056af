import { z } from 'zod';
import { PROVIDER_NAMES, type ProviderName } from '../domain/provider-names';
import { emailFromProblem, emailSettings, smtpUrlProblem, type EmailSettings } from './smtp';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Blank environment variables count as unset: `FOO= refwire start` must not mean "FOO is the empty string". */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
/** where a provider's API is reached instead of its public one: a proxy, or a test double */
const apiBaseUrl = optionalString.refine((v) => v === undefined || /^https?:\/\/\S+$/.test(v), { message: 'must be an http(s) URL' });

/** An optional value checked by a function that names its problem (the message never repeats the value). */
const checkedBy = (problem: (v: string) => string | null) =>
  optionalString.superRefine((v, ctx) => {
    const found = v === undefined ? null : problem(v);
    if (found) ctx.addIssue({ code: 'custom', message: found });
  });

const seconds = z.coerce.number().int().min(1).max(86_400);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: 'must be a postgres:// or postgresql:// URL',
  }),
  DATA_DIR: optionalString.transform((v) => v ?? './data'),
  REDIS_URL: optionalString.refine((v) => v === undefined || /^(rediss?:\/\/\S+|\/\S+)$/.test(v), {
    message: 'must be a redis:// or rediss:// URL (or a Unix socket path)',
  }),
  SECRETS_KEY: optionalString,
  ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, {
    message: 'must be at least 16 characters',
  }),
  PUBLIC_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), {
    message: 'must be an http(s) URL',
  }),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  NODE_ENV: optionalString,
  OUTBOUND_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false'),
  // Express's "trust proxy": false, true, a number of hops, or addresses/subnets (loopback, 10.0.0.0/8, …)
  TRUST_PROXY: optionalString.refine((v) => v === undefined || /^(true|false|\d+|[\w.:/,\s-]+)$/.test(v), {
    message: 'must be true, false, a number of proxies, or a comma-separated list of addresses or subnets',
  }),
  WEBHOOK_TOLERANCE_SECONDS: seconds.default(300),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: seconds.optional(),
  PADDLE_WEBHOOK_TOLERANCE_SECONDS: seconds.optional(),
  LEMONSQUEEZY_WEBHOOK_TOLERANCE_SECONDS: seconds.optional(),
  POLAR_WEBHOOK_TOLERANCE_SECONDS: seconds.optional(),
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
  DATABASE_QUERY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  QUEUE_PREFIX: optionalString.transform((v) => v ?? 'refwire').refine((v) => /^[A-Za-z0-9_.-]{1,64}$/.test(v), {
    message: 'letters, digits, ".", "_" and "-" only',
  }),
  METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  // Jobs carry the ids the receiver stored within 20 ms (some 30 under load; 4–6 before they gathered), and the
  // pipeline's batches in flight take up to 200 events each from what the worker holds: at 64 jobs of 4–6 they held
  // 75–120 events, and a backlog drained 15–20% slower than with the batches full (docs/performance.md).
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(256),
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  JOB_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(2000),
  WORKER_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  WORKER_STALLED_MS: z.coerce.number().int().min(500).max(600_000).default(15_000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(100),
  TRACK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  AUTH_FAILURE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(20),
  RECONCILE_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
  STRIPE_API_BASE_URL: apiBaseUrl,
  PADDLE_API_BASE_URL: apiBaseUrl,
  LEMONSQUEEZY_API_BASE_URL: apiBaseUrl,
  POLAR_API_BASE_URL: apiBaseUrl,
  SMTP_URL: checkedBy(smtpUrlProblem),
  EMAIL_FROM: checkedBy(emailFromProblem),
}).refine((e) => !e.SMTP_URL || e.EMAIL_FROM, { path: ['EMAIL_FROM'], message: 'required when SMTP_URL is set' });

export type LogLevel = (typeof LOG_LEVELS)[number];

export type ParsedEnv = {
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string | undefined;
  secretsKey: string | undefined;
  adminToken: string | undefined;
  publicUrl: string | undefined;
  logLevel: LogLevel;
  /** NODE_ENV=production (the Docker image): stdout is a log that outlives the moment */
  production: boolean;
  outboundAllowPrivate: boolean;
  /** which proxies' X-Forwarded-For names the client (for per-address limits); false: the connection's peer */
  trustProxy: boolean | number | string;
  webhookToleranceSeconds: Record<ProviderName, number>;
  /** how long a client may take to send a whole request, headers and body */
  requestTimeoutSeconds: number;
  /** how long a PostgreSQL statement may go unanswered before its connection is given up */
  databaseQueryTimeoutSeconds: number;
  /** the BullMQ key prefix: several Refwire installations can share one Redis */
  queuePrefix: string;
  /** `refwire worker` serves /metrics on this port when set */
  metricsPort: number | undefined;
  /** processing: parallel jobs per worker process, attempts per event, first retry delay (doubling after) */
  worker: { concurrency: number; attempts: number; backoffMs: number; lockMs: number; stalledMs: number };
  /** where provider APIs are reached, when not their public hosts (a proxy, a test double) */
  providerApiBaseUrls: Partial<Record<ProviderName, string>>;
  /** how often each integration with an API key is reconciled against its provider's API (RECONCILE_INTERVAL_MINUTES) */
  reconcileIntervalMs: number;
  /** requests a minute per API key (shared by every API process through Redis when REDIS_URL is set) */
  rateLimitPerMinute: number;
  /** requests a minute per client address on the public tracking endpoints */
  trackRateLimitPerMinute: number;
  /** refused API keys and admin tokens a minute per client address */
  authFailureLimitPerMinute: number;
  /** SMTP_URL (parsed; its password never serializes) and EMAIL_FROM */
  email: EmailSettings;
};

/** TRUST_PROXY as Express takes it. */
function trustProxySetting(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; every problem is reported together, named by its variable. */
export function parseEnv(env: NodeJS.ProcessEnv): ParsedEnv {
  // blank counts as unset for every variable (an uncommented `PORT=` line of .env.example): the default applies
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const result = envSchema.safeParse(set);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = result.data;
  const perProvider: Record<ProviderName, number | undefined> = {
    stripe: e.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
    paddle: e.PADDLE_WEBHOOK_TOLERANCE_SECONDS,
    lemonsqueezy: e.LEMONSQUEEZY_WEBHOOK_TOLERANCE_SECONDS,
    polar: e.POLAR_WEBHOOK_TOLERANCE_SECONDS,
  };
  const webhookToleranceSeconds = Object.fromEntries(
    PROVIDER_NAMES.map((p) => [p, perProvider[p] ?? e.WEBHOOK_TOLERANCE_SECONDS]),
  ) as Record<ProviderName, number>;
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    secretsKey: e.SECRETS_KEY,
    adminToken: e.ADMIN_TOKEN,
    publicUrl: e.PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
    outboundAllowPrivate: e.OUTBOUND_ALLOW_PRIVATE === 'true',
    trustProxy: trustProxySetting(e.TRUST_PROXY),
    webhookToleranceSeconds,
    requestTimeoutSeconds: e.REQUEST_TIMEOUT_SECONDS,
    databaseQueryTimeoutSeconds: e.DATABASE_QUERY_TIMEOUT_SECONDS,
    queuePrefix: e.QUEUE_PREFIX,
    metricsPort: e.METRICS_PORT,
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      // a killed worker's jobs go back to the queue once their lock lapses and a stalled check runs
      lockMs: e.WORKER_LOCK_MS,
      stalledMs: e.WORKER_STALLED_MS,
    },
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    trackRateLimitPerMinute: e.TRACK_RATE_LIMIT_PER_MINUTE,
    authFailureLimitPerMinute: e.AUTH_FAILURE_LIMIT_PER_MINUTE,
    email: emailSettings(e.SMTP_URL, e.EMAIL_FROM),
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MINUTES * 60_000,
    providerApiBaseUrls: {
      ...(e.STRIPE_API_BASE_URL ? { stripe: e.STRIPE_API_BASE_URL } : {}),
      ...(e.PADDLE_API_BASE_URL ? { paddle: e.PADDLE_API_BASE_URL } : {}),
      ...(e.LEMONSQUEEZY_API_BASE_URL ? { lemonsqueezy: e.LEMONSQUEEZY_API_BASE_URL } : {}),
      ...(e.POLAR_API_BASE_URL ? { polar: e.POLAR_API_BASE_URL } : {}),
    },
  };
}
