import { z } from 'zod';
import { PACKAGE_VERSION } from '../util/package-version';
import { adminOperations } from './admin-projects';
import { affiliateOperations } from './affiliates';
import { conversionOperations } from './conversions';
import { couponOperations } from './coupons';
import { emailOperations } from './emails';
import { eventOperations } from './events';
import { integrationOperations } from './integrations';
import { ledgerOperations } from './ledger';
import { linkOperations } from './links';
import { listEnvelope, objectEnvelope, pagingOf } from './envelope';
import type { Operation } from './operation';
import { payoutOperations } from './payouts';
import { payoutBatchOperations } from './payout-batches';
import { productOperations } from './products';
import { publishableKeyOperations } from './publishable-keys';
import { referralOperations } from './referrals';
import { reportOperations } from './reports';
import { affiliateLifecycleOperations } from './affiliate-lifecycle';
import { applicationOperations } from './applications';
import { auditLogOperations } from './audit-log';
import { dashboardAuthOperations } from './dashboard-auth';
import { dashboardTeamOperations } from './dashboard-team';
import { groupOperations } from './groups';
import { ruleVersionOperations } from './rule-versions';
import { settingsOperations } from './settings';
import { stripeCustomerInfoOperations } from './stripe-customer-info';
import { trackOperations } from './track';
import { webhookOperations } from './webhooks';
import { redirectOperations } from '../tracking/redirect';
import { embedTokenOperations } from './embed-tokens';
import { portalOperations } from './portal';
import { portalSettingsOperations } from './portal-settings';
import { portalPageOperations } from '../pages/portal';
import { dashboardPageOperations } from '../pages/dashboard';
import { mcpOperations } from '../mcp/operations';

/** What the app serves beside the routers: probes, metrics, the script, the receivers (ahead of Express). */
const serviceOperations: Operation[] = [
  { method: 'get', path: '/healthz', tag: 'Operations', access: 'public', summary: 'Liveness: the process answers', answer: 'json', response: z.strictObject({ status: z.literal('ok') }) },
  {
    method: 'get',
    path: '/readyz',
    tag: 'Operations',
    access: 'public',
    summary: 'Readiness: the database (and Redis, when configured) answer',
    answer: 'json',
    errors: [503],
    // the 200's body; a 503 answers the same fields with status "unavailable"
    response: z.strictObject({ status: z.literal('ready'), database: z.literal('ok'), redis: z.literal('ok').optional().describe('with REDIS_URL') }),
  },
  { method: 'get', path: '/metrics', tag: 'Operations', access: 'public', summary: 'Prometheus metrics', answer: 'text' },
  { method: 'get', path: '/openapi.json', tag: 'Operations', access: 'public', summary: 'This document', answer: 'json' },
  {
    method: 'get',
    path: '/admin/queues',
    tag: 'Operations',
    access: 'admin',
    summary: 'The queue dashboard (HTML; only with REDIS_URL; a browser signs in with ADMIN_TOKEN)',
    answer: 'text',
  },
  { method: 'get', path: '/js/refwire.js', tag: 'Tracking', access: 'public', summary: 'The first-party tracking script (docs/tracking.md)', answer: 'javascript' },
  {
    method: 'post',
    path: '/webhook/{provider}/{projectId}',
    tag: 'Webhook receivers',
    access: 'public',
    summary: "A payment provider's webhook delivery, verified with the project's secret for that provider and stored once",
    description:
      'provider: stripe, paddle, lemonsqueezy or polar. The body is the provider\'s own (at most 1 MiB), checked against its ' +
      'signature headers; a delivery already stored answers 200 again without a second effect. A signed event the inbox ' +
      'cannot hold (an id or type over 255 characters or holding NUL, JSON nested deeper than 64 levels) answers 400 ' +
      '"event not accepted: …" and is not stored.',
    answer: 'json',
    errors: [400, 413, 503],
  },
];

