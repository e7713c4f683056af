import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderName } from '../../src/domain/provider-names';

/**
 * Local stand-ins for the four providers' list APIs, one server each (Stripe's SDK takes a host, not a path), holding
 * what each provider recorded and answering in the envelopes the SDKs parse:
 *  - Stripe `GET /v1/events`: `{ object: 'list', url, has_more, data }` newest first, `created[gte|lte]`, `limit`,
 *    `starting_after` (Stripe API reference, "List all events"; the SDK's auto-pagination follows `has_more`);
 *  - Paddle `GET /events`: `{ data, meta: { request_id, pagination: { per_page, next, has_more, estimated_total } } }`
 *    with `after` and `order_by` (PaddleHQ/paddle-node-sdk src/__tests__/mocks/resources/events.mock.ts @48462b0,
 *    ListEventMockResponse; `next` is an absolute URL as Paddle sends it);
 *  - Lemon Squeezy `GET /v1/orders`, `/v1/subscription-invoices`: JSON:API `{ jsonapi, meta: { page }, links, data }`,
 *    newest first, `filter[store_id]`, `page[number]`, `page[size]` (the SDK's ListOrders / ListSubscriptionInvoices
 *    types); `GET /v1/stores`: the stores its resources belong to, else the fixtures' (a key sees every store of its user);
 *  - Polar `GET /v1/orders/`, `/v1/refunds/`: `{ items, pagination: { total_count, max_page } }` with `page`, `limit`,
 *    `sorting=-created_at` (@polar-sh/sdk 0.49 ListResourceOrder / ListResourceRefund; every item is validated by it).
 * The items themselves are the fixtures' objects (with their provenance), re-dated and re-keyed by the tests.
 */
export type Failure = 'http500' | 'http401' | 'hang' | null;

type Call = { method: string; path: string; authorization: string | undefined };

export class ProviderStandIn {
  calls: Call[] = [];
  failure: Failure = null;
  url = '';
  /** Stripe events, Paddle events, Lemon Squeezy and Polar resources, by list path */
  readonly lists = new Map<string, Record<string, any>[]>();
  /** single resources by path (Paddle's GET /customers/{id} for the enricher) */
  readonly resources = new Map<string, unknown>();
  private readonly server: http.Server;
  private readonly hanging = new Set<http.ServerResponse>();

