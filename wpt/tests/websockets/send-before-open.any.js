// META: script=constants.sub.js
test(() => {
  const ws = CreateWebSocket(false, false);
  assert_throws_js(TypeError, () => ws.send("too early"));
  ws.close();
}, "send() while CONNECTING throws (workerd: TypeError; WHATWG: InvalidStateError)");
async_test(t => {
  const ws = new WebSocket("ws://127.0.0.1:1/echo");
  let errored = false;
  ws.onerror = t.step_func(() => { errored = true; });
  ws.onclose = t.step_func_done(e => {
    assert_true(errored, "error came first");
    assert_equals(e.code, 1006);
    assert_false(e.wasClean);
  });
}, "a connection that cannot be made is an error, then a 1006 close");