/** Every operation Refwire serves; test/api/openapi.test.ts holds it equal to the mounted routes. */
export const ALL_OPERATIONS: readonly Operation[] = [
  ...serviceOperations,
  ...adminOperations,
  ...dashboardAuthOperations,
  ...dashboardTeamOperations,
  ...auditLogOperations,
  ...integrationOperations,
  ...settingsOperations,
  ...ruleVersionOperations,
  ...groupOperations,
  ...applicationOperations,
  ...affiliateLifecycleOperations,
  ...affiliateOperations,
  ...referralOperations,
  ...stripeCustomerInfoOperations,
  ...couponOperations,
  ...productOperations,
  ...conversionOperations,
  ...eventOperations,
  ...webhookOperations,
  ...publishableKeyOperations,
  ...emailOperations,
  ...payoutOperations,
  ...payoutBatchOperations,
  ...reportOperations,
  ...ledgerOperations,
  ...trackOperations,
  ...linkOperations,
  ...redirectOperations,
  ...embedTokenOperations,
  ...portalSettingsOperations,
  ...portalOperations,
  ...portalPageOperations,
  ...dashboardPageOperations,
  ...mcpOperations,
];


type JsonSchema = Record<string, unknown>;

const ERROR_TEXT: Record<number, string> = {
  400: 'Bad input: the error names the field and the problem',
  401: 'Missing or unknown credentials',
  403: "Refused: a viewer's write, a session's write without its CSRF token or from another origin (a portal session's too), a project the user is not a member of, or a role that may not do this",
  404: 'Not found',
  406: 'Not acceptable: the Accept header does not list what the answer may be (POST /mcp: application/json and text/event-stream)',
  409: 'Conflicts with what is stored',
  413: 'Body too large',
  415: 'The body is not JSON (Content-Type application/json)',
  429: "Rate limit exceeded: the key's requests a minute (see X-RateLimit-Reset), or the address's refused credentials (see Retry-After)",
  502: "The provider's API failed or could not be reached",
  503: 'Not available (Refwire or a dependency is down)',
};

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'requests allowed a minute', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'requests left in this minute', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'when the budget refills (Unix seconds)', schema: { type: 'integer' } },
};
const RETRY_AFTER_HEADER = { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } };

/** What a request-validating zod schema accepts, as JSON Schema (OpenAPI 3.1 uses JSON Schema 2020-12). */
function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return json;
}

/**
 * What an answer's zod schema sends, as JSON Schema. Schemas named with `.meta({ id })` come back as `$defs`, which
 * move to components.schemas (`defs`), the references following them; one name must mean one schema.
 */
function outputSchema(schema: z.ZodType, defs: Record<string, JsonSchema>): JsonSchema {
  const { $schema: _drop, $defs, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as JsonSchema;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    const moved = tidy(def) as JsonSchema;
    if (defs[id] && JSON.stringify(defs[id]) !== JSON.stringify(moved)) throw new Error(`two response schemas are named ${id}`);
    defs[id] = moved;
  }
  return tidy(json) as JsonSchema;
}

/** References to `$defs` point to components.schemas; an integer's bounds that only say "safe integer" go. */
function tidy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tidy);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !((k === 'minimum' && v === Number.MIN_SAFE_INTEGER) || (k === 'maximum' && v === Number.MAX_SAFE_INTEGER)))
      .map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : tidy(v)]),
  );
}

/** Path parameters that are ids: every route reads them with idFromPath (src/api/fields.ts), 400 when not a UUID. */
const UUID_PATH_PARAMETERS = new Set(['id', 'projectId', 'keyId', 'deliveryId']);

function parameters(op: Operation): JsonSchema[] {
  const inPath = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: UUID_PATH_PARAMETERS.has(m[1]!) ? { type: 'string', format: 'uuid' } : { type: 'string' },
  }));
  if (!op.query) return inPath;
  const query = inputSchema(op.query);
  const properties = (query.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((query.required ?? []) as string[]);
  return [
    ...inPath,
    ...Object.entries(properties).map(([name, schema]) => ({ name, in: 'query', required: required.has(name), schema })),
  ];
}

/** The 200 of a create that answers what is already there (Operation.repeat): the same body as its 201. */
function repeatResponse(op: Operation, defs: Record<string, JsonSchema>): JsonSchema {
  if (op.status !== 201) throw new Error(`${op.method.toUpperCase()} ${op.path}: only a create (201) answers a repeat with 200`);
  return { ...successResponse(op, defs), description: `Already there: ${op.repeat}` };
}

