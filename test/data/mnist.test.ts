import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../../src/data/idx.js';
import {
  downloadFile,
  fashionMnist,
  fashionMnistClassNames,
  idxFileNames,
  loadImageSet,
  locateImageSet,
  mnist,
  mnistClassNames,
  type ImageSets,
} from '../../src/data/mnist.js';
import { DataError, FormatError } from '../../src/errors.js';

function withTempDir(body: (dir: string) => void | Promise<void>): Promise<void> | void {
  const dir = mkdtempSync(join(tmpdir(), 'descent-mnist-'));
  let result: void | Promise<void>;
  try {
    result = body(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => rmSync(dir, { recursive: true, force: true }));
  rmSync(dir, { recursive: true, force: true });
}

const gzipped = (bytes: Uint8Array): Uint8Array => new Uint8Array(gzipSync(bytes));

interface Fixture {
  trainCount?: number;
  testCount?: number;
  height?: number;
  width?: number;
  /** Gzip these roles' files (default: train images and test labels, to mix both kinds). */
  gzipped?: string[];
}

/** Pixel value of image n at index i of a generated set: deterministic, covers 0..255. */
const pixel = (n: number, i: number): number => (n * 37 + i * 11) % 256;
const label = (n: number): number => (n * 3) % 10;

/** Writes a small MNIST-format folder and returns it. Images are height×width, non-square by default. */
function makeIdxDir(dir: string, fixture: Fixture = {}): string {
  const { trainCount = 12, testCount = 5, height = 6, width = 4 } = fixture;
  const gzipped = fixture.gzipped ?? ['trainImages', 'testLabels'];
  mkdirSync(dir, { recursive: true });
  const write = (role: keyof typeof idxFileNames, bytes: Uint8Array, dims: number[]) => {
    const gz = gzipped.includes(role);
    writeFileSync(join(dir, idxFileNames[role] + (gz ? '.gz' : '')), encodeIdx(bytes, dims, { gzip: gz }));
  };
  const images = (count: number, offset: number) =>
    Uint8Array.from({ length: count * height * width }, (_, k) =>
      pixel(offset + Math.floor(k / (height * width)), k % (height * width)),
    );
  const labels = (count: number, offset: number) =>
    Uint8Array.from({ length: count }, (_, n) => label(offset + n));
  write('trainImages', images(trainCount, 0), [trainCount, height, width]);
  write('trainLabels', labels(trainCount, 0), [trainCount]);
  write('testImages', images(testCount, 1000), [testCount, height, width]);
  write('testLabels', labels(testCount, 1000), [testCount]);
  return dir;
}

/** Options that make the search see nothing of this machine: no $DESCENT_DATA, empty system and cache places. */
function isolated(root: string) {
  return { env: {}, systemDir: join(root, 'no-system'), cacheDir: join(root, 'no-cache') };
}

function dispose(sets: ImageSets): void {
  sets.train.dispose();
  sets.test.dispose();
}

test('loads a small generated folder: NCHW float32 in [0, 1], int32 labels, metadata', () => {
  withTempDir((root) => {
    const dir = makeIdxDir(join(root, 'data'));
    const sets = fashionMnist({ dir, ...isolated(root) });
    assert.deepEqual(sets.train.x.shape, [12, 1, 6, 4]);
    assert.deepEqual(sets.test.x.shape, [5, 1, 6, 4]);
    assert.equal(sets.train.x.dtype, 'float32');
    assert.equal(sets.train.y.dtype, 'int32');
    assert.deepEqual(sets.train.y.shape, [12]);
    const x = sets.train.x.dataSync();
    for (let n = 0; n < 12; n++) {
      for (let i = 0; i < 24; i++) assert.equal(x[n * 24 + i], Math.fround(pixel(n, i) / 255));
    }
    assert.equal(Math.min(...x), 0);
    assert.equal(Math.max(...x), 1);
    assert.deepEqual(
      Array.from(sets.train.y.dataSync()),
      Array.from({ length: 12 }, (_, n) => label(n)),
    );
    assert.deepEqual(
      Array.from(sets.test.y.dataSync()),
      Array.from({ length: 5 }, (_, n) => label(1000 + n)),
    );
    assert.equal(sets.test.x.dataSync()[0], Math.fround(pixel(1000, 0) / 255));
    assert.equal(sets.numClasses, 10);
    assert.equal(sets.train.numClasses, 10);
    assert.equal(sets.numFeatures, 24);
    assert.equal(sets.task, 'classification');
    assert.equal(sets.name, 'fashion-mnist');
    assert.deepEqual(sets.imageShape, [1, 6, 4]);
    assert.deepEqual(sets.classNames, fashionMnistClassNames);
    assert.equal(sets.dir, dir);
    assert.equal(sets.files.trainImages, join(dir, 'train-images-idx3-ubyte.gz'));
    assert.equal(sets.files.trainLabels, join(dir, 'train-labels-idx1-ubyte'));
    assert.equal(sets.channelStandardizer, undefined);
    dispose(sets);

    const digits = mnist({ dir, ...isolated(root) });
    assert.deepEqual(digits.classNames, mnistClassNames);
    assert.equal(digits.name, 'mnist');
    dispose(digits);
  });
});

test('trainLimit / testLimit keep the first samples; standardize uses the training statistics', () => {
  withTempDir((root) => {
    const dir = makeIdxDir(join(root, 'data'), { gzipped: [] });
    const small = fashionMnist({ dir, trainLimit: 3, testLimit: 100, ...isolated(root) });
    assert.deepEqual(small.train.x.shape, [3, 1, 6, 4]);
    assert.deepEqual(small.test.x.shape, [5, 1, 6, 4]);
    assert.deepEqual(Array.from(small.train.y.dataSync()), [0, 3, 6]);
    dispose(small);
    assert.throws(
      () => fashionMnist({ dir, trainLimit: 0, ...isolated(root) }),
      /trainLimit must be a positive integer/,
    );

    const sets = fashionMnist({ dir, standardize: true, ...isolated(root) });
    const stats = sets.channelStandardizer!;
    assert.equal(stats.mean.length, 1);
    const train = Array.from(sets.train.x.dataSync());
    const mean = train.reduce((s, v) => s + v, 0) / train.length;
    const std = Math.sqrt(train.reduce((s, v) => s + (v - mean) ** 2, 0) / train.length);
    assert.ok(Math.abs(mean) < 1e-6, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 1e-5, `std ${std}`);
    // The test images use the training mean and std, not their own.
    const raw = pixel(1000, 0) / 255;
    assert.ok(Math.abs(sets.test.x.dataSync()[0] - (raw - stats.mean[0]) / stats.std[0]) < 1e-5);
    dispose(sets);
  });
});

test('search order: dir argument, $DESCENT_DATA (subfolder, then itself), system folder, user cache', () => {
  withTempDir((root) => {
    const a = makeIdxDir(join(root, 'a'));
    const envRoot = join(root, 'env');
    const envSub = makeIdxDir(join(envRoot, 'fashion-mnist'));
    const system = makeIdxDir(join(root, 'system'));
    const cache = makeIdxDir(join(root, 'cache'));
    const places = { systemDir: system, cacheDir: cache };

    // 1. An explicit dir wins over everything, as DIR/<name> or DIR itself.
    assert.equal(
      locateImageSet('fashion-mnist', { dir: a, env: { DESCENT_DATA: envRoot }, ...places }).found?.dir,
      a,
    );
    assert.equal(locateImageSet('fashion-mnist', { dir: envRoot, ...places }).found?.dir, envSub);
    // 2. $DESCENT_DATA/<name>, then $DESCENT_DATA itself.
    assert.equal(
      locateImageSet('fashion-mnist', { env: { DESCENT_DATA: envRoot }, ...places }).found?.dir,
      envSub,
    );
    assert.equal(locateImageSet('fashion-mnist', { env: { DESCENT_DATA: a }, ...places }).found?.dir, a);
    // 3. The system folder, 4. the cache.
    assert.equal(locateImageSet('fashion-mnist', { env: {}, ...places }).found?.dir, system);
    const cacheOnly = locateImageSet('fashion-mnist', {
      env: {},
      systemDir: join(root, 'nothing'),
      cacheDir: cache,
    });
    assert.equal(cacheOnly.found?.dir, cache);
    assert.deepEqual(
      cacheOnly.searched.map((p) => p.problem),
      ['not set', 'does not exist', undefined],
    );
    // The cache defaults to $XDG_CACHE_HOME/descent/<name>.
    const xdg = join(root, 'xdg');
    makeIdxDir(join(xdg, 'descent', 'mnist'));
    assert.equal(
      locateImageSet('mnist', { env: { XDG_CACHE_HOME: xdg }, systemDir: join(root, 'nothing') }).found?.dir,
      join(xdg, 'descent', 'mnist'),
    );

    // A $DESCENT_DATA folder named for Fashion-MNIST does not pass for MNIST.
    const notMnist = locateImageSet('mnist', {
      env: { DESCENT_DATA: envSub },
      systemDir: join(root, 'n1'),
      cacheDir: join(root, 'n2'),
    });
    assert.equal(notMnist.found, undefined);
    assert.ok(
      notMnist.searched.some((p) => p.dir === envSub && /named for fashion-mnist/.test(p.problem ?? '')),
    );

    // An incomplete folder is skipped, with what it lacks.
    const partial = makeIdxDir(join(root, 'partial'));
    rmSync(join(partial, 't10k-labels-idx1-ubyte.gz'));
    const result = locateImageSet('fashion-mnist', { env: { DESCENT_DATA: partial }, ...places });
    assert.equal(result.found?.dir, system);
    assert.ok(
      result.searched.some((p) => p.dir === partial && p.problem === 'missing t10k-labels-idx1-ubyte(.gz)'),
    );

    // Loading through the environment works end to end.
    const sets = fashionMnist({
      env: { DESCENT_DATA: envRoot },
      systemDir: join(root, 'n1'),
      cacheDir: join(root, 'n2'),
    });
    assert.equal(sets.dir, envSub);
    dispose(sets);
  });
});

test('nothing found: the error lists every place looked in and how to get the data', () => {
  withTempDir((root) => {
    const envDir = join(root, 'env-data');
    mkdirSync(envDir);
    const systemDir = join(root, 'usr-share');
    const cacheDir = join(root, 'cache');
    assert.throws(
      () => fashionMnist({ env: { DESCENT_DATA: envDir }, systemDir, cacheDir }),
      (e: Error) => {
        assert.ok(e instanceof DataError, e.name);
        for (const place of [join(envDir, 'fashion-mnist'), envDir, systemDir, cacheDir]) {
          assert.ok(e.message.includes(`  - ${place} (`), `${place} in ${e.message}`);
        }
        assert.match(e.message, /has none of the files/);
        assert.match(e.message, /Debian package dataset-fashion-mnist/);
        assert.match(e.message, /sudo apt-get install dataset-fashion-mnist/);
        assert.match(e.message, /--data-dir DIR/);
        assert.match(e.message, /DESCENT_DATA=DIR/);
        assert.match(e.message, /download: true/);
        assert.match(
          e.message,
          /train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte/,
        );
        return true;
      },
    );
    // MNIST has no Debian package: no apt-get advice.
    assert.throws(
      () => mnist({ env: {}, systemDir, cacheDir }),
      (e: Error) =>
        e instanceof DataError &&
        /\$DESCENT_DATA \(\$DESCENT_DATA\): not set/.test(e.message) &&
        !/apt-get/.test(e.message),
    );
    // An explicit dir is final: the other places are not searched even when they hold the data.
    const elsewhere = makeIdxDir(join(root, 'elsewhere'));
    const missing = join(root, 'typo');
    assert.throws(
      () => fashionMnist({ dir: missing, env: { DESCENT_DATA: elsewhere } }),
      (e: Error) =>
        e instanceof DataError &&
        e.message.includes('in the given folder') &&
        e.message.includes(`  - ${missing} (dir argument / --data-dir): does not exist`) &&
        !e.message.includes(elsewhere),
    );
    assert.throws(
      () => loadImageSet('cifar' as 'mnist', { dir: elsewhere }),
      /Unknown image data set 'cifar'. Valid image data sets: fashion-mnist, mnist/,
    );
  });
});

test('inconsistent files are rejected with the file names and what was expected', () => {
  withTempDir((root) => {
    const opts = isolated(root);
    // One label too few.
    const dir1 = makeIdxDir(join(root, 'd1'), { gzipped: [] });
    writeFileSync(join(dir1, 'train-labels-idx1-ubyte'), encodeIdx(new Uint8Array(11), [11]));
    assert.throws(
      () => fashionMnist({ dir: dir1, ...opts }),
      (e: Error) =>
        e instanceof FormatError &&
        e.message.startsWith(join(dir1, 'train-labels-idx1-ubyte') + ': holds 11 labels, but ') &&
        e.message.includes(`${join(dir1, 'train-images-idx3-ubyte')} holds 12 images`),
    );
    // A label out of range.
    const dir2 = makeIdxDir(join(root, 'd2'), { gzipped: [] });
    writeFileSync(join(dir2, 't10k-labels-idx1-ubyte'), encodeIdx(Uint8Array.from([1, 2, 3, 10, 4]), [5]));
    assert.throws(
      () => fashionMnist({ dir: dir2, ...opts }),
      (e: Error) =>
        e instanceof DataError &&
        e.message ===
          `${join(dir2, 't10k-labels-idx1-ubyte')}: label 3 (byte 11) is 10; expected a class 0..9.`,
    );
    // Images of the wrong element type or rank.
    const dir3 = makeIdxDir(join(root, 'd3'), { gzipped: [] });
    writeFileSync(join(dir3, 'train-images-idx3-ubyte'), encodeIdx(new Int16Array(12 * 24), [12, 6, 4]));
    assert.throws(
      () => fashionMnist({ dir: dir3, ...opts }),
      (e: Error) =>
        e instanceof FormatError &&
        e.message.startsWith(join(dir3, 'train-images-idx3-ubyte')) &&
        /got int16 elements of dims 12×6×4/.test(e.message),
    );
    writeFileSync(join(dir3, 'train-images-idx3-ubyte'), encodeIdx(new Uint8Array(12 * 24), [12, 24]));
    assert.throws(
      () => fashionMnist({ dir: dir3, ...opts }),
      /expected unsigned-byte images of dims count×height×width/,
    );
    // Test images of another size than the training images.
    const dir4 = makeIdxDir(join(root, 'd4'), { gzipped: [] });
    writeFileSync(join(dir4, 't10k-images-idx3-ubyte'), encodeIdx(new Uint8Array(5 * 24), [5, 4, 6]));
    assert.throws(
      () => fashionMnist({ dir: dir4, ...opts }),
      (e: Error) =>
        e instanceof FormatError &&
        /images of 4×6 pixels, but the training images .* are 6×4/.test(e.message),
    );
    // A truncated, gzipped image file: the IDX reader's message, with the path.
    const dir5 = makeIdxDir(join(root, 'd5'));
    const path = join(dir5, 'train-images-idx3-ubyte.gz');
    const full = encodeIdx(new Uint8Array(12 * 24), [12, 6, 4]);
    writeFileSync(path, gzipped(full.subarray(0, 200)));
    assert.throws(
      () => fashionMnist({ dir: dir5, ...opts }),
      (e: Error) =>
        e instanceof FormatError &&
        e.message.startsWith(`${path}: truncated at byte 200 of the decompressed data`) &&
        e.message.includes('304 bytes are expected'),
    );
    // A wrong magic number.
    writeFileSync(path, gzipped(Uint8Array.from([0x08, 0x03, 0, 0, 0, 0, 0, 0])));
    assert.throws(
      () => fashionMnist({ dir: dir5, ...opts }),
      (e: Error) =>
        e instanceof FormatError && e.message.startsWith(`${path}: bad magic number 0x08030000 at byte 0`),
    );
  });
});

/** A fetch stand-in serving fixed bodies by URL; anything else is a 404. */
function fakeFetch(bodies: Record<string, Uint8Array>, calls: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    const body = bodies[url];
    return body
      ? new Response(body.slice(), { status: 200 })
      : new Response('no', { status: 404, statusText: 'Not Found' });
  }) as typeof fetch;
}

