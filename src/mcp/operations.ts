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
      "The request itself draws nothing on the key's rate limit; the tools' API calls do, and a tool call past it is a tool error " +
      'with the API\'s 429 message. ' +
      'A request whose text the API would refuse (a number JSON cannot carry exactly, a NUL, half a surrogate pair, over 64 levels) is ' +
      'answered 200 with JSON-RPC invalid params (-32602) and its id, naming the field. ' +
      'The request itself is refused as the API refuses one (`{ "success": false, "error" }`): 400 for a body that is not JSON, or ' +
      'such a text without a request id, 413 for a body over 1 MiB, 415 for a Content-Type other than application/json; and as the MCP ' +
      'transport refuses one (a JSON-RPC error without id): 400 for JSON that is not a JSON-RPC message or an unsupported ' +
      'MCP-Protocol-Version, 406 for an Accept header that does not list both application/json and text/event-stream. ' +
      'Other methods (GET, DELETE) answer 405 with Allow: POST: there is no server stream and no session.',
    answer: 'json',
    // 401, 403 and 429 follow from the key; these from the body and its headers (src/http/json-body.ts, then the SDK's transport)
    errors: [400, 406, 413, 415],
  },
];
