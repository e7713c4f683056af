import fs from 'node:fs';
import path from 'node:path';

type Manifest = { shell: string[]; pages: Record<string, string[]> };

const CHUNK = /^chunks\/[\w-]+\.js$/;

/**
 * The <link rel="modulepreload"> tags of the dashboard's page at an address (`/projects/<id>/conversions`, relative
 * to /dashboard): the chunks the shell imports and those of the page there, from the build's preload.json
 * (scripts/build-dashboard.js). With them the browser fetches and compiles every file of the first screen at once,
 * instead of discovering each import only after the file before it ran. No build, or an address that is no page: the
 * shell's alone, or nothing; the app works without them, only later.
 */
export function dashboardPreloads(buildDir: string): (address: string) => string {
  let manifest: { shell: string; pages: { pattern: RegExp; links: string }[] } | null = null;
  const links = (files: unknown): string =>
    (Array.isArray(files) ? files : [])
      .filter((f): f is string => typeof f === 'string' && CHUNK.test(f))
      .map((f) => `<link rel="modulepreload" href="/dashboard/assets/${f}">\n`)
      .join('');
  const load = () => {
    let read: Manifest;
    try {
      read = JSON.parse(fs.readFileSync(path.join(buildDir, 'preload.json'), 'utf8')) as Manifest;
    } catch {
      return null;
    }
    return {
      shell: links(read.shell),
      pages: Object.entries(read.pages ?? {}).map(([route, files]) => ({
        pattern: new RegExp(`^${route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}/?$`),
        links: links(files),
      })),
    };
  };
  return (address) => {
    manifest ??= load();
    if (!manifest) return '';
    const inProject = /^\/projects\/[^/]+(\/.*)$/.exec(address)?.[1];
    const page = inProject === undefined ? undefined : manifest.pages.find((p) => p.pattern.test(inProject));
    return manifest.shell + (page?.links ?? '');
  };
}