test('downloadFile: takes the first mirror with the right SHA-256, writes atomically, reports every failure', async () => {
  await withTempDir(async (dir) => {
    const good = Uint8Array.from([1, 2, 3, 4]);
    const sha = createHash('sha256').update(good).digest('hex');
    const calls: string[] = [];
    const fetchImpl = fakeFetch({ 'https://a/f.gz': Uint8Array.from([9, 9]), 'https://b/f.gz': good }, calls);
    await downloadFile(['https://a/f.gz', 'https://b/f.gz', 'https://c/f.gz'], sha, join(dir, 'f.gz'), {
      fetch: fetchImpl,
    });
    assert.deepEqual(calls, ['https://a/f.gz', 'https://b/f.gz']);
    assert.deepEqual(Array.from(readFileSync(join(dir, 'f.gz'))), [1, 2, 3, 4]);
    assert.deepEqual(readdirSync(dir), ['f.gz']);

    await assert.rejects(
      downloadFile(['https://a/f.gz', 'https://x/f.gz'], sha, join(dir, 'g.gz'), {
        fetch: fakeFetch({ 'https://a/f.gz': Uint8Array.from([9, 9]) }),
      }),
      (e: Error) =>
        e instanceof DataError &&
        e.message.startsWith('Cannot download g.gz; tried:') &&
        e.message.includes(
          `https://a/f.gz: SHA-256 ${createHash('sha256')
            .update(Uint8Array.from([9, 9]))
            .digest('hex')} of 2 bytes, expected ${sha}`,
        ) &&
        e.message.includes('https://x/f.gz: HTTP 404 Not Found'),
    );
    const offline = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await assert.rejects(
      downloadFile(['https://a/f.gz'], sha, join(dir, 'h.gz'), { fetch: offline }),
      /https:\/\/a\/f\.gz: fetch failed/,
    );
    assert.deepEqual(readdirSync(dir), ['f.gz']);
  });
});

