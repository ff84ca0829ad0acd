// META: script=constants.sub.js
// META: variant=?default
// META: variant=?wss
// The runner's handlers behave as WPT's pywebsocket ones: each closes with
// 1000 once its work is done.

function closesCleanly(t, ws, seen) {
  ws.onclose = t.step_func_done(e => {
    assert_true(e.wasClean, "wasClean");
    assert_equals(e.code, 1000);
    assert_array_equals(seen, seen.expected);
  });
}

async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/protocol_array", ["chat", "echo"]);
  const seen = [];
  seen.expected = ["chat"];
  ws.onmessage = t.step_func(e => seen.push(e.data));
  closesCleanly(t, ws, seen);
}, "protocol_array sends the first protocol, then closes");

async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/echo-query?a=1&b");
  const seen = [];
  seen.expected = ["a=1&b"];
  ws.onmessage = t.step_func(e => seen.push(e.data));
  closesCleanly(t, ws, seen);
}, "echo-query sends the query, then closes");

async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/referrer");
  const seen = [];
  seen.expected = ["MISSING AS PER FETCH"];
  ws.onmessage = t.step_func(e => seen.push(e.data));
  closesCleanly(t, ws, seen);
}, "referrer says there was none");

async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/handshake_no_extensions");
  const seen = [];
  seen.expected = [];
  ws.onopen = t.step_func(() => assert_equals(ws.extensions, null));
  closesCleanly(t, ws, seen);
}, "handshake_no_extensions agrees to nothing, then closes");

async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/receive-many-with-backpressure");
  const seen = [];
  seen.expected = ["1", "2", "3"];
  ws.onopen = t.step_func(() => ["a", "bb", "ccc"].forEach(m => ws.send(m)));
  ws.onmessage = t.step_func(e => {
    seen.push(e.data);
    if (seen.length === 3) ws.close(1000);
  });
  closesCleanly(t, ws, seen);
}, "receive-many-with-backpressure answers each message with its length");

async_test(t => {
  const ws = new WebSocket(SCHEME_DOMAIN_PORT + "/remote-close?code=4000&reason=bye");
  ws.onclose = t.step_func_done(e => {
    assert_true(e.wasClean);
    assert_equals(e.code, 4000);
    assert_equals(e.reason, "bye");
  });
}, "remote-close closes with the code and reason asked for");