  constructor(readonly provider: ProviderName) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  list(path: string): Record<string, any>[] {
    if (!this.lists.has(path)) this.lists.set(path, []);
    return this.lists.get(path)!;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    this.calls.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization });
    if (this.failure === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (this.failure === 'http500') return this.send(res, 500, this.errorBody(500));
    if (this.failure === 'http401') return this.send(res, 401, this.errorBody(401));
    if (req.method === 'GET' && this.resources.has(url.pathname)) return this.send(res, 200, this.resources.get(url.pathname));
    if (req.method === 'GET' && this.provider === 'lemonsqueezy' && url.pathname === '/v1/stores') return this.send(res, 200, this.lemonStores());
    const items = this.lists.get(url.pathname);
    if (req.method !== 'GET' || !items) return this.send(res, 404, this.errorBody(404));
    const q = url.searchParams;
    switch (this.provider) {
      case 'stripe':
        return this.send(res, 200, this.stripePage(url.pathname, items, q));
      case 'paddle':
        return this.send(res, 200, this.paddlePage(url.pathname, items, q));
      case 'lemonsqueezy':
        return this.send(res, 200, this.lemonPage(url.pathname, items, q));
      case 'polar':
        return this.send(res, 200, this.polarPage(items, q));
    }
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': this.provider === 'lemonsqueezy' ? 'application/vnd.api+json' : 'application/json' }).end(JSON.stringify(body));
  }

  /** Each provider's error envelope. */
  private errorBody(status: number): unknown {
    const message = status === 401 ? 'Invalid API key' : status === 404 ? 'Not found' : 'Internal server error';
    switch (this.provider) {
      case 'stripe':
        return { error: { type: status === 401 ? 'invalid_request_error' : 'api_error', message } };
      case 'paddle':
        return { error: { type: status === 500 ? 'api_error' : 'request_error', code: status === 401 ? 'authentication_malformed' : status === 404 ? 'not_found' : 'internal_error', detail: message }, meta: { request_id: 'req_standin' } };
      case 'lemonsqueezy':
        return { jsonapi: { version: '1.0' }, errors: [{ status: String(status), title: message, detail: message }] };
      case 'polar':
        return { error: status === 401 ? 'invalid_token' : 'error', detail: message };
    }
  }

  private stripePage(path: string, events: Record<string, any>[], q: URLSearchParams) {
    const gte = Number(q.get('created[gte]') ?? 0);
    const lte = Number(q.get('created[lte]') ?? Number.MAX_SAFE_INTEGER);
    const types = [...q.entries()].filter(([k]) => k.startsWith('types')).map(([, v]) => v);
    const limit = Number(q.get('limit') ?? 10);
    const sorted = events
      .filter((e) => e.created >= gte && e.created <= lte && (types.length === 0 || types.includes(e.type)))
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
    const after = q.get('starting_after');
    const from = after ? sorted.findIndex((e) => e.id === after) + 1 : 0;
    const data = sorted.slice(from, from + limit);
    return { object: 'list', url: path, has_more: from + limit < sorted.length, data };
  }

  private paddlePage(path: string, events: Record<string, any>[], q: URLSearchParams) {
    const desc = q.get('order_by') === 'id[DESC]';
    const sorted = [...events].sort((a, b) => (a.event_id < b.event_id ? -1 : 1) * (desc ? -1 : 1));
    const perPage = Number(q.get('per_page') ?? 50);
    const after = q.get('after');
    const from = after ? sorted.findIndex((e) => e.event_id === after) + 1 : 0;
    const data = sorted.slice(from, from + perPage);
    const hasMore = from + perPage < sorted.length;
    const next = new URL(`${this.url}${path}`);
    next.searchParams.set('after', data.at(-1)?.event_id ?? after ?? '');
    if (q.get('order_by')) next.searchParams.set('order_by', q.get('order_by')!);
    next.searchParams.set('per_page', String(perPage));
    return { data, meta: { request_id: 'req_standin', pagination: { per_page: perPage, next: next.toString(), has_more: hasMore, estimated_total: sorted.length } } };
  }

  private lemonStores() {
    const ids = new Set([...this.lists.values()].flat().map((r) => String(r.attributes?.store_id)));
    // before anything is recorded: the fixtures' store
    if (ids.size === 0) ids.add('1');
    return { jsonapi: { version: '1.0' }, data: [...ids].sort().map((id) => ({ type: 'stores', id, attributes: { name: `Store ${id}` } })) };
  }

  private lemonPage(path: string, resources: Record<string, any>[], q: URLSearchParams) {
    const size = Number(q.get('page[size]') ?? 10);
    const number = Number(q.get('page[number]') ?? 1);
    const store = q.get('filter[store_id]');
    const sorted = resources.filter((r) => store === null || String(r.attributes.store_id) === store).sort((a, b) => Date.parse(b.attributes.created_at) - Date.parse(a.attributes.created_at));
    const lastPage = Math.max(1, Math.ceil(sorted.length / size));
    const data = sorted.slice((number - 1) * size, number * size);
    const link = (n: number) => `${this.url}${path}?page%5Bnumber%5D=${n}&page%5Bsize%5D=${size}`;
    return {
      meta: { page: { currentPage: number, from: (number - 1) * size + 1, lastPage, perPage: size, to: (number - 1) * size + data.length, total: sorted.length } },
      jsonapi: { version: '1.0' },
      links: { first: link(1), last: link(lastPage) },
      data,
    };
  }

  private polarPage(items: Record<string, any>[], q: URLSearchParams) {
    const limit = Number(q.get('limit') ?? 10);
    const page = Number(q.get('page') ?? 1);
    const sorted = [...items].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
    return { items: sorted.slice((page - 1) * limit, page * limit), pagination: { total_count: sorted.length, max_page: Math.max(1, Math.ceil(sorted.length / limit)) } };
  }
}
