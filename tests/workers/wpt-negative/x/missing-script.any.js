// META: script=/no/such/helper.js
// The runner reports this file as an ERROR and goes on with the others.
test(() => {}, "never runs");
