// META: script=constants.sub.js
async_test(t => {
  const ws = CreateWebSocket(false, false);
  const seen = [];
  ws.addEventListener("open", () => seen.push("open"), true);
  ws.addEventListener("message", e => {
    seen.push("message " + e.data);
    ws.close();
  }, true);
  ws.addEventListener("close", t.step_func_done(e => {
    seen.push("close");
    assert_array_equals(seen, ["open", "message hi", "close"]);
    assert_true(e instanceof CloseEvent);
  }), true);
  ws.onopen = () => ws.send("hi");
}, "open, message and close arrive in order");
test(() => {
  const e = new CloseEvent("close", { code: 4000, reason: "r", wasClean: true });
  assert_equals(e.code, 4000);
  assert_equals(e.reason, "r");
  assert_true(e.wasClean);
  const d = new CloseEvent("close");
  assert_equals(d.code, 0);
  assert_equals(d.reason, "");
  assert_false(d.wasClean);
}, "CloseEvent can be constructed");
