import fs from 'node:fs';
import path from 'node:path';

/**
 * The house has no stairs back up (docs/architecture.md): every import in src/ goes to its own room or to a room
 * of a lower layer. Rooms of one layer may use each other.
 */
const LAYERS: string[][] = [
  ['generated', 'util', 'domain'],
  ['config', 'security', 'observability'],
  ['db'],
  ['commission', 'attribution', 'providers', 'views'],
  ['projects', 'integrations', 'outbound', 'inbox', 'email', 'access'],
  ['ledger', 'http'],
  ['ingest', 'pipeline', 'reconcile'],
  ['queue'],
  ['api', 'tracking', 'pages', 'mcp'],
  ['server', 'processing'],
  ['replay'],
  ['main', 'cli'],
  ['testing-kit'],
];
const SRC = path.resolve(__dirname, '..', '..', 'src');
const layerOf = new Map(LAYERS.flatMap((rooms, layer) => rooms.map((room): [string, number] => [room, layer])));

/** src/ledger/x.ts → ledger; src/main.ts → main */
function roomOf(file: string): string {
  const [first] = path.relative(SRC, file).split(path.sep);
  return first!.replace(/\.ts$/, '');
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('layers', () => {
  const files = sources(SRC);

  it('every room of src/ has a layer', () => {
    const rooms = new Set(files.map(roomOf));
    expect([...rooms].filter((r) => !layerOf.has(r)).sort()).toEqual([]);
  });

  it('no import runs from a lower layer up to a higher one', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = roomOf(file);
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const to = roomOf(path.resolve(path.dirname(file), m[1]!));
        if (to !== from && layerOf.get(to)! > layerOf.get(from)!) upward.push(`${path.relative(SRC, file)} → ${m[1]} (${from} → ${to})`);
      }
    }
    expect(upward).toEqual([]);
  });
});
