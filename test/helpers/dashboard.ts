import request from 'supertest';
import type { HttpHandler } from '../../src/server/app';
import { ADMIN_TOKEN } from './refwire';

/** A signed-in browser: its session cookie and the CSRF token the sign-in answered. */
export type Browser = { cookie: string; csrf: string; userId: string; email: string };

/** The Set-Cookie headers of an answer. */
export function setCookies(res: request.Response): string[] {
  const value = res.headers['set-cookie'] as string | string[] | undefined;
  return value === undefined ? [] : ([] as string[]).concat(value);
}

/** The `refwire_session=…` pair of an answer's Set-Cookie, as a browser would send it back. */
export function sessionCookieOf(res: request.Response): string {
  const header = setCookies(res);
  const cookie = header.find((c) => c.startsWith('refwire_session='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return cookie.split(';')[0]!;
}

export function browserOf(res: request.Response): Browser {
  return { cookie: sessionCookieOf(res), csrf: res.body.data.csrf_token, userId: res.body.data.user.id, email: res.body.data.user.email };
}

export const PASSWORD = 'correct horse battery staple';

/** The first owner through POST /api/dashboard/setup, signed in. */
export async function setUpOwner(app: HttpHandler, projectId: string, email = 'owner@acme.test', password = PASSWORD): Promise<Browser> {
  const res = await request(app).post('/api/dashboard/setup').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ email, password, project_id: projectId }).expect(201);
  return browserOf(res);
}

export async function signIn(app: HttpHandler, email: string, password = PASSWORD): Promise<Browser> {
  return browserOf(await request(app).post('/api/dashboard/login').send({ email, password }).expect(200));
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A request as the dashboard page makes it: the cookie, the CSRF token, and for /api/v1 the selected project. */
export function asBrowser(app: HttpHandler, b: Browser, method: Method, path: string, projectId?: string) {
  let r = request(app)[method](path).set('Cookie', b.cookie).set('X-CSRF-Token', b.csrf);
  if (projectId) r = r.set('X-Refwire-Project', projectId);
  return r;
}
