import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateEmbeddedSecrets } from '../../src/config/embedded-secrets';

describe('the embedded secrets file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refwire-secrets-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is created once, readable only by its owner, with nothing left beside it; later starts read the same', () => {
    const first = loadOrCreateEmbeddedSecrets(dir);
    expect(first).toMatchObject({ createdNow: true, secretsKey: expect.stringMatching(/^[0-9a-f]{64}$/), adminToken: expect.stringMatching(/^rwadm_/) });
    expect(fs.statSync(first.file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['secrets.json']);
    expect(loadOrCreateEmbeddedSecrets(dir)).toEqual({ ...first, createdNow: false });
  });

  it('says what to do when it is damaged, rather than a parser error', () => {
    const file = path.join(dir, 'secrets.json');
    const cases: [string, string][] = [
      ['', 'not JSON: Unexpected end of JSON input'],
      ['null', 'it must hold "secrets_key" and "admin_token"'],
      ['{"secrets_key":"ab"}', 'it must hold "secrets_key" and "admin_token"'],
    ];
    for (const [text, why] of cases) {
      fs.writeFileSync(file, text);
      expect(() => loadOrCreateEmbeddedSecrets(dir)).toThrow(`${file} is damaged (${why}): restore it from a backup`);
    }
  });
});
