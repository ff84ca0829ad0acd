// The echo worker every server in the WebSocket benchmark runs.
export default {
  fetch(request) {
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    // Binary messages go back as bytes, not as "[object Blob]".
    server.binaryType = "arraybuffer";
    server.addEventListener("message", (event) => server.send(event.data));
    return new Response(null, { status: 101, webSocket: client });
  },
};
