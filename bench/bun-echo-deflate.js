// bench/bun-echo.js with permessage-deflate on (Bun.serve's perMessageDeflate),
// for bench/compression.py.
const port = Number(process.argv[2] ?? 8797);
Bun.serve({
  port,
  hostname: "127.0.0.1",
  fetch(request, server) {
    if (server.upgrade(request)) return;
    return new Response("Hello, world!");
  },
  websocket: {
    perMessageDeflate: true,
    message(ws, message) {
      ws.send(message);
    },
  },
});
