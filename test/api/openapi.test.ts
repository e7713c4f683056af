import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { mountedRoutes } from '../helpers/routes';

type Doc = { openapi: string; paths: Record<string, Record<string, any>> };

/** Served by Node's HTTP layer ahead of Express (src/ingest/webhook-endpoint.ts), so no router lists it. */
const OUTSIDE_EXPRESS = ['POST /webhook/{provider}/{projectId}'];
/** Mounted only with REDIS_URL (bull-board's own router). */
const WITH_REDIS_ONLY = ['GET /admin/queues'];

describe('GET /openapi.json', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let doc: Doc;

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    doc = (await request(t.app).get('/openapi.json').expect(200).expect('Content-Type', /json/)).body;
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  const documented = () =>
    Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();

  it('is a valid OpenAPI 3.1 document', () => {
    expect(doc.openapi).toBe('3.1.0');
    // the validator is an ES module, which jest's CommonJS runtime cannot load: run its CLI instead
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-openapi-')), 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    const run = spawnSync(process.execPath, [cli, file], { encoding: 'utf8' });
    expect(JSON.parse(run.stdout)).toEqual({ valid: true });
    expect(run.status).toBe(0);
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('lists every route the app serves, and no route it does not serve', () => {
    const served = [...mountedRoutes(t.app.express), ...OUTSIDE_EXPRESS].sort();
    expect(served.length).toBeGreaterThan(50);
    expect(documented().filter((r) => !WITH_REDIS_ONLY.includes(r))).toEqual(served);
  });

  it('describes request bodies and queries with the zod schemas that validate them', () => {
    const body = (method: string, path: string) => doc.paths[path]![method]!.requestBody.content['application/json'].schema;
    const affiliate = body('post', '/api/v1/affiliates');
    expect(affiliate.required).toEqual(['email']);
    expect(affiliate.properties.referral_code).toMatchObject({ type: 'string', minLength: 2, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
    expect(affiliate.properties.status).toMatchObject({ enum: ['pending', 'active', 'inactive', 'suspended', 'rejected'], default: 'active' });
    expect(body('patch', '/api/v1/settings').properties.hold_days).toMatchObject({ type: 'integer', minimum: 0, maximum: 365 });
    expect(body('post', '/api/v1/integrations/{provider}/connect').required).toEqual(['api_key']);

    const conversionsQuery = doc.paths['/api/v1/conversions']!.get.parameters as { name: string; in: string; schema: any; required: boolean }[];
    expect(conversionsQuery.find((p) => p.name === 'kind')).toMatchObject({ in: 'query', required: false, schema: { enum: ['signup', 'purchase', 'renewal', 'refund'] } });
    expect(conversionsQuery.find((p) => p.name === 'limit')).toMatchObject({ schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } });
  });

  it('says who may call what, and what the answers are', () => {
    const op = (method: string, path: string) => doc.paths[path]![method]!;
    expect(op('get', '/api/v1/affiliates').security).toEqual([{ apiKey: [] }, { dashboardSession: [], dashboardProject: [], csrfToken: [] }]);
    expect(op('get', '/api/dashboard/me').security).toEqual([{ dashboardSession: [], csrfToken: [] }]);
    const affiliates = op('get', '/api/v1/affiliates').responses['200'].content['application/json'].schema;
    expect(affiliates.properties.data).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Affiliate' } });
    expect(affiliates.required).toEqual(['success', 'data', 'pagination']);
    expect(affiliates.properties.pagination.required).toEqual(['limit', 'offset', 'total', 'has_more']);
    expect(op('get', '/api/v1/affiliates').responses['429'].headers).toHaveProperty('X-RateLimit-Reset');
    expect(op('post', '/api/admin/projects').security).toEqual([{ adminToken: [] }]);
    expect(op('post', '/api/track/click').security).toEqual([]);
    expect(op('delete', '/api/v1/coupons/{id}').responses['204']).toEqual({ description: 'Done; no body' });
    expect(op('get', '/api/v1/referrals/{email}').parameters).toEqual([{ name: 'email', in: 'path', required: true, schema: { type: 'string' } }]);
    // ids in the path are UUIDs (400 otherwise), and say so
    expect(op('post', '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver').parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
      { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
    ]);
    expect(op('get', '/api/portal/{projectId}/links/{slug}').parameters).toEqual([
      { name: 'projectId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
      { name: 'slug', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('describes each success answer field by field, named shapes once under components.schemas', () => {
    const schemas = (doc as any).components.schemas;
    const answer = (method: string, path: string, status = '200') => doc.paths[path]![method]!.responses[status].content['application/json'].schema;
    // the envelope around a named shape
    expect(answer('get', '/api/v1/affiliates/{email}')).toMatchObject({
      type: 'object',
      required: ['success', 'data'],
      additionalProperties: false,
      properties: { success: { const: true }, data: { $ref: '#/components/schemas/Affiliate' } },
    });
    const affiliate = schemas.Affiliate;
    expect(affiliate.additionalProperties).toBe(false);
    expect(affiliate.properties.unpaid_earnings).toMatchObject({ type: 'string' });
    expect(affiliate.properties.unpaid_earnings_minor).toMatchObject({ type: 'integer' });
    expect(affiliate.properties.next_release_date).toEqual({ anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] });
    expect(affiliate.properties.status.enum).toEqual(['pending', 'active', 'inactive', 'suspended', 'rejected']);
    expect(affiliate.required).toContain('payout_details');
    // lists paged by cursor say so
    const conversions = answer('get', '/api/v1/conversions');
    expect(conversions.properties.data.items).toEqual({ $ref: '#/components/schemas/Conversion' });
    expect(conversions.properties.pagination.properties.next_cursor).toMatchObject({ type: ['string', 'null'] });
    expect(answer('get', '/api/portal/{projectId}/commissions').properties.pagination.required).toEqual(['limit', 'next_cursor']);
    // an answer of its own is inline, and reuses the named shapes it holds
    expect(answer('get', '/api/v1/payouts/{id}').properties.data.properties.conversions.items).toEqual({ $ref: '#/components/schemas/Conversion' });
    expect(answer('post', '/api/admin/projects', '201').properties.data.required).toEqual(['id', 'name', 'currency', 'created_at', 'api_key']);
    expect(answer('get', '/healthz')).toMatchObject({ properties: { status: { const: 'ok' } } });
    // every $ref points to a schema the document has
    for (const ref of JSON.stringify(doc).match(/"#\/components\/schemas\/[A-Za-z]+"/g) ?? []) expect(schemas).toHaveProperty([ref.slice(22, -1)]);
  });

  it('is served without credentials, and the document agrees with the API behind it', async () => {
    const project = await createProjectViaApi(t.app);
    const schema = doc.paths['/api/v1/affiliates']!.post.requestBody.content['application/json'].schema;
    // what the document forbids, the API refuses with the reason
    const res = await request(t.app)
      .post('/api/v1/affiliates')
      .set('Authorization', `Bearer ${project.apiKey}`)
      .send({ email: 'a@b.test', referral_code: 'has space' })
      .expect(400);
    expect(new RegExp(schema.properties.referral_code.pattern).test('has space')).toBe(false);
    expect(res.body.error).toMatch(/referral_code/);
  });
});
