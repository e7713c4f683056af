import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { HOSTED_PAGE_CSP, portalPagesRouter } from '../../src/pages/portal';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { buildTestApp, createProjectViaApi, type TestApp } from '../helpers/refwire';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPortal } = require('../../scripts/build-portal.js') as { buildPortal(): Promise<unknown> };

describe('the portal pages: /portal/:projectId and /js/refwire-portal.js', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let project: { id: string; apiKey: string };

  beforeAll(async () => {
    await buildPortal();
    tdb = await createTestDatabase();
    t = buildTestApp(tdb.db, { runner: false });
    project = await createProjectViaApi(t.app, 'Acme <Partners> & "Friends"');
  });
  afterAll(async () => {
    await t.runner.stop();
    await tdb.drop();
  });

  it('serves the script to any origin, cacheable, with a validator', async () => {
    const res = await request(t.app).get('/js/refwire-portal.js').expect(200);
    expect(res.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.text).toContain('data-refwire-portal');
    await request(t.app).get('/js/refwire-portal.js').set('If-None-Match', res.headers.etag!).expect(304);
  });

  it('sends the script gzipped to a client that accepts it, whole to one that does not', async () => {
    const gz = await request(t.app).get('/js/refwire-portal.js').set('Accept-Encoding', 'gzip, deflate, br').expect(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(Number(gz.headers['content-length'])).toBeLessThan(60 * 1024);
    const plain = await request(t.app).get('/js/refwire-portal.js').set('Accept-Encoding', 'identity').expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBeGreaterThan(100 * 1024);
    // supertest inflated the first: the same script either way
    expect(gz.text).toBe(plain.text);
  });

  it('serves each language catalog, and 404 for anything else there', async () => {
    const de = await request(t.app).get('/js/refwire-portal/locales/de.json').expect(200);
    expect(de.headers['access-control-allow-origin']).toBe('*');
    expect(de.body.sign_out).toBe('Abmelden');
    await request(t.app).get('/js/refwire-portal/locales/xx.json').expect(404);
    await request(t.app).get('/js/refwire-portal/locales/..%2F..%2Fpackage.json').expect(404);
  });

  it('serves the hosted page with a strict Content-Security-Policy, the project named and escaped', async () => {
    const res = await request(t.app).get(`/portal/${project.id}`).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(HOSTED_PAGE_CSP);
    expect(HOSTED_PAGE_CSP).toContain("script-src 'self'");
    expect(HOSTED_PAGE_CSP).not.toContain('unsafe');
    expect(res.text).toContain('<title>Acme &#60;Partners&#62; &#38; &#34;Friends&#34;</title>');
    // an empty icon of its own (the CSP allows data: images): the browser asks for no /favicon.ico, a 404
    expect(res.text).toContain('<link rel="icon" href="data:,">');
    expect(res.text).toContain(`data-project-id="${project.id}"`);
    expect(res.text).toContain('data-mode="hosted"');
    // nothing inline: the page's one script is the widget's file
    expect(res.text.match(/<script/g)).toHaveLength(1);
    expect(res.text).toContain('<script src="/js/refwire-portal.js" defer></script>');
    expect(res.text).not.toContain('style=');
  });

  it('passes ?lang= through only when it looks like a language tag', async () => {
    expect((await request(t.app).get(`/portal/${project.id}?lang=ar`).expect(200)).text).toContain('data-lang="ar"');
    // a tag in capitals is a tag (the portal reads tags without case)
    expect((await request(t.app).get(`/portal/${project.id}?lang=AR`).expect(200)).text).toContain('data-lang="AR"');
    const hostile = await request(t.app).get(`/portal/${project.id}?lang=${encodeURIComponent('"><script>alert(1)</script>')}`).expect(200);
    expect(hostile.text).not.toContain('data-lang');
    expect(hostile.text).not.toContain('alert(1)');
  });

  it('answers 404 for an unknown project or an id that is not one', async () => {
    await request(t.app).get('/portal/00000000-0000-4000-8000-000000000000').expect(404);
    const res = await request(t.app).get('/portal/not-a-project').expect(404);
    expect(res.headers['content-security-policy']).toBe(HOSTED_PAGE_CSP);
  });

  it('answers 503 saying how to build it when the bundle is missing (a process built without it still starts)', async () => {
    const app = express().use(portalPagesRouter(tdb.db.prisma, fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-no-portal-'))));
    const res = await request(app).get('/js/refwire-portal.js').expect(503);
    expect(res.body.error).toContain('npm run build');
  });
});
