import type { Operation } from '../api/operation';

/** `/mcp` as /openapi.json describes it (its own file: src/api/openapi.ts lists it without loading the MCP server). */
export const mcpOperations: Operation[] = [
  {
    method: 'post',
    path: '/mcp',
    tag: 'MCP',
    access: 'api_key',
    summary: 'The MCP server (Streamable HTTP, stateless): one JSON-RPC message in, its JSON answer out (docs/mcp.md)',
    description:
      "Refgrow's 18 tools under their names and arguments, and tools for events, replay, payouts, reports and the ledger check. " +
      'Each tool calls this API with the same key; a bad argument or a refused call is answered as a tool error with the reason. ' +
      'Other methods (GET, DELETE) answer 405 with Allow: POST: there is no server stream and no session.',
    answer: 'json',
  },
];
