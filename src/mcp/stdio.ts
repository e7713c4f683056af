import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { apiBase, apiClient } from './api-client';
import { guardCallParams } from './call-params';
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
  const transport = new StdioServerTransport();
  await server.connect(transport);
  guardCallParams(transport);
  process.stderr.write(`refwire mcp: serving MCP on stdio, calling ${api.baseUrl}/api/v1\n`);
}
