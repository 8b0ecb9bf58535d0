// Every code example in README.md is extracted and run, so none can rot: each TypeScript block
// (and the page's module script) is transpiled and run by node in a scratch folder, importing
// the built package where it says 'descent'; the shell block's first command trains; every flag
// of the command-line synopsis is one `descent <command> --help` lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

// dist/test/readme.test.js → the repository root.
const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
  lang: m[1],
  code: m[2],
  line: readme.slice(0, m.index).split('\n').length,
}));

/** The block as an ES module importing the built package. */
function runnable(code: string): string {
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const entry = (path: string) => pathToFileURL(join(root, path)).href;
  return js
    .replace(/from 'descent\/viz'/g, `from '${entry('dist/src/viz/index.js')}'`)
    .replace(/from 'descent'/g, `from '${entry('dist/src/index.js')}'`);
}

function runModule(name: string, code: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'descent-readme-'));
  try {
    const file = join(dir, `${name}.mjs`);
    writeFileSync(file, runnable(code));
    const run = spawnSync(process.execPath, [file], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, DESCENT_BACKEND: process.env.DESCENT_BACKEND ?? 'wasm' },
    });
    assert.equal(run.status, 0, `${name} failed:\n${run.stderr}\n${run.stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const scripts = blocks.filter((b) => b.lang === 'ts' || b.lang === 'html');

test('the README has its examples (a new block is picked up here by itself)', () => {
  assert.ok(scripts.length >= 4, `found ${scripts.length} code examples`);
  assert.ok(blocks.some((b) => b.lang === 'sh'));
});

for (const block of scripts) {
  test(`README example at line ${block.line} (${block.lang}) runs`, () => {
    const code =
      block.lang === 'html'
        ? (/<script type="module">([\s\S]*?)<\/script>/.exec(block.code)?.[1] ??
          assert.fail('no module script'))
        : block.code;
    runModule(`readme-${block.line}`, code);
  });
}

test("the README's first command trains and reports the test accuracy", () => {
  const sh = blocks.find((b) => b.lang === 'sh')!;
  assert.match(sh.code, /npx descent train/);
  const run = spawnSync(process.execPath, [join(root, 'bin/descent.js'), 'train', '--epochs', '3'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /test accuracy \d+\.\d\d%/);
});

test('every flag in the command-line synopsis is one that descent lists in --help', () => {
  const synopsis = blocks.find((b) => b.lang === '' && /^descent train/m.test(b.code))!;
  let command = '';
  const flagsOf = new Map<string, Set<string>>();
  for (const line of synopsis.code.split('\n')) {
    const start = /^descent (\w+)(?: (\w+))?/.exec(line);
    if (start) command = start[1];
    for (const [flag] of line.matchAll(/--[a-z][a-z-]*/g)) {
      if (!flagsOf.has(command)) flagsOf.set(command, new Set());
      flagsOf.get(command)!.add(flag);
    }
  }
  assert.ok(flagsOf.get('train')?.has('--schedule-per'));
  for (const [cmd, flags] of flagsOf) {
    const help = spawnSync(process.execPath, [join(root, 'bin/descent.js'), cmd, '--help'], {
      encoding: 'utf8',
    });
    assert.equal(help.status, 0, help.stderr);
    for (const flag of flags) assert.ok(help.stdout.includes(flag), `descent ${cmd} --help lists ${flag}`);
  }
});
