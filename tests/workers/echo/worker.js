// The echo server of the protocol suite: text back as text, binary back as
// binary; kiln itself answers pings and closes.
//
// GET /mark?text=... prints the text on stderr, where kiln's panics go too:
// once the suite sees its mark, everything kiln printed before it is in.
export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/mark") {
      console.error(url.searchParams.get("text"));
      return new Response("marked");
    }
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.binaryType = "arraybuffer";
    server.addEventListener("message", (event) => server.send(event.data));
    return new Response(null, { status: 101, webSocket: client });
  },
};
