import type { z } from 'zod';

/**
 * Who may call an operation: a project API key (or, for /api/v1, a dashboard session with X-Refwire-Project), the
 * operator's ADMIN_TOKEN, a signed-in dashboard user (`session`), a page with the project's publishable key, a
 * signed-in affiliate (the portal's session cookie or an embed token), or anyone.
 */
export type Access = 'api_key' | 'admin' | 'session' | 'publishable_key' | 'portal' | 'public';

/**
 * One API operation as /openapi.json describes it. Each router lists its operations beside the zod schemas its
 * handlers parse with, and names those same schema objects here, so the document cannot drift from validation;
 * test/api/openapi.test.ts checks that the list and the mounted routes are the same set.
 */
export type Operation = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** the full path, OpenAPI style: /api/v1/affiliates/{email} */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** the success status (default 200); 204 answers without a body, 302 with a Location (answer: 'redirect') */
  status?: 200 | 201 | 202 | 204 | 302;
  /** `list`: Refgrow's paginated envelope; `object`: `{ success, data }`; others are not JSON envelopes */
  answer?: 'object' | 'list' | 'javascript' | 'text' | 'csv' | 'json' | 'redirect';
  /** error statuses beyond those implied (400 with a body or query, 401/429 with a key, 404 with a path id) */
  errors?: number[];
  /**
   * A create (201) that answers 200 with the same body when what it would create is already there (a repeated
   * order_id, an email already referred, a retried Idempotency-Key): when it does, for the document's 200.
   */
  repeat?: string;
  /**
   * The schema of the answer's `data` (for `answer: 'list'`, of ONE item: the document wraps it in the list's
   * envelope; for `answer: 'json'`, of the whole body). Strict zod objects, described in output mode;
   * test/api/openapi-responses.test.ts parses real answers with them, so a field sent and not described (or
   * described and not sent) fails.
   */
  response?: z.ZodType;
};

/**
 * The usual operations of a collection keyed by `key` in the path: list, create (201, 409 on a duplicate), get,
 * update by PUT and PATCH alike, delete (204). Leave a schema out to leave its operations out.
 */
export function resourceOperations(r: {
  path: string;
  tag: string;
  noun: string;
  key: string;
  list?: z.ZodObject;
  /** the list's description, e.g. how it pages */
  listDescription?: string;
  create?: z.ZodType;
  update?: z.ZodType;
  remove?: boolean;
  /** the schema of one item: the answer of get, create and update, and each item of the list */
  response?: z.ZodType;
  /** create's error statuses beside 409: 404 when the body names a row that is not there (an affiliate_id, a group_id) */
  createErrors?: number[];
}): Operation[] {
  const one = `${r.path}/{${r.key}}`;
  const base = { tag: r.tag, access: 'api_key' as const };
  const response = r.response ? { response: r.response } : {};
  return [
    ...(r.list ? [{ ...base, method: 'get' as const, path: r.path, summary: `List ${r.noun}s`, query: r.list, answer: 'list' as const, ...response, ...(r.listDescription ? { description: r.listDescription } : {}) }] : []),
    ...(r.create ? [{ ...base, method: 'post' as const, path: r.path, summary: `Create a ${r.noun}`, body: r.create, status: 201 as const, errors: [409, ...(r.createErrors ?? [])], ...response }] : []),
    { ...base, method: 'get' as const, path: one, summary: `Get a ${r.noun}`, ...response },
    ...(r.update
      ? (['put', 'patch'] as const).map((method) => ({ ...base, method, path: one, summary: `Update a ${r.noun}`, body: r.update, errors: [409], ...response }))
      : []),
    ...(r.remove ? [{ ...base, method: 'delete' as const, path: one, summary: `Delete a ${r.noun}`, status: 204 as const, errors: [409] }] : []),
  ];
}
