import { Transform, type Readable, type Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { apiJsonTextProblem } from '../util/json-text';
import { apiBase, apiClient } from './api-client';
import { guardCallParams, invalidParams } from './call-params';
import { createMcpServer } from './server';

export const DEFAULT_API_URL = 'http://localhost:3000';

export type StdioSettings = { apiKey: string; apiUrl: string };

/** REFWIRE_API_KEY (required) and REFWIRE_API_URL (a Refwire's address, with or without /api/v1), or what is wrong. */
export function stdioSettings(env: NodeJS.ProcessEnv): StdioSettings | { problem: string } {
  const apiKey = env.REFWIRE_API_KEY?.trim();
  if (!apiKey) return { problem: 'REFWIRE_API_KEY is required: a project API key (rw_…), from POST /api/admin/projects or `refwire project create`' };
  const apiUrl = env.REFWIRE_API_URL?.trim() || DEFAULT_API_URL;
  try {
    apiBase(apiUrl);
  } catch {
    return { problem: `REFWIRE_API_URL is not an http(s) URL: ${apiUrl}` };
  }
  return { apiKey, apiUrl };
}

/**
 * `refwire mcp`: the MCP server on stdin/stdout for a local client (Claude Desktop, Cursor, Claude Code), calling
 * a running Refwire's REST API. stdout carries the protocol only; anything else goes to stderr.
 */
export async function runStdioServer(settings: StdioSettings): Promise<void> {
  const api = apiClient({ baseUrl: settings.apiUrl, apiKey: settings.apiKey });
  const server = createMcpServer(api);
  const transport = new StdioServerTransport(checkedLines(process.stdin, process.stdout), process.stdout);
  await server.connect(transport);
  guardCallParams(transport);
  process.stderr.write(`refwire mcp: serving MCP on stdio, calling ${api.baseUrl}/api/v1\n`);
}

/**
 * stdin as the SDK's transport reads it (a JSON-RPC message a line), less the requests whose text /mcp and the API
 * refuse: the transport reads a line with JSON.parse, which rounds 19.999999999999999999 to 20, so an amount would be
 * recorded other than written. Such a request is answered here with invalid params (-32602) and its id, naming the
 * field, as /mcp answers it.
 */
export function checkedLines(input: Readable, output: Writable): Readable {
  let pending = '';
  const answer = (line: string, problem: string) => {
    let id: unknown;
    try {
      id = (JSON.parse(line) as { id?: unknown }).id;
    } catch {
      // not JSON: the transport says so itself
    }
    if (typeof id !== 'string' && typeof id !== 'number') return false;
    output.write(`${JSON.stringify(invalidParams(id, `Invalid params: ${problem}`))}\n`);
    return true;
  };
  const lines = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8');
      const complete = pending.split('\n');
      pending = complete.pop()!;
      for (const line of complete) {
        const problem = line.trim() === '' ? null : apiJsonTextProblem(line);
        if (problem === null || !answer(line, problem)) this.push(`${line}\n`);
      }
      done();
    },
    flush(done) {
      if (pending !== '') this.push(pending);
      done();
    },
  });
  return input.pipe(lines);
}
