import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

// scripts/build-portal.js is CommonJS run by build.js before anything is compiled
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPortal, PORTAL_OUT } = require('../../scripts/build-portal.js') as { buildPortal(): Promise<unknown>; PORTAL_OUT: string };

/** Issue 16: at most 60 KB gzipped for the embed, counted as 60 KiB. */
const BUDGET = 60 * 1024;
const gz = (file: string) => gzipSync(fs.readFileSync(file), { level: 9 }).length;

describe('the portal bundle (scripts/build-portal.js)', () => {
  beforeAll(async () => {
    await buildPortal();
  });

  it('fits the budget: the script and the largest catalog a page fetches with it, gzipped', () => {
    const script = gz(path.join(PORTAL_OUT, 'refwire-portal.js'));
    const catalogs = fs.readdirSync(path.join(PORTAL_OUT, 'refwire-portal', 'locales'));
    expect(catalogs).toHaveLength(12);
    const largest = Math.max(...catalogs.map((f) => gz(path.join(PORTAL_OUT, 'refwire-portal', 'locales', f))));
    // what the real libraries weigh (Preact, i18next): a bundle without them would pass for the wrong reason
    expect(script).toBeGreaterThan(30 * 1024);
    expect(script + largest).toBeLessThanOrEqual(BUDGET);
  });

  it('keeps the chart library a module of its own, which the script imports only to draw a chart', () => {
    const script = fs.readFileSync(path.join(PORTAL_OUT, 'refwire-portal.js'), 'utf8');
    const chart = fs.readFileSync(path.join(PORTAL_OUT, 'refwire-portal', 'uplot.js'), 'utf8');
    // uPlot's own methods: in the module, not in the script
    for (const method of ['posToVal', 'addSeries', 'syncRect']) {
      expect(chart).toContain(method);
      expect(script).not.toContain(method);
    }
    expect(script).toContain('/js/refwire-portal/uplot.js');
    expect(chart).toMatch(/export\s*\{\s*\w+ as default\s*\}/);
    expect(gz(path.join(PORTAL_OUT, 'refwire-portal', 'uplot.js'))).toBeGreaterThan(15 * 1024);
  });

  it('needs no eval: nothing a Content-Security-Policy without unsafe-eval would stop', () => {
    const code = fs.readFileSync(path.join(PORTAL_OUT, 'refwire-portal.js'), 'utf8');
    expect(code).not.toMatch(/\beval\s*\(/);
    expect(code).not.toMatch(/new Function\s*\(/);
    expect(code).not.toMatch(/setTimeout\(\s*["'`]/);
  });

  it('type-checks (web/portal/tsconfig.json: strict, DOM)', () => {
    const tsc = path.resolve(__dirname, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc');
    expect(() => execFileSync(process.execPath, [tsc, '-p', path.resolve(__dirname, '..', '..', 'web', 'portal', 'tsconfig.json')], { stdio: 'pipe' })).not.toThrow();
  });
});
