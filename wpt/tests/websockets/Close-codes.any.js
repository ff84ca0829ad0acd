// META: script=constants.sub.js
// With pedantic_wpt (the runner turns it on), only 1000 and 3000-4999 are
// allowed; every other code is an InvalidAccessError, before any state check.
for (const code of [999, 1001, 1004, 1005, 1006, 1015, 2999, 5000]) {
  test(() => {
    const ws = CreateWebSocket(false, false);
    assert_throws_dom("InvalidAccessError", () => ws.close(code, "reason"));
    ws.close();
  }, `close(${code}) throws InvalidAccessError`);
}
test(() => {
  const ws = CreateWebSocket(false, false);
  assert_throws_dom("InvalidAccessError", () => ws.close("reason"));
  ws.close();
}, "close('reason') (a string as the code) throws InvalidAccessError");
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.onopen = t.step_func(() => ws.close(3000, "three thousand"));
  ws.onclose = t.step_func_done(e => {
    assert_equals(e.code, 3000);
    assert_equals(e.reason, "three thousand");
  });
}, "close(3000, reason) is accepted and echoed");
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.onopen = t.step_func(() => ws.close(4999, "upper bound"));
  ws.onclose = t.step_func_done(e => assert_equals(e.code, 4999));
}, "close(4999, reason) is accepted");
