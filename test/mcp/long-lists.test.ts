import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

/**
 * Refgrow's list tools take `limit` up to 500; a page of Refwire's API holds 100. The tools read the pages one after
 * the other: by offset (affiliates), or from the first page on by next_cursor (conversions).
 */
describe("MCP list tools: Refgrow's limit of 500 over the API's pages of 100", () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let server: http.Server;
  let client: Client;
  let auth: { Authorization: string };
  const AFFILIATES = 230;
  const CONVERSIONS = 120;

  const rest = async (path: string) => (await request(t.app).get(`/api/v1${path}`).set(auth).expect(200)).body;
  const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
  const tool = async (name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: { text: string }[] };
    if (result.isError) throw new Error(`${name}: ${result.content[0]!.text}`);
    return JSON.parse(result.content[0]!.text);
  };

  beforeAll(async () => {
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, resolve));
    const project = await createProjectViaApi(t.app);
    auth = { Authorization: `Bearer ${project.apiKey}` };
    for (let i = 0; i < AFFILIATES; i++) {
      await request(t.app).post('/api/v1/affiliates').set(auth).send({ email: `a${i}@partners.test` }).expect(201);
    }
    const first = (await rest('/affiliates?limit=1')).data[0];
    for (let i = 0; i < CONVERSIONS; i++) {
      await request(t.app).post('/api/v1/conversions').set(auth).send({ type: 'signup', affiliate_id: first.id, reference: `S-${i}` }).expect(201);
    }
    client = new Client({ name: 'refwire-test', version: '1.0.0' });
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: auth } }));
  }, 180_000);
  afterAll(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.runner.stop();
    await tdb.drop();
  });

  it('returns up to the asked limit across offset pages, as one page of that limit', async () => {
    const all = [...(await rest('/affiliates?limit=100')).data, ...(await rest('/affiliates?limit=100&offset=100')).data, ...(await rest('/affiliates?limit=100&offset=200')).data];
    expect(all).toHaveLength(AFFILIATES);

    const whole = await tool('list_affiliates', { limit: 500 });
    expect(ids(whole.data)).toEqual(ids(all));
    expect(whole.pagination).toEqual({ limit: 500, offset: 0, total: AFFILIATES, has_more: false });

    const middle = await tool('list_affiliates', { limit: 150, offset: 20 });
    expect(ids(middle.data)).toEqual(ids(all.slice(20, 170)));
    expect(middle.pagination).toEqual({ limit: 150, offset: 20, total: AFFILIATES, has_more: true });
    // within a page, one call as before
    expect((await tool('list_affiliates', { limit: 100, offset: 200 })).pagination).toEqual({ limit: 100, offset: 200, total: AFFILIATES, has_more: false });
  });

  it('continues a keyset list by next_cursor, and takes a cursor (no default offset sent beside it)', async () => {
    const all = [...(await rest('/conversions?limit=100')).data, ...(await rest('/conversions?limit=100&offset=100')).data];
    expect(all).toHaveLength(CONVERSIONS);

    const first = await tool('list_conversions', { limit: 110 });
    expect(ids(first.data)).toEqual(ids(all.slice(0, 110)));
    expect(first.pagination).toMatchObject({ limit: 110, offset: 0, total: CONVERSIONS, has_more: true, next_cursor: expect.any(String) });

    const rest2 = await tool('list_conversions', { cursor: first.pagination.next_cursor, limit: 500 });
    expect(ids(rest2.data)).toEqual(ids(all.slice(110)));
    expect(rest2.pagination).toEqual({ limit: 500, offset: 0, total: null, has_more: false, next_cursor: null });

    const everything = await tool('list_conversions', { cursor: 'start', limit: 500 });
    expect(ids(everything.data)).toEqual(ids(all));
  });
});
