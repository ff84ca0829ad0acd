// The same echo and hello world on Bun (Bun.serve). `bun run bun-echo.js
// PORT deflate` turns on permessage-deflate (for bench/compression.py).
const port = Number(process.argv[2] ?? 8796);
Bun.serve({
  port,
  hostname: "127.0.0.1",
  fetch(request, server) {
    if (server.upgrade(request)) return;
    return new Response("Hello, world!");
  },
  websocket: {
    perMessageDeflate: process.argv[3] === "deflate",
    message(ws, message) {
      ws.send(message);
    },
  },
});
