// A chat room per name. The worker serves the page and hands each room's
// WebSockets to that room's Durable Object, which accepts them with the
// hibernation API: an idle room can be dropped from memory while its sockets
// stay open, and the next message constructs it again. So nothing the room
// needs lives in its fields: the history is in SQLite, and who is behind
// each socket is the socket's tag and attachment, which survive hibernation.
import { DurableObject } from "cloudflare:workers";
import page from "./index.html";

/** Messages kept per room; older ones are deleted as new ones arrive. */
const HISTORY = 100;
const MAX_TEXT = 2000;
const MAX_NAME = 32;
const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export class ChatRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      user TEXT NOT NULL,
      text TEXT NOT NULL
    )`);
    // The page's keepalive is answered without waking the room.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    // Sockets whose leave was announced, so that an error followed by a
    // close announces it once. Memory is enough: should a hibernation fall
    // between the two, the leave is announced twice, which is harmless.
    this.gone = new WeakSet();
  }

  async fetch(request) {
    if (request.headers.get("Upgrade") !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const user = cleanName(new URL(request.url).searchParams.get("user"));
    if (!user) return new Response("a user name is needed", { status: 400 });
    const pair = new WebSocketPair();
    const ws = pair[1];
    // The tag lets getWebSockets(user) find a user's sockets; the attachment
    // is what webSocketMessage reads after a hibernation.
    this.ctx.acceptWebSocket(ws, [user]);
    ws.serializeAttachment({ user, joinedAt: Date.now() });
    ws.send(JSON.stringify({ type: "history", messages: this.history(), users: this.users() }));
    this.broadcast({ type: "join", user, at: Date.now(), users: this.users() });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** The last messages, oldest first. */
  history() {
    return this.ctx.storage.sql
      .exec(
        `SELECT id, at, user, text FROM
           (SELECT * FROM messages ORDER BY id DESC LIMIT ?)
         ORDER BY id`,
        HISTORY,
      )
      .toArray();
  }

  webSocketMessage(ws, data) {
    const user = ws.deserializeAttachment()?.user;
    if (!user) return;
    let message;
    try {
      message = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
    } catch {
      // A bare "ping" never gets here (the auto-response takes it); anything
      // else that is not JSON comes from something other than the page.
      return send(ws, { type: "error", message: "messages are JSON: {\"type\":\"message\",\"text\":\"...\"}" });
    }
    if (message?.type !== "message" || typeof message.text !== "string") {
      return send(ws, { type: "error", message: "unknown message" });
    }
    const text = message.text.trim().slice(0, MAX_TEXT);
    if (!text) return;
    const row = this.ctx.storage.sql
      .exec(
        "INSERT INTO messages (at, user, text) VALUES (?, ?, ?) RETURNING id, at, user, text",
        Date.now(),
        user,
        text,
      )
      .one();
    this.ctx.storage.sql.exec(
      "DELETE FROM messages WHERE id <= (SELECT id FROM messages ORDER BY id DESC LIMIT 1 OFFSET ?)",
      HISTORY,
    );
    this.broadcast({ type: "message", ...row });
  }

  webSocketClose(ws, code, reason) {
    this.leave(ws, code, reason);
  }

  webSocketError(ws) {
    this.leave(ws, 1011, "error");
  }

  leave(ws, code, reason) {
    if (this.gone.has(ws)) return;
    this.gone.add(ws);
    // Complete the closing handshake with the peer's code. 1005 (none
    // given), 1006 (connection lost) and 1015 describe a close but may not be
    // sent in one; anything refused gets a plain 1000.
    const sendable = code >= 1000 && code <= 4999 && ![1004, 1005, 1006, 1015].includes(code);
    for (const [c, r] of sendable ? [[code, reason], [1000, ""]] : [[1000, ""]]) {
      try {
        ws.close(c, r);
        break;
      } catch {
        // Refused, or already closed from our side: nothing more to send.
      }
    }
    const { user } = ws.deserializeAttachment() ?? {};
    if (user) this.broadcast({ type: "leave", user, at: Date.now(), users: this.users(ws) }, ws);
  }

  /** Everyone connected, one entry per name, in the order they joined. */
  users(except) {
    const here = this.ctx
      .getWebSockets()
      .filter((ws) => ws !== except && !this.gone.has(ws))
      .map((ws) => ws.deserializeAttachment() ?? {})
      .sort((a, b) => a.joinedAt - b.joinedAt)
      .map((a) => a.user);
    return [...new Set(here)].filter(Boolean);
  }

  broadcast(event, except) {
    const text = JSON.stringify(event);
    for (const ws of this.ctx.getWebSockets()) {
      if (ws !== except && !this.gone.has(ws)) send(ws, text);
    }
  }
}

/** Sends, ignoring a socket that is closing under us. */
function send(ws, event) {
  try {
    ws.send(typeof event === "string" ? event : JSON.stringify(event));
  } catch {
    // Its close event will announce the leave.
  }
}

function cleanName(name) {
  return (name ?? "").trim().slice(0, MAX_NAME);
}

function html() {
  return new Response(page, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // The page loads nothing from anywhere else.
      "content-security-policy":
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
    },
  });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/") return html();
    const match = /^\/room\/([^/]+)(\/ws|\/history)?\/?$/.exec(url.pathname);
    if (!match) return new Response("not found", { status: 404 });
    let room;
    try {
      room = decodeURIComponent(match[1]);
    } catch {
      room = "";
    }
    if (!ROOM_NAME.test(room)) {
      return new Response("a room name is 1 to 64 letters, digits, '-' or '_'", { status: 404 });
    }
    const stub = () => env.ROOMS.get(env.ROOMS.idFromName(room));
    switch (match[2]) {
      case undefined:
        return html();
      case "/history":
        // For a visitor who has not picked a name yet.
        return Response.json(await stub().history(), { headers: { "cache-control": "no-store" } });
      case "/ws":
        if (request.headers.get("Upgrade") !== "websocket") {
          return new Response("expected a WebSocket upgrade", { status: 426 });
        }
        return stub().fetch(request);
    }
  },
};
