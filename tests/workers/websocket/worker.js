// The WebSocket test worker. A client connects to /ws?id=ID&accept=...;
// the server end records every event it sees (with readyState at that
// moment) in a log the test reads from /log?id=ID, and obeys commands sent
// as text messages ("cmd:..."); anything else is echoed.

const logs = new Map();

function record(id, entry) {
  if (!logs.has(id)) logs.set(id, []);
  logs.get(id).push(entry);
}

function attempt(fn) {
  try {
    const value = fn();
    return value === undefined ? "ok" : `ok ${value}`;
  } catch (e) {
    return `threw ${e.name}: ${e.message}`;
  }
}

function describe(data) {
  if (typeof data === "string") return `text:${data}`;
  if (data instanceof ArrayBuffer) return `arraybuffer:${data.byteLength}`;
  if (data instanceof Blob) return `blob:${data.size}`;
  return `other:${typeof data}`;
}

function serve(request, env, url) {
  const id = url.searchParams.get("id") ?? "default";
  const acceptMode = url.searchParams.get("accept") ?? "default";
  const onClose = url.searchParams.get("onclose"); // e.g. "close:1000:done"
  const report = url.searchParams.get("report") === "1"; // describe instead of echo
  const [client, server] = Object.values(new WebSocketPair());
  if (acceptMode === "halfopen") server.accept({ allowHalfOpen: true });
  else if (acceptMode === "autoreply") server.accept({ allowHalfOpen: false });
  else server.accept();
  record(id, { event: "accepted", readyState: server.readyState, binaryType: server.binaryType });

  server.addEventListener("message", (e) => {
    const data = e.data;
    if (typeof data === "string" && data.startsWith("cmd:")) {
      const [command, ...rest] = data.slice(4).split(" ");
      const arg = rest.join(" ");
      switch (command) {
        case "close": {
          const [code, ...reason] = arg.split(" ");
          record(id, { event: "close-called", result: attempt(() => server.close(Number(code), reason.join(" "))), readyState: server.readyState });
          return;
        }
        case "close-no-args":
          record(id, { event: "close-called", result: attempt(() => server.close()), readyState: server.readyState });
          return;
        case "closeargs": {
          // Runs close(...JSON args) and answers with what happened.
          const args = JSON.parse(arg);
          server.send(`result ${attempt(() => server.close(...args))}`);
          return;
        }
        case "send-after-close": {
          server.close(1000, "closing");
          record(id, { event: "send-after-close", result: attempt(() => server.send("late")), readyState: server.readyState });
          return;
        }
        case "binaryType":
          server.binaryType = arg;
          server.send(`binaryType ${server.binaryType}`);
          return;
        case "flood": {
          for (let i = 0; i < Number(arg); i++) server.send(`s${i}`);
          return;
        }
        case "send-binary": {
          const bytes = new Uint8Array(arg.split(",").map(Number));
          server.send(bytes);
          bytes.fill(0); // copied at send(): the peer still gets the original
          return;
        }
        case "send-values":
          server.send(123);
          server.send(null);
          server.send(new Blob(["x"]));
          server.send(new Uint16Array([0x0201]).buffer);
          server.send(new DataView(new Uint8Array([9, 8, 7]).buffer, 1, 2));
          return;
      }
    }
    if (report) {
      server.send(describe(data));
    } else if (typeof data === "string") {
      server.send(data);
    } else {
      data instanceof Blob ? data.arrayBuffer().then((b) => server.send(b)) : server.send(data);
    }
  });

  server.addEventListener("close", (e) => {
    const entry = {
      event: "close",
      code: e.code,
      reason: e.reason,
      wasClean: e.wasClean,
      readyState: server.readyState,
      isCloseEvent: e instanceof CloseEvent,
    };
    entry.sendInHandler = attempt(() => server.send("from close handler"));
    if (onClose?.startsWith("close:")) {
      const [, code, reason] = onClose.split(":");
      entry.closeInHandler = attempt(() => server.close(Number(code), reason));
      entry.readyStateAfterClose = server.readyState;
    }
    record(id, entry);
  });

  server.addEventListener("error", (e) => {
    record(id, {
      event: "error",
      message: e.message,
      errorMessage: e.error?.message,
      isErrorEvent: e instanceof ErrorEvent,
      readyState: server.readyState,
      sendAfterError: attempt(() => server.send("x")),
    });
  });

  return new Response(null, {
    status: 101,
    webSocket: client,
    headers: { "x-kiln-ws": "yes" },
  });
}

