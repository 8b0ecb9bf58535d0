/**
 * descent's version, recorded in every model.json, checkpoint and safetensors header. A
 * constant rather than a read of package.json, so that it is the same in Node and in a
 * browser bundle (where there is no file to read); test/io/model-io.test.ts checks that it
 * equals package.json's version.
 */
export const DESCENT_VERSION = '0.1.0';
