// kiln's own helper for its WPT-form WebSocket tests: where the test server
// is (substituted by the runner) and how to open a socket to a handler.
const __SERVER__NAME = "{{host}}";
const __PORT = {{ports[ws][0]}};
const SCHEME_DOMAIN_PORT = "ws://" + __SERVER__NAME + ":" + __PORT;
const __PATH = "echo";

function CreateWebSocket(isProtocol, isProtocols) {
  const url = SCHEME_DOMAIN_PORT + "/" + __PATH;
  if (isProtocol) return new WebSocket(url, "echo");
  if (isProtocols) return new WebSocket(url, ["echo", "chat"]);
  return new WebSocket(url);
}