/** Both ends in this worker: the close handshake without any network. */
async function localPair(url) {
  const mode = url.searchParams.get("mode") ?? "default";
  const pair = new WebSocketPair();
  const [a, b] = pair;
  const log = [];
  const done = new Promise((resolve) => {
    a.addEventListener("close", (e) => {
      log.push(["a", "close", e.code, e.reason, e.wasClean, a.readyState]);
      if (mode === "manual") a.close(e.code, "a replies");
    });
    b.addEventListener("close", (e) => {
      log.push(["b", "close", e.code, e.reason, e.wasClean, b.readyState]);
      resolve();
    });
    // Without the automatic reply, b's close event never comes unless a
    // replies: its absence is observed over this quiet window.
    setTimeout(resolve, 300);
  });
  a.addEventListener("message", (e) => log.push(["a", "message", e.data]));
  a.accept();
  b.accept();
  b.send("hello a");
  b.close(1000, "b closes");
  log.push(["b", "after close()", b.readyState]);
  await done;
  return Response.json({
    log,
    finalStates: [a.readyState, b.readyState],
    sameObjects: pair[0] === a && pair[1] === b && pair[0] === pair[0],
    values: Object.values(pair).length,
    keys: Object.keys(pair),
  });
}

/** How message listeners are called (the message fast path keeps the rules). */
async function listenerRules() {
  const [a, b] = new WebSocketPair();
  const log = [];
  let seen = null;
  // The exception on "2" ends its delivery, and "3" is never delivered:
  // once "2" has arrived, a quiet window shows that absence. The 5 s are
  // only a deadline. (This listener logs nothing, so the log is unchanged.)
  const done = new Promise((resolve) => {
    a.addEventListener("message", (e) => e.data === "2" && setTimeout(resolve, 50));
    setTimeout(resolve, 5000);
  });
  a.addEventListener("message", (e) => {
    seen ??= e;
    log.push(["first", e.data, e instanceof MessageEvent, e instanceof Event, e.target === a,
      e.currentTarget === a, e.eventPhase, e.type, e.origin, e.lastEventId, e.ports.length, e.isTrusted]);
  });
  a.addEventListener("message", (e) => log.push(["once", e.data]), { once: true });
  a.addEventListener("message", { handleEvent: (e) => log.push(["handleEvent", e.data]) });
  const removed = (e) => log.push(["removed", e.data]);
  a.addEventListener("message", (e) => {
    if (e.data === "1") a.removeEventListener("message", removed);
    if (e.data === "2") throw new Error("listener failure");
    if (e.data === "3") e.stopImmediatePropagation();
  });
  a.addEventListener("message", removed);
  a.onmessage = (e) => log.push(["onmessage", e.data]);
  const controller = new AbortController();
  a.addEventListener("message", (e) => log.push(["signal", e.data]), { signal: controller.signal });
  a.accept();
  b.accept();
  b.send("1");
  b.send("2");
  b.send("3");
  controller.abort();
  await done;
  return Response.json({ log, after: [seen.currentTarget, seen.eventPhase] });
}

