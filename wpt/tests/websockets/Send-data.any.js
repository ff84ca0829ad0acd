// META: variant=?default
// META: variant=?wss
// META: script=constants.sub.js
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.onopen = t.step_func(() => ws.send("Message to send"));
  ws.onmessage = t.step_func(e => {
    assert_equals(e.data, "Message to send");
    ws.close();
  });
  ws.onclose = t.step_func_done(e => assert_true(e.wasClean));
}, "text is echoed as text");
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.binaryType = "arraybuffer";
  ws.onopen = t.step_func(() => ws.send(new Uint8Array([1, 2, 3, 255]).buffer));
  ws.onmessage = t.step_func_done(e => {
    assert_true(e.data instanceof ArrayBuffer);
    assert_array_equals(new Uint8Array(e.data), [1, 2, 3, 255]);
    ws.close();
  });
}, "an ArrayBuffer is echoed as binary");
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.onopen = t.step_func(() => ws.send(new Uint16Array([0x0201])));
  ws.onmessage = t.step_func(e => {
    assert_true(e.data instanceof Blob, "binaryType defaults to blob");
    e.data.arrayBuffer().then(t.step_func_done(b => {
      assert_array_equals(new Uint8Array(b), [1, 2]);
      ws.close();
    }));
  });
}, "a typed array is sent as its bytes and arrives as a Blob");
async_test(t => {
  const ws = CreateWebSocket(false, false);
  ws.onopen = t.step_func(() => ws.send(""));
  ws.onmessage = t.step_func_done(e => {
    assert_equals(e.data, "");
    ws.close();
  });
}, "an empty message is echoed");
