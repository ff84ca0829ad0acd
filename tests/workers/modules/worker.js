// An ES module worker exercising the Web APIs a worker needs on day one.
// Each route answers with what the API did, so the test asserts real values.
import { greeting } from "./lib.js";

let released = null;
let waitUntilRan = false;

const routes = {
  "/hello": () =>
    new Response("Hello, kiln!", { headers: { "x-kiln-test": "yes" } }),
  "/import": () => new Response(greeting),
  "/edge": (req) =>
    Response.json({
      connectingIp: req.headers.get("cf-connecting-ip"),
      acceptEncoding: req.headers.get("accept-encoding"),
      colo: req.cf?.colo ?? null,
      country: req.cf?.country ?? null,
      asn: req.cf?.asn ?? null,
      constructedCf: new Request("https://example.com/").cf ?? null,
    }),
  "/env": (req, env) => Response.json(env),
  "/globals": () =>
    Response.json({
      deno: typeof Deno,
      bootstrap: typeof __bootstrap,
      self: self === globalThis,
      navigator: navigator.userAgent,
      internals: Object.getOwnPropertyNames(globalThis).filter((k) =>
        /deno|bootstrap|^ops$|^core$/i.test(k)
      ),
    }),
  "/request": async (req) =>
    Response.json({
      method: req.method,
      url: req.url,
      header: req.headers.get("x-custom"),
      body: req.body === null ? null : await req.text(),
      immutable: (() => {
        try {
          req.headers.set("x", "y");
          return false;
        } catch (e) {
          return e instanceof TypeError;
        }
      })(),
    }),
  "/echo": (req) =>
    new Response(req.body, {
      headers: { "content-type": req.headers.get("content-type") ?? "" },
    }),
  "/body/string": () => new Response("a string body"),
  "/body/arraybuffer": () => new Response(new Uint8Array([75, 73, 76, 78]).buffer),
  "/body/typed": () => new Response(new Uint16Array([0x4b4b, 0x4e4e])),
  "/body/stream": () => {
    const encoder = new TextEncoder();
    let i = 0;
    return new Response(
      new ReadableStream({
        async pull(controller) {
          await new Promise((r) => setTimeout(r, 1));
          if (i < 5) controller.enqueue(encoder.encode(`chunk${i++};`));
          else controller.close();
        },
      }),
    );
  },
  "/body/null": () => new Response(null, { status: 204, headers: { "x-null": "1" } }),
  "/body/json": () => Response.json({ ok: true, n: 42 }, { status: 201 }),
  "/apis": async () => {
    const results = {};
    const check = async (name, fn) => {
      try {
        results[name] = await fn();
      } catch (e) {
        results[name] = `threw ${e}`;
      }
    };
    await check("headers", () => {
      const h = new Headers({ a: "1" });
      h.append("A", "2");
      h.set("b", "3");
      return [h.get("a"), h.get("b"), h.has("c"), [...h.keys()].join(",")];
    });
    await check("url", () => {
      const u = new URL("../x?y=1#z", "https://example.com/a/b/c");
      return [u.href, u.pathname, u.searchParams.get("y"), u.hash];
    });
    await check("urlSearchParams", () => {
      const p = new URLSearchParams("a=1&b=2&a=3");
      p.append("c", "x y");
      return [p.getAll("a"), p.toString()];
    });
    await check("textEncoder", () => Array.from(new TextEncoder().encode("h\u00e9\u20ac")));
    await check("textDecoder", () =>
      new TextDecoder().decode(new Uint8Array([0x68, 0xc3, 0xa9, 0xe2, 0x82, 0xac]))
    );
    await check("base64", () => [btoa("kiln\u00ff"), atob("a2lsbg==")]);
    await check("setTimeout", () =>
      new Promise((resolve) => {
        const start = Date.now();
        setTimeout((a, b) => resolve([a, b, Date.now() - start >= 20]), 25, "x", "y");
      })
    );
    await check("clearTimeout", () =>
      new Promise((resolve) => {
        let fired = false;
        const id = setTimeout(() => (fired = true), 5);
        clearTimeout(id);
        setTimeout(() => resolve(fired), 20);
      })
    );
    await check("setInterval", () =>
      new Promise((resolve) => {
        let n = 0;
        const id = setInterval(() => {
          n += 1;
          if (n === 3) {
            clearInterval(id);
            setTimeout(() => resolve(n), 20);
          }
        }, 2);
      })
    );
    await check("queueMicrotask", () => {
      const order = [];
      return new Promise((resolve) => {
        queueMicrotask(() => order.push("microtask"));
        Promise.resolve().then(() => order.push("promise"));
        order.push("sync");
        setTimeout(() => resolve(order), 0);
      });
    });
    await check("structuredClone", () => {
      const source = { a: [1, { b: new Date(0) }], m: new Map([[1, "one"]]) };
      const copy = structuredClone(source);
      return [copy !== source, copy.a[1].b instanceof Date, copy.m.get(1)];
    });
    await check("getRandomValues", () => {
      const a = crypto.getRandomValues(new Uint8Array(32));
      const b = crypto.getRandomValues(new Uint8Array(32));
      return [a.length, a.some((x, i) => x !== b[i])];
    });
    await check("getRandomValuesQuota", () => {
      try {
        crypto.getRandomValues(new Uint8Array(65537));
        return "no error";
      } catch (e) {
        return e.name;
      }
    });
    await check("getRandomValuesFloat", () => {
      try {
        crypto.getRandomValues(new Float32Array(4));
        return "no error";
      } catch (e) {
        return e.name;
      }
    });
    await check("randomUUID", () => {
      const id = crypto.randomUUID();
      return [/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id), id !== crypto.randomUUID()];
    });
    await check("atobInvalid", () => {
      try {
        atob("!!!");
        return "no error";
      } catch (e) {
        return [e.name, e instanceof DOMException];
      }
    });
    await check("subtleDigest", async () => {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc"));
      return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    });
    await check("subtleHmac", async () => {
      const key = await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode("key"),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("The quick brown fox jumps over the lazy dog"));
      return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
    });
    await check("subtleAesGcm", async () => {
      const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode("secret"));
      const opened = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, sealed);
      return [sealed.byteLength, new TextDecoder().decode(opened)];
    });
    await check("subtleEcdsa", async () => {
      const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
      const data = new TextEncoder().encode("signed");
      const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, data);
      return [
        pair.privateKey instanceof CryptoKey,
        await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pair.publicKey, signature, data),
      ];
    });
    await check("eventTarget", () => {
      const target = new EventTarget();
      const seen = [];
      target.addEventListener("ping", (e) => seen.push(e.type + ":" + (e instanceof Event)));
      target.addEventListener("ping", () => seen.push("once"), { once: true });
      target.dispatchEvent(new Event("ping"));
      target.dispatchEvent(new Event("ping"));
      return seen;
    });
    await check("abortController", () => {
      const controller = new AbortController();
      let event = null;
      controller.signal.addEventListener("abort", (e) => (event = e.type));
      controller.abort("why");
      return [controller.signal.aborted, controller.signal.reason, event];
    });
    await check("readableStream", async () => {
      const stream = new ReadableStream({
        start(c) {
          c.enqueue("a");
          c.enqueue("b");
          c.close();
        },
      });
      let out = "";
      for await (const chunk of stream) out += chunk;
      return out;
    });
    await check("responseJson", async () => {
      const r = Response.json({ x: [1, 2] });
      return [r.headers.get("content-type"), (await r.json()).x];
    });
    await check("request", async () => {
      const r = new Request("https://example.com/p", { method: "POST", body: "payload" });
      return [r.method, r.url, await r.text()];
    });
    await check("console", () => {
      console.log("console.log works", { nested: [1, 2] });
      console.info("console.info works");
      console.warn("console.warn works");
      console.error("console.error works");
      console.debug("console.debug works");
      return true;
    });
    return Response.json(results);
  },
  "/throw": () => {
    throw new Error("boom from the handler");
  },
  "/reject": async () => {
    await null;
    throw new TypeError("async boom");
  },
  "/not-a-response": () => "just a string",
  "/wait": async () => {
    // Resolved by a second, concurrent request: proves that requests
    // interleave on the one isolate.
    const value = await new Promise((resolve) => (released = resolve));
    return new Response(`released with ${value}`);
  },
  "/release": (req) => {
    if (released === null) return new Response("nobody waiting", { status: 409 });
    released(new URL(req.url).searchParams.get("v"));
    released = null;
    return new Response("released");
  },
  "/wait-until": (req, env, ctx) => {
    ctx.waitUntil(new Promise((r) => setTimeout(r, 20)).then(() => (waitUntilRan = true)));
    return new Response("scheduled");
  },
  "/wait-until/status": () => new Response(String(waitUntilRan)),
  "/fetch": async (req) => {
    const target = new URL(req.url).searchParams.get("url");
    try {
      const upstream = await fetch(target, { headers: { "x-from": "kiln" } });
      return new Response(`upstream ${upstream.status}: ${await upstream.text()}`);
    } catch (e) {
      return new Response(`fetch failed: ${e.name}: ${e.message}`, { status: 502 });
    }
  },
  "/uncaught-timer": () => {
    setTimeout(() => {
      throw new Error("thrown inside a timer");
    }, 0);
    return new Response("timer scheduled");
  },
};

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    const route = routes[pathname];
    if (!route) return new Response("not found", { status: 404 });
    return route(request, env, ctx);
  },
};