test('download: true returns a Promise; it fetches only what is missing, from the canonical location, checked', async () => {
  await withTempDir(async (root) => {
    // Already present: nothing is fetched.
    const dir = makeIdxDir(join(root, 'present'));
    const calls: string[] = [];
    const pending = fashionMnist({ dir, download: true, fetch: fakeFetch({}, calls), ...isolated(root) });
    assert.ok(pending instanceof Promise);
    const sets = await pending;
    assert.deepEqual(sets.train.x.shape, [12, 1, 6, 4]);
    assert.deepEqual(calls, []);
    dispose(sets);

    // Missing: fetched into the cache from the canonical URL; a wrong checksum is refused.
    const cacheDir = join(root, 'cache');
    const fetchCalls: string[] = [];
    const fake = fakeFetch(
      {
        'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz':
          Uint8Array.from([1]),
      },
      fetchCalls,
    );
    await assert.rejects(
      fashionMnist({ download: true, fetch: fake, env: {}, systemDir: join(root, 'none'), cacheDir }),
      (e: Error) =>
        e instanceof DataError &&
        /Cannot download train-images-idx3-ubyte\.gz/.test(e.message) &&
        /expected 08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc/.test(e.message),
    );
    assert.equal(
      fetchCalls[0],
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz',
    );
    assert.ok(existsSync(cacheDir));
    assert.deepEqual(readdirSync(cacheDir), []);
    const mnistCalls: string[] = [];
    await assert.rejects(
      mnist({
        download: true,
        fetch: fakeFetch({}, mnistCalls),
        env: {},
        systemDir: join(root, 'none'),
        cacheDir: join(root, 'c2'),
      }),
      DataError,
    );
    assert.equal(mnistCalls[0], 'http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz');
  });
});

