// META: script=constants.sub.js
async_test(t => {
  const ws = CreateWebSocket(true, false);
  ws.onopen = t.step_func_done(() => {
    assert_equals(ws.protocol, "echo");
    ws.close();
  });
}, "the protocol the server selected is reported after open");
async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/protocol_array", ["chat", "superchat"]);
  ws.onmessage = t.step_func_done(e => {
    assert_equals(e.data, "chat");
    assert_equals(ws.protocol, "chat");
    ws.close();
  });
}, "the first of several offered protocols can be selected");
