// META: script=constants.sub.js
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.onopen = t.step_func(() => ws.close());
  ws.onclose = t.step_func_done(e => {
    assert_equals(e.code, 1005, "no code was sent");
    assert_equals(e.reason, "");
  });
}, "close() without arguments ends with code 1005 and no reason");