function successResponse(op: Operation, defs: Record<string, JsonSchema>): JsonSchema {
  const status = op.status ?? 200;
  if (status === 204) return { description: 'Done; no body' };
  const answer = op.answer ?? 'object';
  if (answer === 'javascript') return { description: 'The script', content: { 'application/javascript': { schema: { type: 'string' } } } };
  if (answer === 'csv') return { description: 'CSV (RFC 4180), a header row first', content: { 'text/csv': { schema: { type: 'string' } } } };
  if (answer === 'text') return { description: 'Plain text', content: { 'text/plain': { schema: { type: 'string' } } } };
  if (answer === 'redirect') return { description: 'Found: Location holds where to go', headers: { Location: { schema: { type: 'string', format: 'uri' } } } };
  if (op.response) return { description: 'Success', content: { 'application/json': { schema: outputSchema(answerSchema(op)!, defs) } } };
  if (answer === 'json') return { description: 'JSON', content: { 'application/json': { schema: { type: 'object' } } } };
  const ref = answer === 'list' ? '#/components/schemas/List' : '#/components/schemas/Object';
  return { description: 'Success', content: { 'application/json': { schema: { $ref: ref } } } };
}

/**
 * The schema of an operation's whole success answer, from its `response`: the `{ success, data }` envelope, the
 * list's envelope around one item, or (`answer: 'json'`) the body itself; undefined without one.
 */
export function answerSchema(op: Operation): z.ZodType | undefined {
  if (!op.response || (op.status ?? 200) === 204) return undefined;
  const answer = op.answer ?? 'object';
  if (answer === 'list') return listEnvelope(op.response, pagingOf(op.query));
  if (answer === 'object') return objectEnvelope(op.response);
  if (answer === 'json') return op.response;
  throw new Error(`${op.method.toUpperCase()} ${op.path}: a response schema on a ${answer} answer`);
}

/**
 * The mounts whose body parser reads every request, whatever its method (src/server/app.ts): a body that is not JSON
 * is refused there (400 malformed, 413 too large) before the route runs, and one of another type with 415 but on a
 * GET or HEAD (src/http/json-body.ts). POST /mcp is described by src/mcp/operations.ts.
 */
const BODY_READ_BY_MOUNT = ['/api/v1/', '/api/store-attribution', '/api/admin/', '/api/dashboard/projects/', '/api/portal/', '/api/track/'];

function errorStatuses(op: Operation): number[] {
  const bodyRead = op.body !== undefined || BODY_READ_BY_MOUNT.some((mount) => op.path.startsWith(mount));
  const implied = [
    ...(op.body || op.query ? [400] : []),
    // a body over the route's limit, or not JSON (src/http/json-body.ts)
    ...(bodyRead ? [400, 413] : []),
    ...(bodyRead && op.method !== 'get' ? [415] : []),
    // a dashboard session on /api/v1 without X-Refwire-Project (src/http/dashboard-session.ts)
    ...(op.path.startsWith('/api/v1/') ? [400] : []),
    // a portal session's write from another origin must send its embed token instead (src/api/portal/session-auth.ts)
    ...(op.access === 'portal' && op.method !== 'get' ? [403] : []),
    ...(op.access !== 'public' ? [401] : []),
    // a dashboard session's write needs its CSRF token, and a role that may write
    ...(op.access === 'api_key' || op.access === 'session' ? [403] : []),
    // a key's budget, and for keys and the admin token alike the client address's budget of refused credentials
    ...(op.access !== 'public' ? [429] : []),
    ...(/\{\w+\}/.test(op.path) ? [404] : []),
    // an id or email in the path that cannot be one (src/api/fields.ts, idFromPath and emailFromPath)
    ...(/\{(id|email|keyId|projectId)\}/.test(op.path) && (op.access === 'api_key' || op.access === 'admin') ? [400] : []),
  ];
  return [...new Set([...implied, ...(op.errors ?? [])])].sort((a, b) => a - b);
}

