// Names are literal unions: a misspelled optimiser, loss, metric, activation, initialiser or
// schedule is a compile error. This runs the TypeScript compiler (with the project's options)
// on a file of typos and on the same file spelled right, and expects exactly one error per
// typo, on its line, naming it — and none in the correct file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// dist/test/types/names.test.js → the repository root.
const root = fileURLToPath(new URL('../../../', import.meta.url));

const header = `import { nn, optim } from '${join(root, 'src/index.js')}';\nconst net = nn.sequential([nn.dense({ units: 2, inputDim: 2 })]);\n`;

/** [typo, correct spelling, the line using it]. */
const cases: Array<[string, string, (name: string) => string]> = [
  ['adma', 'adam', (n) => `net.compile({ optimizer: '${n}', loss: 'mse' });`],
  ['crossEntorpy', 'crossEntropy', (n) => `net.compile({ optimizer: 'sgd', loss: '${n}' });`],
  ['accuarcy', 'accuracy', (n) => `net.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['${n}'] });`],
  ['rleu', 'relu', (n) => `nn.dense({ units: 2, activation: '${n}' });`],
  ['heNromal', 'heNormal', (n) => `nn.dense({ units: 2, kernelInitializer: '${n}' });`],
  ['stpe:10:0.5', 'step:10:0.5', (n) => `optim.parseSchedule('${n}', 0.1);`],
  ['cosine:many', 'cosine:1000', (n) => `optim.parseSchedule('${n}', 0.1);`],
  ['lbgfs', 'lbfgs', (n) => `optim.getOptimizer('${n}');`],
];

test('misspelled names do not compile; the correct spellings do', () => {
  const dir = mkdtempSync(join(tmpdir(), 'descent-types-'));
  try {
    const bad = join(dir, 'misspelled.ts');
    const good = join(dir, 'spelled-right.ts');
    const firstLine = header.split('\n').length - 1;
    writeFileSync(bad, header + cases.map(([typo, , line]) => line(typo)).join('\n') + '\nexport {};\n');
    writeFileSync(good, header + cases.map(([, right, line]) => line(right)).join('\n') + '\nexport {};\n');
    const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const program = ts.createProgram([bad, good], { ...options, noEmit: true, rootDir: undefined });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === bad || d.file?.fileName === good);
    const inGood = diagnostics.filter((d) => d.file!.fileName === good);
    assert.deepEqual(
      inGood.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
      [],
      'the correctly spelled file compiles',
    );
    const byLine = new Map<number, string[]>();
    for (const d of diagnostics) {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start!);
      byLine.set(line, [...(byLine.get(line) ?? []), ts.flattenDiagnosticMessageText(d.messageText, '\n')]);
    }
    cases.forEach(([typo], i) => {
      const messages = byLine.get(firstLine + i) ?? [];
      assert.equal(messages.length, 1, `one error for '${typo}', got ${JSON.stringify(messages)}`);
      assert.ok(messages[0].includes(`'${typo}'`) || messages[0].includes(`"${typo}"`), messages[0]);
    });
    assert.equal(diagnostics.length, cases.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
