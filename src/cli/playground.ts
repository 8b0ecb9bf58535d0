/**
 * `descent playground [--port N]`: serves the playground (dist/web, built by npm run build:web)
 * on localhost with the headers that make the page cross-origin isolated, so the wasm backend
 * runs its threads there, and prints the address. Only the files of that folder are served.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, NotFoundError } from '../errors.js';

/** dist/web, next to dist/src. */
export const PLAYGROUND_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Cross-origin isolation (SharedArrayBuffer, so wasm threads) for everything served. */
export const PLAYGROUND_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache',
};

export interface PlaygroundServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The file under `root` that `urlPath` names, or null (outside the folder, missing, a folder). */
function fileFor(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (path.endsWith('/')) path += 'index.html';
  const full = normalize(join(root, path));
  if (full !== root && !full.startsWith(root + sep)) return null;
  return existsSync(full) && statSync(full).isFile() ? full : null;
}

export async function startPlaygroundServer(
  options: { port?: number; host?: string; dir?: string } = {},
): Promise<PlaygroundServer> {
  const root = resolve(options.dir ?? PLAYGROUND_DIR);
  if (!existsSync(join(root, 'index.html')))
    throw new NotFoundError(
      `descent playground: the site is not built (${join(root, 'index.html')} is missing); run npm run build:web in the descent folder.`,
    );
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`descent playground: --port must be an integer from 0 to 65535, got ${String(options.port)}.`);
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const file = req.method === 'GET' || req.method === 'HEAD' ? fileFor(root, req.url ?? '/') : null;
    if (!file) {
      res.writeHead(404, { ...PLAYGROUND_HEADERS, 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...PLAYGROUND_HEADERS, 'content-type': type });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError(`descent playground: port ${port} is in use; choose another with --port N (0 for any free one).`)
          : error,
      ),
    );
    server.listen(port, host, () => resolvePromise());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}/`,
    port: bound,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

export function registerPlayground(program: Command): void {
  program
    .command('playground')
    .description(
      'Serve the interactive playground (optimiser arena, network trainer, landscape, export) on localhost and print its address.',
    )
    .option('--port <n>', 'the port to listen on (0: any free one)', '8080')
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .action(async (flags: { port: string; host: string }) => {
      const port = Number(flags.port);
      const server = await startPlaygroundServer({ port, host: flags.host });
      console.log(`descent playground: ${server.url}  (Ctrl-C to stop)`);
    });
}
