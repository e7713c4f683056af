import type { Socket } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Router, type RequestHandler } from 'express';
import { bearer } from '../http/auth';
import { jsonTextProblemOf } from '../http/json-body';
import { apiClient } from './api-client';
import { guardCallParams, invalidParams } from './call-params';
import { createMcpServer } from './server';

/**
 * Where this server itself is reached: the local end of the connection a request came in on. A loopback call
 * to it goes through the very listener, so through the same app (and process) that answered /mcp.
 */
export function selfOrigin(socket: Socket): string {
  const { localAddress: address, localPort: port } = socket;
  if (!address || !port) throw new Error('the request has no local address');
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/**
 * `/mcp`: the MCP server over Streamable HTTP, stateless (a server and transport per POST, answered as JSON), so
 * any API process behind a balancer can take any request. `authenticate` is the API's own key check; the tools
 * then call the REST API with that same key (src/mcp/api-client.ts), so a tool does exactly what its route does,
 * under the key's rate limit. There is no stream to GET and no session to DELETE: other methods answer 405.
 */
export function mcpRouter(json: RequestHandler, authenticate: RequestHandler): Router {
  const router = Router();
  router.post('/', authenticate, json, async (req, res) => {
    // what the API refuses in a body's text (a NUL, half a surrogate pair, a number JSON.parse would round), said
    // as JSON-RPC's invalid params with the request's id, so the client can match it to its call
    const problem = jsonTextProblemOf(req);
    if (problem !== null) {
      const id = (req.body as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' && typeof id !== 'number') {
        res.status(400).json({ success: false, error: problem });
        return;
      }
      res.json(invalidParams(id, `Invalid params: ${problem}`));
      return;
    }
    const api = apiClient({ baseUrl: selfOrigin(req.socket), apiKey: bearer(req)! });
    const server = createMcpServer(api);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    guardCallParams(transport);
    await transport.handleRequest(req, res, req.body);
  });
  // what the transport specification asks of a server with no stream and no sessions
  router.all('/', (_req, res) => {
    res.setHeader('Allow', 'POST');
    res.status(405).json({ success: false, error: 'this MCP endpoint is stateless: POST each JSON-RPC message to /mcp (no stream to GET, no session to DELETE)' });
  });
  return router;
}
