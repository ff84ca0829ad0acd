// A Hono app in TypeScript, as a Workers project has it: routing, a
// middleware, JSON, a WebSocket route, JSX, npm packages in ESM and
// CommonJS, and Node.js modules (nodejs_compat). tests/e2e/projects.rs
// checks every route over a real socket.
import { Hono } from "hono";
import { contextStorage, getContext } from "hono/context-storage";
import iconv from "iconv-lite";
import { Buffer } from "node:buffer";
import { EventEmitter } from "events";
import path from "node:path";
import { format } from "node:util";
import { upgradeWebSocket } from "hono/cloudflare-workers";
import { parse as parseCookie, serialize } from "cookie";
import ms from "ms";
import qs from "qs";
import { chosen, internal } from "shared-lib";
import { greet } from "shared-lib/greet";
import cjs, { cycle, data } from "cjs-lib";
import { Level, describe, type Reading } from "./readings";
import { page } from "./page.js";
import { double } from "@lib/math";
import type { Counter } from "./counter";

export { Counter } from "./counter";

interface Bindings {
  GREETING?: string;
  COUNTER: DurableObjectNamespace<Counter>;
}

const app = new Hono<{ Bindings: Bindings }>();

// A middleware: every answer says how it was made.
app.use("*", async (c, next) => {
  await next();
  c.header("x-powered-by", "hono+kiln");
});

app.get("/", (c) => c.text("hello from hono"));

app.get("/json/:name", (c) => {
  const reading: Reading = { name: c.req.param("name"), level: Level.High };
  return c.json({ reading, text: describe(reading), doubled: double(21) });
});

app.get("/packages", (c) => {
  const cookies = parseCookie(c.req.header("cookie") ?? "");
  return c.json({
    cookie: cookies.flavour ?? null,
    serialized: serialize("a", "b c"),
    ms: ms("2 days"),
    msBack: ms(60000),
    qs: qs.parse("a[b]=1&a[c]=2&list[]=x&list[]=y"),
    qsString: qs.stringify({ x: { y: "z" } }),
    chosen,
    internal,
    greet: greet("kiln"),
  });
});

app.get("/commonjs", (c) => {
  let dynamic: string;
  try {
    cjs.dynamic("./lib/" + "b");
    dynamic = "no error";
  } catch (e) {
    dynamic = String(e);
  }
  const { dynamic: _, ...rest } = cjs;
  return c.json({ ...rest, named: { cycle, data }, dynamicRequire: dynamic });
});

app.get("/counter/:name", async (c) => {
  const stub = c.env.COUNTER.get(c.env.COUNTER.idFromName(c.req.param("name")));
  return c.json({ count: await stub.increment(2) });
});

app.get("/page", (c) => c.html(page("kiln")));

// Hono's context storage is an AsyncLocalStorage (node:async_hooks): after
// awaits, each request still finds its own context, however requests
// interleave. iconv-lite is CommonJS and requires buffer and
// string_decoder, as many npm packages do.
// `?together=N` holds each request until N have arrived (or 5 s have
// passed, which the answer says), so that the test knows they overlapped.
const waiting: Array<() => void> = [];
function together(count: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    waiting.push(() => {
      clearTimeout(timer);
      resolve(true);
    });
    if (waiting.length >= count) waiting.splice(0).forEach((release) => release());
  });
}

app.use("/node/*", contextStorage());
app.get("/node/:name", async (c) => {
  const name = c.req.param("name");
  const count = Number(c.req.query("together") ?? "1");
  const overlapped = count > 1 ? await together(count) : true;
  // Then the shortest name waits longest, so they finish in another order.
  await new Promise((resolve) => setTimeout(resolve, 10 * (4 - Math.min(name.length, 3))));
  await Promise.resolve();
  const heard: string[] = [];
  const emitter = new EventEmitter();
  emitter.on("word", (word: string) => heard.push(word));
  emitter.emit("word", "heard");
  // iconv-lite turns its streaming API on when require("stream") gives
  // Node's streams, which it does under nodejs_compat despite the
  // package's browser field.
  const streamed = await new Promise<string>((resolve, reject) => {
    let text = "";
    const decoder = iconv.decodeStream("win1251");
    decoder.on("data", (part: string) => (text += part));
    decoder.on("end", () => resolve(text));
    decoder.on("error", reject);
    decoder.write(Buffer.from([0xcf, 0xf0, 0xe8]));
    decoder.end(Buffer.from([0xe2, 0xe5, 0xf2]));
  });
  return c.json({
    overlapped,
    streamed,
    name,
    nameAfterAwaits: getContext().req.param("name"),
    decoded: iconv.decode(Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]), "win1251"),
    encoded: iconv.encode("€uro", "win1252").toString("hex"),
    base64url: Buffer.from("kiln?>").toString("base64url"),
    heard,
    joined: path.join("/a/b", "../c"),
    formatted: format("%s has %d items: %o", "list", 2, ["x", "y"]),
    globals: [typeof globalThis.Buffer, typeof globalThis.process, typeof globalThis.setImmediate],
  });
});

app.get("/throw", () => {
  throwFromTypeScript();
  return new Response("unreachable");
});

app.get(
  "/ws",
  upgradeWebSocket(() => ({
    onMessage(event, ws) {
      ws.send(`echo: ${event.data}`);
    },
  })),
);

function throwFromTypeScript(): never {
  const where: string = "src/index.ts";
  throw new Error(`thrown in ${where}`);
}

export default app;
