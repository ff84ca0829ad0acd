// The CPU-time limit's test worker (tests/e2e/cpu_limit.rs).
let served = 0;

function burn(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Keep the CPU busy.
  }
}

export default {
  async fetch(request) {
    served++;
    const url = new URL(request.url);
    if (request.headers.get("upgrade") === "websocket") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      return new Response(null, { status: 101, webSocket: client });
    }
    if (url.pathname === "/spin") {
      for (;;) {
        // Never ends.
      }
    }
    if (url.pathname === "/bursts") {
      // 5 x 100 ms of CPU with pauses between them: each is under the limit.
      for (let i = 0; i < 5; i++) {
        burn(100);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return new Response("bursts done");
    }
    return new Response(`served ${served}`);
  },
};
