import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildOnce, ROOT } from '../helpers/processes';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';
import { REFGROW_TOOL_ARGUMENTS, REFWIRE_TOOL_NAMES, runEveryTool } from './tool-scenario';

/** `refwire mcp` as Claude Desktop runs it: the compiled CLI as a child process, the SDK's client on its stdio. */
describe('refwire mcp (stdio)', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let server: http.Server;
  let apiUrl: string;
  let project: { id: string; apiKey: string };
  const clients: Client[] = [];

  const connect = async (env: Record<string, string>) => {
    const client = new Client({ name: 'refwire-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: ['dist/cli.js', 'mcp'], cwd: ROOT, env, stderr: 'pipe' }));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    buildOnce();
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db);
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    project = await createProjectViaApi(t.app);
  }, 240_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.runner.stop();
    await tdb.drop();
  });

  it('lists the tools and calls every one against real data; what the tools create, the REST API reads back', async () => {
    // REFWIRE_API_URL may name the API itself, as Refgrow's REFGROW_API_URL does
    const client = await connect({ REFWIRE_API_KEY: project.apiKey, REFWIRE_API_URL: `${apiUrl}/api/v1` });
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual([...Object.keys(REFGROW_TOOL_ARGUMENTS), ...REFWIRE_TOOL_NAMES]);
    const tools = await runEveryTool(client, t, project);
    expect([...tools.called].sort()).toEqual([...names].sort());
  });

  it('answers a bad argument with an error naming it, and keeps serving', async () => {
    const client = await connect({ REFWIRE_API_KEY: project.apiKey, REFWIRE_API_URL: apiUrl });
    const bad = (await client.callTool({ name: 'create_conversion', arguments: { type: 'refund', referral_code: 'X' } })) as { isError?: boolean; content: { text: string }[] };
    expect(bad.isError).toBe(true);
    expect(bad.content[0]!.text).toMatch(/at type/);
    // arguments that are not an object: invalid params, said in words (the SDK alone answers an internal error with zod's issues)
    const notObject = client.request({ method: 'tools/call', params: { name: 'list_coupons', arguments: 'x' } } as never, CallToolResultSchema);
    await expect(notObject).rejects.toMatchObject({ code: ErrorCode.InvalidParams, message: expect.stringMatching(/Invalid params: params\.arguments must be an object .*, not a string$/) });
    const next = (await client.callTool({ name: 'list_coupons', arguments: {} })) as { isError?: boolean; content: { text: string }[] };
    expect(next.isError).toBeUndefined();
    expect(JSON.parse(next.content[0]!.text).success).toBe(true);
  });

  it('answers a line holding a number JSON.parse would round with invalid params, as /mcp does, and sends nothing', () => {
    const lines = [
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_conversion","arguments":{"type":"purchase","referral_code":"NOPE","base_value":19.999999999999999999}}}',
      '{"jsonrpc":"2.0","id":2,"method":"ping"}',
    ];
    // no API call is made for either line: the run may block this process, which serves the API
    const run = spawnSync(process.execPath, ['dist/cli.js', 'mcp'], { cwd: ROOT, input: `${lines.join('\n')}\n`, env: { REFWIRE_API_KEY: project.apiKey, REFWIRE_API_URL: apiUrl }, timeout: 30_000 });
    const answers = run.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(answers).toEqual([
      {
        jsonrpc: '2.0',
        id: 1,
        error: { code: ErrorCode.InvalidParams, message: 'Invalid params: params.arguments.base_value: the number 19.999999999999999999 has more digits than can be read exactly; an amount can be sent as a decimal string, e.g. "12.34"' },
      },
      { jsonrpc: '2.0', id: 2, result: {} },
    ]);
  });

  it("answers every call with the API's refusal when the key is wrong", async () => {
    const client = await connect({ REFWIRE_API_KEY: 'rw_not_a_key', REFWIRE_API_URL: apiUrl });
    const refused = await client.callTool({ name: 'list_affiliates', arguments: {} });
    expect(refused).toMatchObject({ isError: true, content: [{ type: 'text', text: 'invalid API key (HTTP 401)' }] });
  });

  it('says what is missing when REFWIRE_API_KEY is not set, and exits 1', () => {
    const run = spawnSync(process.execPath, ['dist/cli.js', 'mcp'], { cwd: ROOT, env: { PATH: process.env.PATH }, encoding: 'utf8', input: '' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/REFWIRE_API_KEY is required/);
    expect(run.stdout).toBe('');
  });
});
