/**
 * The part of node:assert/strict the shared test cases use, for the browser bundle (the
 * harness aliases 'node:assert/strict' to this file). Same semantics: strict equality,
 * deep equality with Object.is on leaves, AssertionError with a message.
 */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

function show(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    return String(v);
  }
}

function fail(message?: string | Error): never {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? 'Failed');
}

function ok(value: unknown, message?: string): void {
  if (!value) fail(message ?? `Expected a truthy value, got ${show(value)}`);
}

function equal(actual: unknown, expected: unknown, message?: string): void {
  if (!Object.is(actual, expected))
    fail(`${message ? `${message}: ` : ''}${show(actual)} !== ${show(expected)}`);
}

function deepEq(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function deepEqual(actual: unknown, expected: unknown, message?: string): void {
  if (!deepEq(actual, expected)) {
    fail(
      `${message ? `${message}: ` : ''}expected deep equality\n  got  ${show(actual)}\n  want ${show(expected)}`,
    );
  }
}

function matches(
  error: unknown,
  expected?: RegExp | ((e: unknown) => boolean) | (new (...a: never[]) => unknown),
) {
  if (expected === undefined) return true;
  if (expected instanceof RegExp) return expected.test(String((error as Error)?.message ?? error));
  if (
    typeof expected === 'function' &&
    expected.prototype !== undefined &&
    error instanceof (expected as never)
  )
    return true;
  return (expected as (e: unknown) => boolean)(error) === true;
}

function throws(fn: () => unknown, expected?: RegExp | ((e: unknown) => boolean), message?: string): void {
  try {
    fn();
  } catch (error) {
    if (!matches(error, expected)) fail(`${message ?? 'throws'}: unexpected error ${String(error)}`);
    return;
  }
  fail(message ?? 'Missing expected exception.');
}

async function rejects(
  p: Promise<unknown> | (() => Promise<unknown>),
  expected?: RegExp | ((e: unknown) => boolean),
  message?: string,
): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    if (!matches(error, expected)) fail(`${message ?? 'rejects'}: unexpected error ${String(error)}`);
    return;
  }
  fail(message ?? 'Missing expected rejection.');
}

const assert = Object.assign((value: unknown, message?: string) => ok(value, message), {
  ok,
  equal,
  strictEqual: equal,
  deepEqual,
  deepStrictEqual: deepEqual,
  fail,
  throws,
  rejects,
  AssertionError,
});

export default assert;
export { ok, equal, deepEqual, fail, throws, rejects };
