// node:assert: the npm package `assert` (Node's assert as browserify ships
// it); the default export is the assert function with its methods.
import assert from "kiln:node-vendor/assert";

// Workers' equal, notEqual, deepEqual and notDeepEqual compare strictly
// (1 and "1" are not equal), where Node's legacy mode uses ==; a worker
// gets what it gets in production.
assert.equal = assert.strict.strictEqual;
assert.notEqual = assert.strict.notStrictEqual;
assert.deepEqual = assert.strict.deepStrictEqual;
assert.notDeepEqual = assert.strict.notDeepStrictEqual;

export const {
  AssertionError,
  deepEqual,
  deepStrictEqual,
  doesNotMatch,
  doesNotReject,
  doesNotThrow,
  equal,
  fail,
  ifError,
  match,
  notDeepEqual,
  notDeepStrictEqual,
  notEqual,
  notStrictEqual,
  ok,
  rejects,
  strict,
  strictEqual,
  throws,
} = assert;

export default assert;
