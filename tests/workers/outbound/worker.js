// Outbound WebSockets from a worker: new WebSocket(url) and fetch() with
// "Upgrade: websocket", against a backend the test runs. Each route answers
// with what the worker observed.

function attempt(fn) {
  try {
    const value = fn();
    return value === undefined ? "ok" : `ok ${value}`;
  } catch (e) {
    return `threw ${e.name}: ${e.message}`;
  }
}

/** Runs a new WebSocket until it closes (or 5 s pass), logging events. */
function run(url, protocols, script) {
  const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
  const log = [["created", ws.readyState, ws.url, ws.protocol, ws.extensions]];
  return new Promise((resolve) => {
    ws.addEventListener("open", () => {
      log.push(["open", ws.readyState, ws.protocol, ws.extensions]);
      script?.open?.(ws, log);
    });
    ws.addEventListener("message", (e) => {
      log.push(["message", e.data]);
      script?.message?.(ws, log, e);
    });
    ws.addEventListener("error", (e) => log.push(["error", e.message, e.error?.name, ws.readyState]));
    ws.addEventListener("close", (e) => {
      log.push(["close", e.code, e.reason, e.wasClean, ws.readyState]);
      resolve(log);
    });
    script?.start?.(ws, log);
    setTimeout(() => resolve(log), 5000);
  });
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const target = url.searchParams.get("url");
    switch (url.pathname) {
      case "/constructor": {
        const r = {};
        for (const [name, args] of Object.entries({
          empty: [""],
          relative: ["/path"],
          http: ["http://example.com/"],
          fragment: ["ws://example.com/#frag"],
          emptyFragment: ["ws://example.com/#"],
          badToken: ["ws://example.com/", "bad token"],
          badTokenInList: ["ws://example.com/", ["good", "bad token"]],
          repeated: ["ws://example.com/", ["echo", "echo"]],
          caseDiffers: ["ws://127.0.0.1:1/", ["Echo", "echo"]],
          emptyList: ["ws://127.0.0.1:1/", []],
        })) {
          r[name] = attempt(() => {
            const ws = new WebSocket(...args);
            ws.close();
          });
        }
        const ws = new WebSocket("ws://EXAMPLE.com:1/a?b");
        r.connecting = [ws.readyState, ws.url, ws.protocol, ws.extensions];
        r.sendWhileConnecting = attempt(() => ws.send("x"));
        r.acceptWhileConnecting = attempt(() => ws.accept());
        r.closeWhileConnecting = attempt(() => ws.close());
        r.readyStateAfterClose = ws.readyState;
        r.returnInResponse = attempt(() => new Response(null, { status: 101, webSocket: ws }));
        return Response.json(r);
      }
      case "/connect": {
        const protocols = url.searchParams.get("protocols")?.split(",");
        const log = await run(target, protocols, {
          open: (ws) => ws.send("hi from the worker"),
          message: (ws) => ws.close(1000, "done"),
        });
        return Response.json(log);
      }
      case "/close-while-connecting": {
        const log = await run(target, undefined, {
          start: (ws, log) => {
            ws.close();
            log.push(["after close()", ws.readyState]);
          },
        });
        return Response.json(log);
      }
      case "/fetch": {
        try {
          const response = await fetch(target, { headers: { Upgrade: "websocket" } });
          const ws = response.webSocket;
          if (ws === null) {
            return Response.json({ status: response.status, webSocket: null, body: await response.text() });
          }
          const before = [response.status, ws.readyState, attempt(() => ws.send("early"))];
          ws.accept();
          const got = new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data)));
          ws.send("via fetch");
          const echoed = await got;
          ws.close(1000, "fetched");
          return Response.json({ before, echoed });
        } catch (e) {
          return Response.json({ threw: `${e.name}: ${e.message}` });
        }
      }
      case "/fetch-aborted": {
        const controller = new AbortController();
        controller.abort();
        try {
          await fetch(target, { headers: { Upgrade: "websocket" }, signal: controller.signal });
          return Response.json({ threw: null });
        } catch (e) {
          return Response.json({ threw: e.name });
        }
      }
      case "/fetch-abort-later": {
        const controller = new AbortController();
        const response = await fetch(target, { headers: { Upgrade: "websocket" }, signal: controller.signal });
        const ws = response.webSocket;
        ws.accept();
        const closed = new Promise((resolve) => ws.addEventListener("close", (e) => resolve([e.code, e.wasClean])));
        controller.abort();
        return Response.json({ close: await closed });
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
