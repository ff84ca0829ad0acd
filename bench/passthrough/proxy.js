// A WebSocket pass-through for bench/passthrough.py: the client's upgrade is
// sent on to env.BACKEND with the client's extension offer, and the backend's
// socket is returned unaccepted, so kiln couples the two connections.
export default {
  async fetch(request, env) {
    const headers = { Upgrade: "websocket" };
    const offer = request.headers.get("Sec-WebSocket-Extensions");
    if (offer) headers["Sec-WebSocket-Extensions"] = offer;
    const response = await fetch(env.BACKEND, { headers });
    if (!response.webSocket) return new Response("no backend", { status: 502 });
    const agreed = response.headers.get("Sec-WebSocket-Extensions");
    return new Response(null, {
      status: 101,
      webSocket: response.webSocket,
      headers: agreed ? { "Sec-WebSocket-Extensions": agreed } : {},
    });
  },
};
