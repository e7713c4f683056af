import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { ARGUMENTS_THE_API_DOES_NOT_TAKE, REFGROW_TOOL_ARGUMENTS, REFWIRE_TOOL_NAMES, runEveryTool } from './tool-scenario';

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
    expect(missing).toEqual(ARGUMENTS_THE_API_DOES_NOT_TAKE);
    // the schema is the API's: its bounds and enums, and no argument beyond them
    const create = tools.find((tool) => tool.name === 'create_coupon')!.inputSchema as { required?: string[]; additionalProperties?: boolean; properties: Record<string, any> };
    expect(create.required).toEqual(['affiliate_id', 'coupon_code']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.coupon_code).toMatchObject({ type: 'string', minLength: 3, pattern: '^[A-Za-z0-9_-]+$' });
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
    const overLimit = await call('list_affiliates', { limit: 500 });
    expect(overLimit.content[0]!.text).toMatch(/at limit/);
    // an argument the route would ignore is refused by name, and the arguments beside it are not sent either
    const affiliate = (await request(t.app).post('/api/v1/affiliates').set(auth).send({ email: 'keep@partners.test' }).expect(201)).body.data;
    const kept = (await request(t.app).post('/api/v1/conversions').set(auth).send({ type: 'signup', affiliate_id: affiliate.id, reference: 'KEEP' }).expect(201)).body.data;
    const unknown = await call('update_conversion', { id: kept.id, reference: 'CHANGED', base_value_currency: 'EUR' });
    expect(unknown.isError).toBe(true);
    expect(unknown.content[0]!.text).toMatch(/Unrecognized key: "base_value_currency"/);
    expect((await request(t.app).get(`/api/v1/conversions/${kept.id}`).set(auth).expect(200)).body.data.reference).toBe('KEEP');

    // refused by the API: a tool error carrying its message and status
    const missing = await call('get_affiliate_details', { email: 'nobody@partners.test' });
    expect(missing).toMatchObject({ isError: true, content: [{ type: 'text', text: 'affiliate not found (HTTP 404)' }] });
    expect((await client.listTools()).tools.length).toBe(Object.keys(REFGROW_TOOL_ARGUMENTS).length + REFWIRE_TOOL_NAMES.length);
  });

  it('refuses a wrong key, and a request without one, as the API does', async () => {
    await expect(connect('rw_not_a_key')).rejects.toThrow(/401|invalid API key/);
    const res = await request(t.app).post('/mcp').set('Accept', 'application/json, text/event-stream').send({ jsonrpc: '2.0', id: 1, method: 'tools/list' }).expect(401);
    expect(res.body).toEqual({ success: false, error: 'missing API key: send Authorization: Bearer <api_key>' });
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
