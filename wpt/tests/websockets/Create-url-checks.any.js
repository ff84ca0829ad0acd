// META: script=constants.sub.js
test(() => {
  assert_throws_dom("SyntaxError", () => new WebSocket("/relative/path"));
}, "a relative URL throws SyntaxError");
test(() => {
  assert_throws_dom("SyntaxError", () => new WebSocket(SCHEME_DOMAIN_PORT + "/echo#fragment"));
}, "a URL with a fragment throws SyntaxError");
test(() => {
  assert_throws_dom("SyntaxError", () => new WebSocket("mailto:nobody@example.com"));
}, "a non-WebSocket scheme throws SyntaxError");
test(() => {
  assert_throws_dom("SyntaxError", () => new WebSocket(SCHEME_DOMAIN_PORT + "/echo", ["echo", "echo"]));
}, "repeated protocols throw SyntaxError");
test(() => {
  assert_throws_dom("SyntaxError", () => new WebSocket(SCHEME_DOMAIN_PORT + "/echo", "has space"));
}, "a protocol that is not a token throws SyntaxError");
test(() => {
  const ws = CreateWebSocket(false, false);
  assert_equals(ws.readyState, WebSocket.CONNECTING);
  assert_equals(ws.url, SCHEME_DOMAIN_PORT + "/echo");
  ws.close();
}, "a new socket is CONNECTING and keeps its URL");
