/**
 * node:test in the browser bundle: the shared case files import it (runConformance registers
 * node:test tests) but the page runs their cases directly, so these are never meant to be called.
 */
function unavailable(name: string): never {
  throw new Error(`node:test ${name}() is not available in the browser bundle; run the cases directly.`);
}

export const describe = () => unavailable('describe');
export const test = () => unavailable('test');
export const it = test;
export const before = () => unavailable('before');
export const after = () => unavailable('after');
export default test;
