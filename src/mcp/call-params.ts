import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { TOOLS } from './tools';
import { CallToolRequestSchema, ErrorCode, InitializeRequestSchema, isJSONRPCRequest, ListToolsRequestSchema, PingRequestSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** What a JSON value is, in words: `a string`, `an array`, `null`. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const TOOL_NAMES: ReadonlySet<string> = new Set(TOOLS.map((t) => t.name));

/** The requests this server answers, with the schema the SDK checks each one's params by. */
const REQUEST_SCHEMAS = {
  initialize: InitializeRequestSchema,
  ping: PingRequestSchema,
  'tools/list': ListToolsRequestSchema,
  'tools/call': CallToolRequestSchema,
} as const;

/**
 * Why a request's params are not what its method takes (a tools/call's arguments not an object, its name not a
 * string; an initialize without its protocolVersion), or null. The SDK checks them with these same schemas, but
 * answers a mismatch as an internal error (-32603) whose message is the zod issues as JSON: the caller's mistake
 * reads as the server's.
 */
export function callParamsProblem(message: JSONRPCMessage): string | null {
  if (!isJSONRPCRequest(message) || !Object.hasOwn(REQUEST_SCHEMAS, message.method)) return null;
  const parsed = REQUEST_SCHEMAS[message.method as keyof typeof REQUEST_SCHEMAS].safeParse(message);
  if (parsed.success) {
    // the SDK answers an unknown tool with a tool result (isError), where the specification has a protocol error
    const name = message.method === 'tools/call' ? (message.params as { name: string }).name : null;
    return name === null || TOOL_NAMES.has(name) ? null : `Invalid params: unknown tool ${JSON.stringify(name)} (tools/list names them)`;
  }
  const issue = parsed.error.issues[0]!;
  const at = issue.path.map(String).join('.');
  if (message.method === 'tools/call' && at === 'params.arguments') {
    const sent = (message.params as { arguments?: unknown }).arguments;
    return `Invalid params: params.arguments must be an object of the tool's arguments by name (e.g. {"limit": 10}), not ${kindOf(sent)}`;
  }
  return `Invalid params: ${at ? `${at}: ` : ''}${issue.message}`;
}

/** JSON-RPC's invalid params (-32602) for the request `id`, saying what is wrong. */
export function invalidParams(id: string | number, problem: string): JSONRPCMessage {
  return { jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidParams, message: problem } };
}

/**
 * Answers a request whose params are not what its method takes with JSON-RPC's invalid params (-32602) and a message that says
 * what is wrong, before the SDK sees it. Call it once the server is connected (connect() sets onmessage); it wraps
 * that handler, so the stdio and HTTP transports behave alike.
 */
export function guardCallParams(transport: Transport): void {
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const problem = callParamsProblem(message);
    if (problem === null) return deliver?.(message, extra);
    const id = (message as { id: string | number }).id;
    transport.send(invalidParams(id, problem)).catch((err: unknown) => transport.onerror?.(err as Error));
  };
}
