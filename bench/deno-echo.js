// The same echo and hello world on Deno (Deno.serve, Deno.upgradeWebSocket).
const port = Number(Deno.args[0] ?? 8795);
Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, (request) => {
  if (request.headers.get("upgrade") !== "websocket") {
    return new Response("Hello, world!");
  }
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});
