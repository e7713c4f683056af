import { CODE_MAX_TRIES, issueOneTimeCode, redeemOneTimeCode, type CodePurpose } from '../../src/access/one-time-codes';
import { createProject } from '../../src/projects/projects';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('one-time codes (PRODUCT.md §12: 6 digits, 10 minutes, 5 tries)', () => {
  let tdb: TestDatabase;
  let projectId: string;
  let otherProjectId: string;
  const start = new Date('2026-12-01T10:00:00.000Z');
  const minutes = (n: number) => new Date(start.getTime() + n * 60_000);

  const issue = (email: string, purpose: CodePurpose = 'application', at = start, project = projectId) =>
    tdb.db.sql.transaction((tx) => issueOneTimeCode(tx, { projectId: project, email, purpose, at }));
  const redeem = (email: string, code: string, purpose: CodePurpose = 'application', at = start, project = projectId) =>
    tdb.db.sql.transaction((tx) => redeemOneTimeCode(tx, { projectId: project, email, purpose, code, at }));
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  beforeAll(async () => {
    tdb = await createTestDatabase();
    projectId = (await createProject(tdb.db.prisma, { name: 'Acme', currency: 'USD' })).id;
    otherProjectId = (await createProject(tdb.db.prisma, { name: 'Other', currency: 'USD' })).id;
  });
  afterAll(() => tdb.drop());

  it('issues 6 digits, stores only a hash, and works exactly once', async () => {
    const code = await issue('Jane@Example.com');
    expect(code).toMatch(/^\d{6}$/);
    const rows = await tdb.db.sql.query<{ email: string; code_hash: string }>(`SELECT email, code_hash FROM one_time_codes WHERE project_id = $1`, [projectId]);
    expect(rows).toEqual([{ email: 'jane@example.com', code_hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(rows[0]!.code_hash).not.toContain(code);
    expect(await redeem('jane@example.com', code, 'application', minutes(9))).toBe('ok');
    expect(await redeem('jane@example.com', code, 'application', minutes(9))).toBe('no_code');
  });

  it('is bound to its project, address and purpose', async () => {
    const code = await issue('bound@example.com');
    expect(await redeem('other@example.com', code)).toBe('no_code');
    expect(await redeem('bound@example.com', code, 'sign_in')).toBe('no_code');
    expect(await redeem('bound@example.com', code, 'application', start, otherProjectId)).toBe('no_code');
    expect(await redeem('bound@example.com', code)).toBe('ok');
  });

  it('expires after 10 minutes', async () => {
    const code = await issue('late@example.com');
    expect(await redeem('late@example.com', code, 'application', minutes(10))).toBe('expired');
  });

  it('allows five tries: the sixth is refused even with the right code', async () => {
    const code = await issue('guess@example.com');
    for (let i = 0; i < CODE_MAX_TRIES; i++) expect(await redeem('guess@example.com', wrong(code))).toBe('wrong_code');
    expect(await redeem('guess@example.com', code)).toBe('too_many_attempts');
    // a new code starts over and ends the old one
    const fresh = await issue('guess@example.com');
    expect(await redeem('guess@example.com', 'abc')).toBe('wrong_code');
    expect(await redeem('guess@example.com', fresh)).toBe('ok');
  });

  it('a resend replaces the earlier code', async () => {
    const first = await issue('twice@example.com', 'sign_in');
    const second = await issue('twice@example.com', 'sign_in', minutes(1));
    if (first !== second) expect(await redeem('twice@example.com', first, 'sign_in', minutes(2))).toBe('wrong_code');
    expect(await redeem('twice@example.com', second, 'sign_in', minutes(2))).toBe('ok');
  });

  it('two guesses at once use two tries', async () => {
    const code = await issue('race@example.com');
    const results = await Promise.all(Array.from({ length: 8 }, () => redeem('race@example.com', wrong(code))));
    expect(results.filter((r) => r === 'wrong_code')).toHaveLength(CODE_MAX_TRIES);
    expect(results.filter((r) => r === 'too_many_attempts')).toHaveLength(8 - CODE_MAX_TRIES);
  });
});