/** The repository root: the first folder above this file with a package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

// The real files where a developer's machine has them: the shared data folder, or Debian's
// dataset-fashion-mnist package. A user's clone has neither, and the test says so.
const realDirs = [
  join(repoRoot(), '..', 'shared', 'datasets', 'fashion-mnist'),
  '/usr/share/datasets/fashion-mnist',
];
const realDir = realDirs.find((d) => existsSync(join(d, 'train-images-idx3-ubyte.gz'))) ?? realDirs[0];
const haveRealData = existsSync(join(realDir, 'train-images-idx3-ubyte.gz'));

test(
  'the real Fashion-MNIST: 60000/10000 images of 1×28×28, 6000/1000 per class',
  { skip: haveRealData ? false : `no Fashion-MNIST files in ${realDirs.join(' or ')}` },
  () => {
    const sets = fashionMnist({ dir: realDir });
    assert.deepEqual(sets.train.x.shape, [60000, 1, 28, 28]);
    assert.deepEqual(sets.test.x.shape, [10000, 1, 28, 28]);
    assert.deepEqual(sets.imageShape, [1, 28, 28]);
    const histogram = (labels: ArrayLike<number>) => {
      const counts = new Array<number>(10).fill(0);
      for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
      return counts;
    };
    assert.deepEqual(histogram(sets.train.y.dataSync()), new Array(10).fill(6000));
    assert.deepEqual(histogram(sets.test.y.dataSync()), new Array(10).fill(1000));
    const x = sets.train.x.dataSync();
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < x.length; i++) {
      sum += x[i];
      if (x[i] < min) min = x[i];
      if (x[i] > max) max = x[i];
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
    // The published training-set mean pixel intensity is 0.2860.
    assert.ok(Math.abs(sum / x.length - 0.286) < 0.001, `mean ${sum / x.length}`);
    dispose(sets);
  },
);
