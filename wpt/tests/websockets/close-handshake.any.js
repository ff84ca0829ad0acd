// META: script=constants.sub.js
async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/remote-close?code=4001&reason=server%20says%20bye");
  ws.onclose = t.step_func_done(e => {
    assert_equals(e.code, 4001);
    assert_equals(e.reason, "server says bye");
    assert_true(e.wasClean);
    assert_equals(ws.readyState, 3);
  });
}, "a close the server starts is answered and reported");
async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/remote-close");
  ws.onclose = t.step_func_done(e => assert_equals(e.code, 1005));
}, "a server Close without a code is reported as 1005");
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.onopen = t.step_func(() => ws.send("Goodbye"));
  ws.onclose = t.step_func_done(e => {
    assert_equals(e.code, 1000);
    assert_true(e.wasClean);
  });
}, "the echo handler closes with 1000 after Goodbye");
async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/remote-close?abrupt=1");
  ws.onclose = t.step_func_done(e => {
    assert_equals(e.code, 1006);
    assert_false(e.wasClean);
  });
}, "a connection that vanishes is a 1006 close");
async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/echo-query?hello=1");
  ws.onmessage = t.step_func_done(e => {
    assert_equals(e.data, "hello=1");
    ws.close();
  });
}, "the query string reaches the server");
