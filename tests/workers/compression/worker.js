// permessage-deflate, as a worker sees it (tests/e2e/compression.rs).
//
// GET /echo[?ext=VALUE]: a WebSocketPair echo; with `ext`, the Response
//   sets Sec-WebSocket-Extensions to VALUE (the server's preferences). The
//   message "extensions?" is answered with the server end's `extensions`.
// GET /new-websocket?url=U: `new WebSocket(U)`, sends "hello" twice and
//   answers with every event it saw.
// GET /fetch?url=U[&offer=VALUE]: the same through fetch() with
//   "Upgrade: websocket" (and the offer as Sec-WebSocket-Extensions).
// GET /proxy?url=U: a pass-through: the client's upgrade goes on to U with
//   the client's offer, and U's socket is returned unaccepted, with U's
//   agreement as what the worker allows.

async function converse(ws, log) {
  ws.addEventListener("message", (e) => log.push(["message", e.data]));
  ws.addEventListener("error", (e) => log.push(["error", e.message]));
  await new Promise((resolve) => {
    ws.addEventListener("close", (e) => {
      log.push(["close", e.code, e.reason, e.wasClean]);
      resolve();
    });
    let seen = 0;
    ws.addEventListener("message", () => {
      if (++seen === 2) ws.close(1000, "done");
    });
    setTimeout(resolve, 5000);
  });
  return log;
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const target = url.searchParams.get("url");
    if (url.pathname === "/echo") {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.binaryType = "arraybuffer";
      server.addEventListener("message", (e) => {
        server.send(e.data === "extensions?" ? JSON.stringify(server.extensions) : e.data);
      });
      const ext = url.searchParams.get("ext");
      const headers = ext === null ? {} : { "Sec-WebSocket-Extensions": ext };
      return new Response(null, { status: 101, webSocket: client, headers });
    }
    if (url.pathname === "/proxy") {
      const headers = { Upgrade: "websocket" };
      const offer = request.headers.get("Sec-WebSocket-Extensions");
      if (offer) headers["Sec-WebSocket-Extensions"] = offer;
      const response = await fetch(target.replace(/^ws/, "http"), { headers });
      if (!response.webSocket) return new Response("no backend socket", { status: 502 });
      const agreed = response.headers.get("sec-websocket-extensions");
      return new Response(null, {
        status: 101,
        webSocket: response.webSocket,
        headers: agreed ? { "Sec-WebSocket-Extensions": agreed } : {},
      });
    }
    if (url.pathname === "/new-websocket") {
      const ws = new WebSocket(target);
      const log = [];
      ws.addEventListener("open", () => {
        log.push(["open", ws.extensions]);
        ws.send("hello");
        ws.send("hello");
      });
      return Response.json(await converse(ws, log));
    }
    if (url.pathname === "/fetch") {
      const headers = { Upgrade: "websocket" };
      const offer = url.searchParams.get("offer");
      if (offer !== null) headers["Sec-WebSocket-Extensions"] = offer;
      const response = await fetch(target.replace(/^ws/, "http"), { headers });
      const log = [[
        "response",
        response.status,
        response.statusText,
        response.headers.get("sec-websocket-extensions"),
      ]];
      if (!response.webSocket) {
        log.push(["body", await response.text()]);
        return Response.json(log);
      }
      const ws = response.webSocket;
      ws.accept();
      log.push(["accepted", ws.extensions]);
      ws.send("hello");
      ws.send("hello");
      return Response.json(await converse(ws, log));
    }
    return new Response("no such route", { status: 404 });
  },
};
