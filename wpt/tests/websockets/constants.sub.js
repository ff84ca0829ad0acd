// kiln's own helper for its WPT-form WebSocket tests: where the test server
// is (substituted by the runner) and how to open a socket to a handler. As
// WPT's own constants.sub.js, the `?wss` variant (or an https page) uses the
// runner's wss: port.
const __SERVER__NAME = "{{host}}";
const __SECURE = location.search.includes("wss") || location.protocol === "https:";
const __PORT = __SECURE ? {{ports[wss][0]}} : {{ports[ws][0]}};
const __SCHEME = __SECURE ? "wss" : "ws";
const SCHEME_DOMAIN_PORT = __SCHEME + "://" + __SERVER__NAME + ":" + __PORT;
const __PATH = "echo";

function CreateWebSocket(isProtocol, isProtocols) {
  const url = SCHEME_DOMAIN_PORT + "/" + __PATH;
  if (isProtocol) return new WebSocket(url, "echo");
  if (isProtocols) return new WebSocket(url, ["echo", "chat"]);
  return new WebSocket(url);
}
