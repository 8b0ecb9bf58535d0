/**
 * Serves the built playground (dist/web) for the tests the way `descent playground` does:
 * every file of the folder, cross-origin isolated.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveSite, type Site, type SiteFile } from '../browser/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/web, from dist/test/web. */
export const WEB_DIR = join(here, '..', '..', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
};

export function servePlayground(): Promise<Site> {
  const files: Record<string, SiteFile> = {};
  for (const name of readdirSync(WEB_DIR)) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
    files[`/${name}`] = { type, body: readFileSync(join(WEB_DIR, name)) };
  }
  files['/'] = files['/index.html'];
  return serveSite(files, { isolated: true });
}
