// The worker every server of the benchmarks runs: WebSocket upgrades are
// echoed, any other request gets a hello-world response.
export default {
  fetch(request) {
    if (request.headers.get("Upgrade") !== "websocket") {
      return new Response("Hello, world!");
    }
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    // Binary messages go back as bytes, not as "[object Blob]".
    server.binaryType = "arraybuffer";
    server.addEventListener("message", (event) => server.send(event.data));
    return new Response(null, { status: 101, webSocket: client });
  },
};
