// META: script=constants.sub.js
test(() => {
  const ws = CreateWebSocket(false, false);
  assert_throws_dom("SyntaxError", () => ws.close(1000, "x".repeat(124)));
  ws.close();
}, "a 124-byte reason throws SyntaxError");
test(() => {
  const ws = CreateWebSocket(false, false);
  assert_throws_dom("SyntaxError", () => ws.close(1000, "\u00e9".repeat(62)));
  ws.close();
}, "the limit counts UTF-8 bytes (62 x U+00E9 = 124 bytes)");
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.onopen = t.step_func(() => ws.close(1000, "y".repeat(123)));
  ws.onclose = t.step_func_done(e => assert_equals(e.reason, "y".repeat(123)));
}, "a 123-byte reason is accepted");
