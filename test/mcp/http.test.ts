import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { CallToolResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { REFGROW_TOOL_ARGUMENTS, REFWIRE_TOOL_NAMES, runEveryTool } from './tool-scenario';

/** The MCP SDK's own client over Streamable HTTP, against POST /mcp of the app listening on an ephemeral port. */
describe('MCP over Streamable HTTP at /mcp', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let server: http.Server;
  let url: URL;
  let project: { id: string; apiKey: string };
  const clients: Client[] = [];

  const connect = async (apiKey: string) => {
    const client = new Client({ name: 'refwire-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    server = http.createServer(t.app);
    // every address, as `refwire start` listens: the loopback then goes to the IPv4-mapped address it was reached on
    await new Promise<void>((resolve) => server.listen(0, resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    project = await createProjectViaApi(t.app);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.runner.stop();
    await tdb.drop();
  });

  it("lists Refgrow's 18 tools with their arguments, and Refwire's own", async () => {
    const { tools } = await (await connect(project.apiKey)).listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual([...Object.keys(REFGROW_TOOL_ARGUMENTS), ...REFWIRE_TOOL_NAMES]);
    const missing: Record<string, string[]> = {};
    for (const [name, args] of Object.entries(REFGROW_TOOL_ARGUMENTS)) {
      const properties = Object.keys(tools.find((tool) => tool.name === name)!.inputSchema.properties ?? {});
      const absent = args.filter((arg) => !properties.includes(arg));
      if (absent.length > 0) missing[name] = absent;
    }
    // every one of Refgrow's arguments is taken (update_conversion's type and base_value_currency included, to be refused by the API)
    expect(missing).toEqual({});
    // the schema is the API's: its bounds and enums, and no argument beyond them
    const create = tools.find((tool) => tool.name === 'create_coupon')!.inputSchema as { required?: string[]; additionalProperties?: boolean; properties: Record<string, any> };
    expect(create.required).toEqual(['affiliate_id', 'coupon_code']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.coupon_code).toMatchObject({ type: 'string', minLength: 3, pattern: '^[A-Za-z0-9_-]+$' });
    // Refgrow's types for the arguments Refwire refuses: the call reaches the API, which says why
    const update = tools.find((tool) => tool.name === 'update_conversion')!.inputSchema as { properties: Record<string, any> };
    expect(update.properties.type).toMatchObject({ type: 'string', enum: ['signup', 'purchase'] });
    expect(update.properties.base_value_currency).toMatchObject({ type: 'string' });
    // a list takes Refgrow's limit, 1 to 500, with the route's default
    const schemaOf = (name: string) => tools.find((tool) => tool.name === name)!.inputSchema as { properties: Record<string, any> };
    for (const name of ['list_affiliates', 'list_referrals', 'list_conversions', 'list_coupons', 'list_events', 'list_payouts', 'list_eligible_payouts']) {
      expect([name, schemaOf(name).properties.limit]).toEqual([name, expect.objectContaining({ type: 'integer', minimum: 1, maximum: 500 })]);
    }
    expect(schemaOf('list_conversions').properties.limit.default).toBe(50);
    expect(schemaOf('list_affiliates').properties.limit.default).toBe(20);
    // the eligible list's minimum is the batch's field, with its bounds
    const eligibleMinimum = schemaOf('list_eligible_payouts').properties.minimum_minor;
    expect(eligibleMinimum).toEqual({ type: 'integer', minimum: 0, maximum: 1e15 });
    expect(eligibleMinimum).toEqual(schemaOf('create_payout_batch').properties.minimum_minor);
  });

  it('calls every tool against real data; what the tools create, the REST API reads back', async () => {
    const tools = await runEveryTool(await connect(project.apiKey), t, project);
    expect([...tools.called].sort()).toEqual([...Object.keys(REFGROW_TOOL_ARGUMENTS), ...REFWIRE_TOOL_NAMES].sort());
  });

  it('answers a bad argument with an error naming it, sends nothing, and keeps serving', async () => {
    const client = await connect(project.apiKey);
    const auth = { Authorization: `Bearer ${project.apiKey}` };
    const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text: string }[] };

    const badId = await call('get_conversion', { id: 'not-an-id' });
    expect(badId.isError).toBe(true);
    expect(badId.content[0]!.text).toMatch(/must be an id at id/);
    const shortCode = await call('create_coupon', { affiliate_id: '00000000-0000-4000-8000-000000000000', coupon_code: 'x' });
    expect(shortCode.isError).toBe(true);
    expect(shortCode.content[0]!.text).toMatch(/at coupon_code/);
    const overLimit = await call('list_affiliates', { limit: 501 });
    expect(overLimit.content[0]!.text).toMatch(/at limit/);
    // numbers, as the tools list says: text is refused, not read as a number
    expect(await call('list_affiliates', { limit: '2' })).toMatchObject({ isError: true, content: [{ text: expect.stringMatching(/expected number.* at limit/) }] });
    expect(await call('list_conversions', { offset: '1' })).toMatchObject({ isError: true, content: [{ text: expect.stringMatching(/expected number.* at offset/) }] });
    const overMinimum = await call('list_eligible_payouts', { minimum_minor: 1e15 + 1 });
    expect(overMinimum).toMatchObject({ isError: true, content: [{ text: expect.stringMatching(/at minimum_minor/) }] });
    expect((await call('list_eligible_payouts', { minimum_minor: 2.5 })).content[0]!.text).toMatch(/expected int.* at minimum_minor/);
    // an argument the route would ignore is refused by name, and the arguments beside it are not sent either
    const affiliate = (await request(t.app).post('/api/v1/affiliates').set(auth).send({ email: 'keep@partners.test' }).expect(201)).body.data;
    const kept = (await request(t.app).post('/api/v1/conversions').set(auth).send({ type: 'signup', affiliate_id: affiliate.id, reference: 'KEEP' }).expect(201)).body.data;
    const unknown = await call('update_conversion', { id: kept.id, reference: 'CHANGED', currency: 'EUR' });
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0]!.text).toMatch(/Unrecognized key: "currency"/);
    expect((await request(t.app).get(`/api/v1/conversions/${kept.id}`).set(auth).expect(200)).body.data.reference).toBe('KEEP');

    // Refgrow's type and base_value_currency are taken and sent; the API refuses a change of them, and nothing changes
    for (const [field, value] of [['type', 'purchase'], ['base_value_currency', 'EUR']] as const) {
      const fixed = await call('update_conversion', { id: kept.id, reference: 'CHANGED', [field]: value });
      expect(fixed).toMatchObject({ isError: true, content: [{ text: `${field}: fixed once recorded; delete the conversion and record it again (a conversion recorded by hand) (HTTP 400)` }] });
    }
    expect((await request(t.app).get(`/api/v1/conversions/${kept.id}`).set(auth).expect(200)).body.data).toMatchObject({ reference: 'KEEP', type: 'signup', currency: 'USD' });
    // as recorded they are no change, and the rest goes through
    const same = await call('update_conversion', { id: kept.id, reference: 'CHANGED', type: 'signup', base_value_currency: 'USD' });
    expect(JSON.parse(same.content[0]!.text).data).toMatchObject({ reference: 'CHANGED', type: 'signup', currency: 'USD' });
    // coupon_code_used, which the documentation's row left out, changes
    const coupon = await call('update_conversion', { id: kept.id, coupon_code_used: 'SPRING' });
    expect(JSON.parse(coupon.content[0]!.text).data.coupon_code_used).toBe('SPRING');

    // refused by the API: a tool error carrying its message and status
    const missing = await call('get_affiliate_details', { email: 'nobody@partners.test' });
    expect(missing).toMatchObject({ isError: true, content: [{ type: 'text', text: 'affiliate not found (HTTP 404)' }] });
    expect((await client.listTools()).tools.length).toBe(Object.keys(REFGROW_TOOL_ARGUMENTS).length + REFWIRE_TOOL_NAMES.length);
  });

  it('answers a tools/call whose arguments are not an object, or an initialize or tools/list with wrong params, as invalid params (-32602) saying so, and keeps serving', async () => {
    const client = await connect(project.apiKey);
    const refusal = (params: Record<string, unknown>) => client.request({ method: 'tools/call', params } as never, CallToolResultSchema).then(() => null, (err: unknown) => err as McpError);
    for (const [args, kind] of [['x', 'a string'], [[1], 'an array'], [null, 'null'], [5, 'a number']] as const) {
      const err = await refusal({ name: 'list_affiliates', arguments: args });
      expect(err).toBeInstanceOf(McpError);
      expect([err!.code, err!.message]).toEqual([
        ErrorCode.InvalidParams,
        `MCP error -32602: Invalid params: params.arguments must be an object of the tool's arguments by name (e.g. {"limit": 10}), not ${kind}`,
      ]);
    }
    expect(await refusal({ name: 7, arguments: {} })).toMatchObject({ code: ErrorCode.InvalidParams, message: expect.stringMatching(/^MCP error -32602: Invalid params: params\.name: /) });
    // on the wire: one JSON-RPC answer with the request's id, not an internal error with zod's issues in it
    const res = await request(t.app)
      .post('/mcp')
      .set({ Authorization: `Bearer ${project.apiKey}`, Accept: 'application/json, text/event-stream' })
      .send({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'list_affiliates', arguments: 'x' } })
      .expect(200);
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 9, error: { code: -32602, message: expect.stringMatching(/^Invalid params: params\.arguments must be an object/) } });
    expect(await client.callTool({ name: 'list_affiliates', arguments: {} })).not.toHaveProperty('isError');
    // the other requests this server answers alike: an initialize without its fields, a list with a cursor not a string
    const wire = (id: number, method: string, params: unknown) =>
      request(t.app).post('/mcp').set({ Authorization: `Bearer ${project.apiKey}`, Accept: 'application/json, text/event-stream' }).send({ jsonrpc: '2.0', id, method, params });
    expect((await wire(10, 'initialize', { protocolVersion: 5 }).expect(200)).body).toEqual({
      jsonrpc: '2.0',
      id: 10,
      error: { code: -32602, message: 'Invalid params: params.protocolVersion: Invalid input: expected string, received number' },
    });
    // a tool no one has: a protocol error (the SDK alone answers a tool result, isError)
    expect((await wire(12, 'tools/call', { name: 'no_such_tool', arguments: {} }).expect(200)).body).toEqual({
      jsonrpc: '2.0',
      id: 12,
      error: { code: -32602, message: 'Invalid params: unknown tool "no_such_tool" (tools/list names them)' },
    });
    expect((await wire(11, 'tools/list', { cursor: 5 }).expect(200)).body).toEqual({
      jsonrpc: '2.0',
      id: 11,
      error: { code: -32602, message: 'Invalid params: params.cursor: Invalid input: expected string, received number' },
    });
  });

  it('answers what /openapi.json documents for POST /mcp', async () => {
    const post = (await request(t.app).get('/openapi.json').expect(200)).body.paths['/mcp'].post;
    expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '401', '403', '406', '413', '415', '429']);
    expect(post.description).toMatch(/GET, DELETE\) answer 405 with Allow: POST/);
    const documented = (res: request.Response) => expect([res.status, Object.keys(post.responses).includes(String(res.status))]).toEqual([res.status, true]);
    const send = (body: string, headers: Record<string, string> = {}) =>
      request(t.app)
        .post('/mcp')
        .set({ Authorization: `Bearer ${project.apiKey}`, Accept: 'application/json, text/event-stream', 'Content-Type': 'application/json', ...headers })
        .send(body);
    const answers = {
      notJson: await send('{"jsonrpc":'),
      inexact: await send('{"jsonrpc":"2.0","method":"notifications/initialized","params":{"n":9007199254740993}}'),
      notJsonRpc: await send('{"hello":"world"}'),
      notAcceptable: await send('{"jsonrpc":"2.0","id":1,"method":"tools/list"}', { Accept: 'application/json' }),
      tooLarge: await send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(1_100_000) } })),
      notJsonType: await send('{"jsonrpc":"2.0","id":1,"method":"tools/list"}', { 'Content-Type': 'text/plain' }),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([k, res]) => [k, res.status]))).toEqual({ notJson: 400, inexact: 400, notJsonRpc: 400, notAcceptable: 406, tooLarge: 413, notJsonType: 415 });
    for (const res of Object.values(answers)) documented(res);
    // a request with an id: answered in JSON-RPC, so the client matches the refusal to its call
    const withId = await send('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"create_affiliate","arguments":{"email":"a@b.test","name":"a\\u0000b","n":9007199254740993}}}');
    expect([withId.status, withId.body]).toEqual([200, { jsonrpc: '2.0', id: 7, error: { code: -32602, message: expect.stringMatching(/^Invalid params: params\.arguments\.(name|n): /) } }]);
    expect(await tdb.db.prisma.affiliate.count({ where: { email: 'a@b.test' } })).toBe(0);
  });

  it('refuses a wrong key, and a request without one, as the API does', async () => {
    await expect(connect('rw_not_a_key')).rejects.toThrow(/401|invalid API key/);
    const res = await request(t.app).post('/mcp').set('Accept', 'application/json, text/event-stream').send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }).expect(401);
    expect(res.body).toEqual({ success: false, error: 'missing API key: send Authorization: Bearer <api_key>' });
    // who calls is settled before the body is read, as on /api/v1: 401 whatever it sent
    const unread = await request(t.app).post('/mcp').set('Content-Type', 'application/json').send('{"jsonrpc":').expect(401);
    expect(unread.body).toEqual({ success: false, error: 'missing API key: send Authorization: Bearer <api_key>' });
    await request(t.app).post('/mcp').set('Content-Type', 'text/plain').send('tools/list').expect(401);
  });

  it("keeps one project's tools to that project", async () => {
    const other = await createProjectViaApi(t.app, 'Other');
    const listed = await (await connect(other.apiKey)).callTool({ name: 'list_affiliates', arguments: {} });
    expect(JSON.parse((listed as { content: { text: string }[] }).content[0]!.text)).toMatchObject({ data: [], pagination: { total: 0 } });
  });

  it('answers 405 to the methods a stateless server does not serve', async () => {
    for (const method of ['get', 'delete'] as const) {
      const res = await request(t.app)[method]('/mcp').set('Authorization', `Bearer ${project.apiKey}`).expect(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.body.success).toBe(false);
    }
  });
});
