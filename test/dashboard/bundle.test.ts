import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALL_OPERATIONS, openApiDocument } from '../../src/api/openapi';

const root = path.resolve(__dirname, '..', '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

describe('the dashboard build (web/dashboard)', () => {
  it("uses types generated from today's /openapi.json (scripts/generate-api-types.js)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-api-types-'));
    try {
      fs.writeFileSync(path.join(dir, 'doc.json'), JSON.stringify(openApiDocument(ALL_OPERATIONS, { version: 'x', serverUrl: '/' })));
      execFileSync(process.execPath, [path.join(root, 'scripts', 'generate-api-types.js'), '--document', path.join(dir, 'doc.json'), '--out', path.join(dir, 'schema.d.ts')], { stdio: 'pipe' });
      const committed = fs.readFileSync(path.join(root, 'web', 'dashboard', 'api', 'schema.d.ts'), 'utf8');
      // a difference means the API changed: `npm run build && node scripts/generate-api-types.js` brings them level
      expect(committed === fs.readFileSync(path.join(dir, 'schema.d.ts'), 'utf8')).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('type-checks against them (web/dashboard/tsconfig.json: strict, DOM)', () => {
    expect(() => execFileSync(process.execPath, [tsc, '-p', path.join(root, 'web', 'dashboard', 'tsconfig.json')], { stdio: 'pipe' })).not.toThrow();
  }, 120_000);
});
