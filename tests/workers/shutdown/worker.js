// The graceful shutdown's test worker (tests/e2e/shutdown.rs): a WebSocket
// that logs its close, a slow request with waitUntil() work after it, and a
// request that never ends.
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (request.headers.get("upgrade") === "websocket") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener("close", (event) => console.log(`websocket closed ${event.code}`));
      return new Response(null, { status: 101, webSocket: client });
    }
    if (url.pathname === "/slow") {
      await new Promise((resolve) => setTimeout(resolve, 600));
      ctx.waitUntil(
        new Promise((resolve) =>
          setTimeout(() => {
            console.log("waitUntil finished");
            resolve();
          }, 400)
        ),
      );
      return new Response("slow answer");
    }
    if (url.pathname === "/never") {
      await new Promise(() => {});
    }
    return new Response("ok");
  },
};
