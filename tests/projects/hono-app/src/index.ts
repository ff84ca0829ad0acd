// A Hono app in TypeScript, as a Workers project has it: routing, a
// middleware, JSON, a WebSocket route, JSX, and npm packages in ESM and
// CommonJS. tests/e2e/projects.rs checks every route over a real socket.
import { Hono } from "hono";
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
