// What a client or a worker could make kiln hold without end, each bounded
// (tests/e2e/network_memory.rs).
//
// /echo        an accepted socket that echoes
// /flood?mib=N on "go", sends N 1 MiB messages at once to a client that does
//              not read; the error event it gets is printed
// /pair?kib=N  a pair per request, N KiB sent into the end never accepted,
//              answered without a WebSocket
const MIB = new Uint8Array(1 << 20);

export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/pair") {
      const kib = Number(url.searchParams.get("kib") || 1);
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.send("y".repeat(kib << 10));
      server.close(1000, "done");
      return new Response("pair dropped");
    }
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    if (url.pathname === "/flood") {
      const mib = Number(url.searchParams.get("mib") || 1);
      server.addEventListener("message", () => {
        for (let i = 0; i < mib; i++) server.send(MIB);
        console.error(`flood: sent ${mib} MiB`);
      });
      server.addEventListener("error", (event) => {
        console.error(`flood error: ${event.message}`);
      });
    } else {
      server.addEventListener("message", (event) => server.send(event.data));
    }
    return new Response(null, { status: 101, webSocket: client });
  },
};