/** JavaScript-visible rules that need no client. */
function rules(env) {
  const r = {};
  const pair = new WebSocketPair();
  const [a, b] = pair;
  r.initial = [a.readyState, a.url, a.protocol, a.extensions, a.binaryType];
  r.constants = [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED,
    a.READY_STATE_CLOSED, WebSocket.READY_STATE_OPEN];
  r.sendBeforeAccept = attempt(() => a.send("x"));
  r.closeBeforeAccept = attempt(() => a.close(1000));
  r.badCodeBeforeAccept = attempt(() => a.close(999));
  r.binaryTypeIgnored = (() => {
    const before = a.binaryType;
    a.binaryType = "BLOB";
    a.binaryType = "";
    const kept = a.binaryType === before;
    a.binaryType = "arraybuffer";
    const set = a.binaryType;
    a.binaryType = "blob";
    return [kept, set, a.binaryType];
  })();
  r.responseNot101 = attempt(() => new Response(null, { status: 200, webSocket: a }));
  r.responseNotWebSocket = attempt(() => new Response(null, { status: 101, webSocket: {} }));
  r.plain101 = attempt(() => new Response(null, { status: 101 }));
  const res = new Response(null, { status: 101, webSocket: a });
  r.response = [res.status, res.webSocket === a, new Response("x").webSocket];
  r.clone = attempt(() => res.clone());
  a.accept();
  r.acceptTwice = attempt(() => a.accept({ allowHalfOpen: true }));
  r.closeCodes = {};
  for (const code of [999, 1000, 1001, 1004, 1005, 1006, 1015, 2999, 3000, 4999, 5000, "abc"]) {
    const [x] = new WebSocketPair();
    x.accept();
    r.closeCodes[code] = attempt(() => x.close(code));
  }
  const [y] = new WebSocketPair();
  y.accept();
  r.reason123 = attempt(() => y.close(1000, "a".repeat(123)));
  const [z] = new WebSocketPair();
  z.accept();
  r.reason124 = attempt(() => z.close(1000, "\u00e9".repeat(62)));
  r.reasonWithoutCode = attempt(() => z.close(undefined, "why"));
  r.badCodeAfterClose = attempt(() => y.close(1004));
  r.doubleClose = attempt(() => y.close(1000));
  r.sendAfterClose = attempt(() => y.send("x"));
  r.readyStateAfterClose = y.readyState;
  r.events = [
    new MessageEvent("message", { data: 1 }).data,
    new CloseEvent("close").code,
    new CloseEvent("close", { code: 4000, reason: "r", wasClean: true }).reason,
    new ErrorEvent("error", { message: "m" }).message,
  ];
  r.iterable = (() => {
    const [p, q] = new WebSocketPair();
    return p instanceof WebSocket && q instanceof WebSocket && p !== q;
  })();
  return Response.json(r);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/ws":
        return serve(request, env, url);
      case "/log":
        return Response.json(logs.get(url.searchParams.get("id")) ?? []);
      case "/local-pair":
        return localPair(url);
      case "/rules":
        return rules(env);
      case "/listener-rules":
        return listenerRules();
      case "/never-accepted": {
        // The client's messages have nowhere to go: kiln must stop reading.
        const [client] = Object.values(new WebSocketPair());
        return new Response(null, { status: 101, webSocket: client });
      }
      case "/accepted-then-returned": {
        const [client, server] = Object.values(new WebSocketPair());
        client.accept();
        return new Response(null, { status: 101, webSocket: client });
      }
      case "/surrogates": {
        // Strings that are not well-formed UTF-16, sent as text and as a
        // close reason.
        const [client, server] = Object.values(new WebSocketPair());
        server.accept();
        for (const text of ["a\uD800b", "a\uDC00b", "\uDC00\uD800", "end\uD800", "pair\uD83D\uDE00"]) {
          server.send(text);
        }
        server.close(1000, "r\uDBFF");
        return new Response(null, { status: 101, webSocket: client });
      }
      case "/returned-twice": {
        const [client] = Object.values(new WebSocketPair());
        globalThis.reused ??= client;
        return new Response(null, { status: 101, webSocket: globalThis.reused });
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
