// A WebSocket proxy that coordinates the close on both sides: the client's
// socket and the backend's are both accepted half-open, messages are relayed
// both ways, and a Close from either side is relayed to the other; the reply
// to that relayed Close then completes the first side's handshake, with the
// code and reason intact.
//
// BACKEND_URL (a var) is where the backend lives; the request's path and
// query are appended. ALLOW_HALF_OPEN = "false" turns the coordination off,
// to compare with the automatic reply.

export default {
  async fetch(request, env) {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade.\n", { status: 426 });
    }
    const url = new URL(request.url);
    const upstream = await fetch(env.BACKEND_URL + url.pathname + url.search, {
      headers: { Upgrade: "websocket" },
    });
    const backend = upstream.webSocket;
    if (backend === null) {
      return new Response(`The backend refused the WebSocket: ${upstream.status}\n`, {
        status: 502,
      });
    }

    const [client, server] = Object.values(new WebSocketPair());
    const allowHalfOpen = env.ALLOW_HALF_OPEN !== "false";
    server.accept({ allowHalfOpen });
    backend.accept({ allowHalfOpen });
    server.binaryType = "arraybuffer";
    backend.binaryType = "arraybuffer";

    relay(server, backend);
    relay(backend, server);
    return new Response(null, { status: 101, webSocket: client });
  },
};

/** Everything `from` receives goes to `to`, the Close included. */
function relay(from, to) {
  from.addEventListener("message", (event) => to.send(event.data));
  from.addEventListener("close", (event) => {
    // Whether this Close starts the handshake or answers one relayed
    // earlier, the other side gets the same code and reason. (A late
    // close() on an already closed socket is ignored.)
    if (event.code === 1005) to.close();
    else if (event.code === 1006) to.close(1011, "The other side disconnected.");
    else to.close(event.code, event.reason);
  });
  from.addEventListener("error", () => to.close(1011, "The other side failed."));
}
