// The hibernation benchmark's worker (bench/hibernation.py runs it on kiln
// and, through an equivalent capnp config, on workerd). Every client joins
// one room, a Durable Object holding its sockets with ctx.acceptWebSocket:
//
//   "broadcast T"  the room sends "bcast T <sockets> <constructions> <instance>"
//                  to every socket of ctx.getWebSockets(), the sender included
//   "ping T"       the room answers the sender "pong T <constructions> <instance>"
//
// <constructions> counts the room's constructor runs in this isolate and
// <instance> names the current instance, so a reply after a wake shows
// whether the object was constructed again, i.e. had really hibernated.
import { DurableObject } from "cloudflare:workers";

// Module scope outlives an evicted object (the isolate stays), so this counts
// every construction rather than restarting at 1 with each instance.
let constructions = 0;

export class Room extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    constructions++;
    // Unique even if the isolate itself were replaced and the count restarted.
    this.instance = crypto.randomUUID();
  }

  fetch(request) {
    if (request.headers.get("Upgrade") !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws, message) {
    const [verb, token] = String(message).split(" ");
    if (verb === "broadcast") {
      const sockets = this.ctx.getWebSockets();
      const text = `bcast ${token} ${sockets.length} ${constructions} ${this.instance}`;
      for (const socket of sockets) socket.send(text);
    } else if (verb === "ping") {
      ws.send(`pong ${token} ${constructions} ${this.instance}`);
    } else {
      ws.send(`error unknown message: ${String(message).slice(0, 40)}`);
    }
  }

  webSocketClose(ws) {
    // A received Close waits for the object's answer, in both runtimes.
    try {
      ws.close(1000, "bye");
    } catch {
      // Already closed: the client went away without a handshake.
    }
  }
}

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/ws") {
      return env.ROOM.getByName(url.searchParams.get("room") ?? "bench").fetch(request);
    }
    if (url.pathname === "/health") return new Response("ok");
    return new Response(`no route for ${request.method} ${url.pathname}`, { status: 404 });
  },
};
