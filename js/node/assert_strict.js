// node:assert/strict: node:assert's strict mode. Workers' node:assert
// compares strictly already (js/node/assert.js), so the two export the
// same functions; the default is `assert.strict`.
import assert from "node:assert";

export * from "node:assert";
export default assert.strict;
