// META: script=constants.sub.js
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.onopen = t.step_func(() => ws.close(1000, "Clean Close"));
  ws.onclose = t.step_func_done(e => {
    assert_equals(e.code, 1000);
    assert_equals(e.reason, "Clean Close");
    assert_true(e.wasClean);
  });
}, "the server's reply carries the code and reason back");