function operationObject(op: Operation, defs: Record<string, JsonSchema>): JsonSchema {
  const responses: Record<string, JsonSchema> = { [String(op.status ?? 200)]: successResponse(op, defs), ...(op.repeat ? { '200': repeatResponse(op, defs) } : {}) };
  for (const status of errorStatuses(op)) {
    responses[String(status)] = {
      description: ERROR_TEXT[status] ?? 'Error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      ...(status === 429 ? { headers: op.access === 'api_key' ? { ...RATE_LIMIT_HEADERS, ...RETRY_AFTER_HEADER } : RETRY_AFTER_HEADER } : {}),
    };
  }
  const params = parameters(op);
  return {
    operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: SECURITY[op.access],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: inputSchema(op.body) } } } } : {}),
    responses,
  };
}

/** An API key, or (PRODUCT.md §14) the dashboard's session with the project it is about, and for writes its CSRF token. */
const SECURITY: Record<Operation['access'], JsonSchema[]> = {
  public: [],
  admin: [{ adminToken: [] }],
  api_key: [{ apiKey: [] }, { dashboardSession: [], dashboardProject: [], csrfToken: [] }],
  session: [{ dashboardSession: [], csrfToken: [] }],
  publishable_key: [{ publishableKey: [] }],
  portal: [{ portalSession: [] }, { embedToken: [] }],
};

/** `GET /openapi.json`: built once, on first request. */
export function openApiHandler(serverUrl: string): (req: unknown, res: { json(body: unknown): void }) => void {
  let document: JsonSchema | null = null;
  return (_req, res) => {
    document ??= openApiDocument(ALL_OPERATIONS, { version: PACKAGE_VERSION, serverUrl });
    res.json(document);
  };
}

/** The OpenAPI 3.1 document of the given operations, request schemas generated from the zod schemas that validate them. */
export function openApiDocument(operations: readonly Operation[], info: { version: string; serverUrl: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const defs: Record<string, JsonSchema> = {};
  for (const op of operations) {
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`operation listed twice: ${op.method.toUpperCase()} ${op.path}`);
    item[op.method] = operationObject(op, defs);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Refwire API',
      version: info.version,
      description:
        'Payment-provider webhooks in, attributed affiliate commissions out. Money fields keep Refgrow\'s forms ("50.00", 12.5) ' +
        'with the exact integer `*_minor` amount and its currency beside them.',
    },
    servers: [{ url: info.serverUrl }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A project API key (rw_…)' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        portalSession: { type: 'apiKey', in: 'cookie', name: 'refwire_portal', description: "An affiliate's portal session, set by POST /api/portal/{projectId}/login/verify" },
        embedToken: { type: 'http', scheme: 'bearer', description: 'An embed token (rwpe_…) minted by POST /api/v1/affiliates/{email}/embed-tokens, 10 minutes' },
        publishableKey: { type: 'http', scheme: 'bearer', description: "A project's publishable key (pk_…), for public endpoints only; also accepted as publishable_key in the body" },
        dashboardSession: { type: 'apiKey', in: 'cookie', name: 'refwire_session', description: 'The dashboard session cookie set by POST /api/dashboard/login (docs/dashboard.md)' },
        dashboardProject: { type: 'apiKey', in: 'header', name: 'X-Refwire-Project', description: "With a session on /api/v1: the id of the project the request is about (the user's membership decides)" },
        csrfToken: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: 'With a session: the csrf_token of the sign-in or of GET /api/dashboard/me, required on every request but GET and HEAD' },
      },
      schemas: {
        ...Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b))),
        Object: {
          type: 'object',
          required: ['success', 'data'],
          properties: { success: { const: true }, data: {} },
        },
        List: {
          type: 'object',
          required: ['success', 'data', 'pagination'],
          properties: {
            success: { const: true },
            data: { type: 'array', items: {} },
            pagination: {
              type: 'object',
              required: ['limit', 'offset', 'total', 'has_more'],
              properties: {
                limit: { type: 'integer' },
                offset: { type: 'integer' },
                // null when the page was asked for by `cursor`: keyset pages do not count the rows
                total: { type: ['integer', 'null'] },
                has_more: { type: 'boolean' },
                // lists that accept `cursor`: where the next page starts, null on the last page
                next_cursor: { type: ['string', 'null'] },
              },
            },
          },
        },
        Error: {
          type: 'object',
          required: ['success', 'error'],
          properties: { success: { const: false }, error: { type: 'string' } },
        },
      },
    },
  };
}
