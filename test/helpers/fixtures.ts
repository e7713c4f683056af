import fs from 'node:fs';
import path from 'node:path';

export const FIXTURES_DIR = path.resolve(__dirname, '..', '..', 'fixtures');

export type Fixture = { file: string; provider: string; provenance: { source: string }; payload: Record<string, unknown> };

export function loadFixtures(provider: string): Fixture[] {
  const dir = path.join(FIXTURES_DIR, provider);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Omit<Fixture, 'file' | 'provider'>;
      return { file, provider, ...parsed };
    });
}

export function loadFixture(provider: string, file: string): Fixture {
  const found = loadFixtures(provider).find((f) => f.file === file);
  if (!found) throw new Error(`no fixture ${provider}/${file}`);
  return found;
}

/** The body a provider would send for a fixture: its payload as compact JSON. */
export function bodyOf(fixture: Fixture, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...fixture.payload, ...overrides });
}

/** A real-shaped Stripe event body: a fixture's payload with a fresh event id (and any other top-level field). */
export function stripeBody(file: string, overrides: Record<string, unknown> = {}): string {
  return bodyOf(loadFixture('stripe', file), overrides);
}
