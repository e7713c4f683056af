import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildOnce, ROOT } from '../helpers/processes';

/**
 * A merchant's tests import `refwire/testing` with whatever module resolution their TypeScript uses: the default for
 * CommonJS (node10, what ts-jest's preset compiles with) reads no package `exports`, so the types must be found
 * without them too.
 */
describe("refwire/testing's types", () => {
  beforeAll(() => buildOnce(), 240_000);

  it.each(['node10', 'node16', 'bundler'])('resolve with moduleResolution %s', (resolution) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-types-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'refwire'));
      fs.writeFileSync(path.join(dir, 'merchant.test.ts'), "import { startRefwire, type RefwireForTests } from 'refwire/testing';\nexport const start: () => Promise<RefwireForTests> = () => startRefwire();\n");
      const module = resolution === 'node10' ? 'commonjs' : resolution === 'node16' ? 'node16' : 'esnext';
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { module, moduleResolution: resolution, strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['merchant.test.ts'] }),
      );
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    } catch (err) {
      throw new Error(`tsc: ${(err as { stdout?: string }).stdout ?? err}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
