// META: script=constants.sub.js
// META: variant=?default
async_test(t => {
  const ws = CreateWebSocket(false, false);
  let opened = false;
  ws.onopen = t.step_func(() => {
    opened = true;
    ws.close(1000);
  });
  ws.onclose = t.step_func_done(e => {
    assert_true(opened, "open came first");
    assert_equals(ws.readyState, 3, "readyState");
    assert_true(e.wasClean, "wasClean");
    assert_equals(e.code, 1000, "code");
  });
}, "close(1000) after open: a clean close with code 1000");
