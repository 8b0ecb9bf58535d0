#!/usr/bin/env node
// The `descent` command. The TypeScript sources are compiled by `npm install`
// (the `prepare` script) or `npm run build` into dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('descent: the compiled code is missing (dist/). Run `npm install` or `npm run build` in the descent folder first.');
  process.exit(1);
}
await import(entry.href);
