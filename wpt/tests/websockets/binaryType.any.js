// META: script=constants.sub.js
test(() => {
  const ws = CreateWebSocket(false, false);
  assert_equals(ws.binaryType, "blob");
  ws.binaryType = "arraybuffer";
  assert_equals(ws.binaryType, "arraybuffer");
  ws.binaryType = "notBlobOrArrayBuffer";
  assert_equals(ws.binaryType, "arraybuffer", "invalid values are ignored");
  ws.close();
}, "binaryType takes blob and arraybuffer and ignores anything else");
