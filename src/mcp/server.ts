import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PACKAGE_VERSION } from '../util/package-version';
import { ApiError, type ApiClient } from './api-client';
import { readPages } from './pages';
import { TOOLS, type ToolDefinition } from './tools';

const text = (value: string, isError = false): CallToolResult => ({ content: [{ type: 'text', text: value }], ...(isError ? { isError: true } : {}) });

/**
 * A tool's answer: the API's JSON, whole, as Refgrow's server gives it; a refused call is a tool error carrying
 * the API's own message, so the model reads why and can correct its call.
 */
async function run(def: ToolDefinition, api: ApiClient, args: Record<string, unknown>): Promise<CallToolResult> {
  const refusal = def.refuse?.(args);
  if (refusal) return text(refusal, true);
  try {
    const call = def.request(args);
    const answer = def.paged !== undefined && Number(call.query?.limit) > def.paged ? await readPages(api, call, def.paged) : await api.call(call);
    if (answer.status === 204) return text(JSON.stringify({ success: true, message: def.deleted?.(args) ?? 'done' }, null, 2));
    return text(JSON.stringify(answer.body, null, 2));
  } catch (err) {
    if (err instanceof ApiError) return text(err.status === null ? err.message : `${err.message} (HTTP ${err.status})`, true);
    throw err;
  }
}

/**
 * An MCP server whose tools call Refwire's REST API through `api`. Arguments are checked by the SDK against each
 * tool's input schema before the call: a bad one is answered as a tool error naming it, and nothing is sent.
 */
export function createMcpServer(api: ApiClient): McpServer {
  const server = new McpServer({ name: 'refwire', version: PACKAGE_VERSION }, { capabilities: { tools: {} } });
  for (const def of TOOLS) {
    server.registerTool(def.name, { description: def.description, inputSchema: def.input, annotations: def.annotations }, (args: Record<string, unknown>) =>
      run(def, api, args),
    );
  }
  return server;
}
