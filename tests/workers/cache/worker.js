// The Cache API test worker (tests/e2e/cache.rs).
//
// GET /scenario/<name> runs one named scenario against `caches` and answers
// 200 with its JSON report; a scenario that throws answers 500 with
// {uncaught: ...}.
//
// Values are reported in a tagged JSON form (see `enc`) so that types the
// JSON data model lacks (undefined, ArrayBuffer, ...) can be compared
// exactly. Errors are reported as {name, message}; where the message is the
// JavaScript engine's own, only {name} is reported, so that V8 and QuickJS
// builds compare alike. A Response is reported by `res` as {status,
// statusText, headers (sorted [name, value] pairs), body (text)}, with the
// Date header masked (see `res`), or as "undefined" when match() found
// nothing.

// ---------------------------------------------------------------------------
// Reporting helpers (as in tests/workers/kv/worker.js).

function enc(v) {
  if (v === undefined) return { undefined: null };
  if (v === null) return null;
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "bigint":
      return { BigInt: v.toString() };
    case "number":
      if (Number.isNaN(v) || !Number.isFinite(v) || Object.is(v, -0)) {
        return { Number: Object.is(v, -0) ? "-0" : String(v) };
      }
      return v;
    case "function":
      return { function: v.name };
    case "symbol":
      return { symbol: String(v) };
  }
  if (v instanceof Date) return { Date: v.toISOString() };
  if (v instanceof Map) return { Map: [...v].map(([k, x]) => [enc(k), enc(x)]) };
  if (v instanceof Set) return { Set: [...v].map(enc) };
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)] };
  if (v instanceof ReadableStream) return { ReadableStream: null };
  if (ArrayBuffer.isView(v)) {
    return { [v.constructor.name]: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  }
  if (v instanceof Error) return { Error: `${v.name}: ${v.message}` };
  if (Array.isArray(v)) return v.map(enc);
  const proto = Object.getPrototypeOf(v);
  const o = {};
  for (const k of Object.keys(v)) o[k] = enc(v[k]);
  if (proto === Object.prototype) return { Object: o };
  return { [`instance of ${proto?.constructor?.name}`]: o };
}

function errj(e) {
  if (!(e instanceof Error) && (typeof e !== "object" || e === null)) return { thrown: enc(e) };
  return { name: e.name, message: e.message };
}

// {ok: enc(value)} or {error: {name, message}}.
async function cap(fn) {
  try {
    return { ok: enc(await fn()) };
  } catch (e) {
    return { error: errj(e) };
  }
}

// The same, but an error is reported by its name only (for errors whose
// message the JavaScript engine writes).
async function capName(fn) {
  try {
    return { ok: enc(await fn()) };
  } catch (e) {
    return { error: { name: e?.name } };
  }
}

// How a call fails: "sync" when it throws at once, else what its promise
// settles to (as `cap` reports it).
async function how(fn) {
  let p;
  try {
    p = fn();
  } catch (e) {
    return { sync: errj(e) };
  }
  return cap(() => p);
}

// A Date header: "<now>" when it is within 10 s of the clock (the time of
// the put or of the match), else the header as it is.
function maskDate(v) {
  const t = Date.parse(v);
  return Number.isFinite(t) && Math.abs(t - Date.now()) < 10000 ? "<now>" : v;
}

// A Response as {status, statusText, headers, body}, "undefined" for none.
async function res(r) {
  if (r === undefined) return "undefined";
  if (!(r instanceof Response)) return { notAResponse: enc(r) };
  const headers = [...r.headers]
    .map(([k, v]) => [k, k === "date" ? maskDate(v) : v])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let body;
  try {
    body = await r.text();
  } catch (e) {
    body = { error: errj(e) };
  }
  return { status: r.status, statusText: r.statusText, headers, body };
}

// What match() finds, reported by `res`; a throw as {error}.
async function found(cache, key, options) {
  try {
    return await res(await cache.match(key, options));
  } catch (e) {
    return { error: errj(e) };
  }
}

// Only the status of what match() finds, or "undefined".
async function status(cache, key, options) {
  const r = await cache.match(key, options);
  if (r === undefined) return "undefined";
  await r.arrayBuffer();
  return r.status;
}

const B = "https://cache.test/";

// What match() finds now for each short-lived expiry entry.
async function shortLived(c) {
  const r = {};
  for (const k of ["max-age", "s-maxage", "expires", "heuristic", "aged"]) {
    r[k] = await status(c, `${B}exp/${k}`);
  }
  return r;
}
const text = (stream) => new Response(stream).text();
const httpDate = (ms) => new Date(ms).toUTCString();

// A Response of `body` with `headers`, status 200 unless given.
const resp = (body, headers = {}, status = 200) => new Response(body, { status, headers });

// ---------------------------------------------------------------------------
// Scenarios. Each gets the request's URL and returns its report.

const scenarios = {
  // What `caches`, caches.default and caches.open() are.
  async shape() {
    const proto = Object.getPrototypeOf(caches);
    const cacheProto = Object.getPrototypeOf(caches.default);
    const desc = Object.getOwnPropertyDescriptor(caches, "default");
    const gdesc = Object.getOwnPropertyDescriptor(globalThis, "caches");
    const r = {
      typeof: typeof caches,
      string: String(caches),
      tag: Object.prototype.toString.call(caches),
      constructor: caches.constructor.name,
      ownKeys: Object.getOwnPropertyNames(caches),
      defaultDescriptor: { get: typeof desc?.get, writable: desc?.writable, enumerable: desc?.enumerable, configurable: desc?.configurable },
      storageMethods: Object.getOwnPropertyNames(proto).sort(),
      cacheMethods: Object.getOwnPropertyNames(cacheProto).sort(),
      defaultString: String(caches.default),
      defaultConstructor: caches.default.constructor.name,
      sameDefault: caches.default === caches.default,
      globals: [typeof Cache, typeof CacheStorage],
      instanceOf: [caches instanceof CacheStorage, caches.default instanceof Cache],
      globalDescriptor: { writable: gdesc?.writable, enumerable: gdesc?.enumerable, configurable: gdesc?.configurable },
      lengths: {
        put: caches.default.put.length,
        match: caches.default.match.length,
        delete: caches.default.delete.length,
        open: caches.open.length,
      },
      newCache: await cap(() => new Cache()),
      newCacheStorage: await cap(() => new CacheStorage()),
      assignDefault: await capName(() => {
        "use strict";
        caches.default = 1;
      }),
    };
    const p = caches.open("a");
    r.openIsPromise = p instanceof Promise;
    const a = await p;
    r.opened = { string: String(a), constructor: a.constructor.name, instanceOf: a instanceof Cache };
    r.openTwiceSame = a === (await caches.open("a"));
    r.openDefaultIsDefault = (await caches.open("default")) === caches.default;
    r.open1023 = await how(async () => String(await caches.open("x".repeat(1023))));
    r.open1024 = await how(() => caches.open("x".repeat(1024)));
    // Bytes, not characters: 512 two-byte characters are 1024 bytes.
    r.open512TwoByte = await how(() => caches.open("\u00e9".repeat(512)));
    r.open511TwoByte = await how(async () => String(await caches.open("\u00e9".repeat(511))));
    r.openNoArgument = await how(() => caches.open());
    r.openUndefined = await how(async () => String(await caches.open(undefined)));
    r.openEmpty = await how(async () => String(await caches.open("")));
    r.openNumber = await how(async () => String(await caches.open(5)));
    for (const m of ["add", "addAll", "matchAll", "keys"]) {
      r[`cache.${m}`] = await how(() => caches.default[m](B));
    }
    for (const m of ["match", "has", "delete", "keys"]) {
      r[`storage.${m}`] = await how(() => caches[m](B));
    }
    return r;
  },

  // put() then match(): what a hit looks like.
  async roundtrip() {
    const c = caches.default;
    const r = {};
    const response = resp("hello", {
      "Cache-Control": "max-age=3600",
      "Content-Type": "text/x-test",
      "X-Custom": "1",
      "X-Multi": "a",
      "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
      "Keep-Alive": "timeout=5",
      "Connection": "x-hop",
      "X-Hop": "dropped?",
      "Upgrade": "h2c",
      "Trailer": "x-t",
      "TE": "trailers",
      "Proxy-Authenticate": "Basic",
      "Warning": "110 - \"stale\"",
      "CF-Cache-Status": "MISS",
      "Age": "5",
      "ETag": '"e1"',
      "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT",
    });
    response.headers.append("X-Multi", "b");
    r.put = await how(() => c.put(`${B}rt`, response));
    r.bodyUsedAfterPut = response.bodyUsed;
    r.matchString = await found(c, `${B}rt`);
    r.matchRequest = await found(c, new Request(`${B}rt`));
    r.matchURL = await found(c, new URL(`${B}rt`));
    r.matchIsFresh = await cap(async () => {
      const a = await c.match(`${B}rt`);
      const b = await c.match(`${B}rt`);
      return [a === b, a.bodyUsed, a.url, a.redirected, a.type, a.ok, a.headers.get("cf-cache-status")];
    });
    r.matchMiss = await found(c, `${B}never-put`);
    // statusText is not kept; status is.
    await c.put(`${B}rt-status`, new Response("nf", { status: 404, statusText: "Gone Fishing", headers: { "Cache-Control": "max-age=60" } }));
    r.status404 = await found(c, `${B}rt-status`);
    // A redirect is stored as it is (not followed).
    await c.put(`${B}rt-redirect`, new Response(null, { status: 301, headers: { Location: "/elsewhere", "Cache-Control": "max-age=60" } }));
    r.redirect301 = await found(c, `${B}rt-redirect`);
    // Bytes, a stream body (no Content-Length), an empty body.
    await c.put(`${B}rt-bytes`, resp(new Uint8Array([0, 1, 254, 255]), { "Cache-Control": "max-age=60" }));
    r.bytes = await cap(async () => new Uint8Array(await (await c.match(`${B}rt-bytes`)).arrayBuffer()));
    const stream = new ReadableStream({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode("str"));
        ctl.enqueue(new TextEncoder().encode("eamed"));
        ctl.close();
      },
    });
    r.putStream = await how(() => c.put(`${B}rt-stream`, resp(stream, { "Cache-Control": "max-age=60" })));
    r.stream = await found(c, `${B}rt-stream`);
    await c.put(`${B}rt-empty`, resp(null, { "Cache-Control": "max-age=60" }));
    r.empty = await found(c, `${B}rt-empty`);
    await c.put(`${B}rt-204`, resp(null, { "Cache-Control": "max-age=60" }, 204));
    r.noContent = await found(c, `${B}rt-204`);
    // Content-Encoding: the body is stored encoded (workerd compresses it
    // as it would to send it), and match() answers the encoded bytes.
    await c.put(`${B}rt-gzip`, resp("hello hello hello", { "Cache-Control": "max-age=60", "Content-Encoding": "gzip" }));
    r.gzip = await cap(async () => {
      const m = await c.match(`${B}rt-gzip`);
      const headers = [...m.headers].map(([k, v]) => [k, k === "date" ? maskDate(v) : v]);
      const raw = new Uint8Array(await m.arrayBuffer());
      const plain = await new Response(new Response(raw).body.pipeThrough(new DecompressionStream("gzip"))).text();
      return { headers, magic: [raw[0], raw[1]], plain };
    });
    // A second put replaces the first.
    await c.put(`${B}rt-over`, resp("one", { "Cache-Control": "max-age=60", "X-Old": "1" }));
    await c.put(`${B}rt-over`, resp("two", { "Cache-Control": "max-age=60", "X-New": "1" }));
    r.overwrite = await found(c, `${B}rt-over`);
    // A put of a Response that came out of match().
    r.putMatched = await cap(async () => {
      await c.put(`${B}rt-copy`, await c.match(`${B}rt`));
      return res(await c.match(`${B}rt-copy`));
    });
    // The put's request headers play no part in the key.
    await c.put(new Request(`${B}rt-reqheaders`, { headers: { "X-Req": "1", Accept: "text/a" } }), resp("rh", { "Cache-Control": "max-age=60" }));
    r.requestHeadersIgnored = await found(c, new Request(`${B}rt-reqheaders`, { headers: { Accept: "text/b" } }));
    return r;
  },

  // put()'s refusals.
  async "put-errors"() {
    const c = caches.default;
    const ok = () => resp("x", { "Cache-Control": "max-age=60" });
    const r = {};
    r.post = await how(() => c.put(new Request(`${B}pe-post`, { method: "POST", body: "b" }), ok()));
    r.head = await how(() => c.put(new Request(`${B}pe-head`, { method: "HEAD" }), ok()));
    r.put = await how(() => c.put(new Request(`${B}pe-put`, { method: "PUT" }), ok()));
    r.status206 = await how(() => c.put(`${B}pe-206`, resp("x", { "Cache-Control": "max-age=60", "Content-Range": "bytes 0-0/2" }, 206)));
    r.varyStar = await how(() => c.put(`${B}pe-vary`, resp("x", { "Cache-Control": "max-age=60", Vary: "*" })));
    r.varyListStar = await how(() => c.put(`${B}pe-vary2`, resp("x", { "Cache-Control": "max-age=60", Vary: "Accept, *" })));
    r.varyStarInName = await how(() => c.put(`${B}pe-vary3`, resp("x", { "Cache-Control": "max-age=60", Vary: "X-a*b" })));
    r.errorResponse = await how(() => c.put(`${B}pe-error`, Response.error()));
    r.usedBody = await how(async () => {
      const used = ok();
      await used.text();
      return c.put(`${B}pe-used`, used);
    });
    r.usedBodyStored = await status(c, `${B}pe-used`);
    r.samePutTwice = await how(async () => {
      const once = ok();
      await c.put(`${B}pe-twice`, once);
      return c.put(`${B}pe-twice2`, once);
    });
    r.lockedBody = await how(() => {
      const locked = ok();
      locked.body.getReader();
      return c.put(`${B}pe-locked`, locked);
    });
    r.websocket = await how(() => {
      const pair = new WebSocketPair();
      return c.put(`${B}pe-ws`, new Response(null, { status: 101, webSocket: pair[0] }));
    });
    r.status101 = await capName(() => new Response(null, { status: 101 }));
    r.relativeUrl = await how(() => c.put("/relative", ok()));
    r.notAUrl = await how(() => c.put("not a url", ok()));
    // Other schemes: put() resolves (nothing to read back: match() and
    // delete() refuse them).
    r.ftpUrl = await how(() => c.put("ftp://cache.test/x", ok()));
    r.ftpMatch = await how(() => c.match("ftp://cache.test/x"));
    r.ftpDelete = await how(() => c.delete("ftp://cache.test/x"));
    r.fileUrl = await how(() => c.put("file:///etc/x", ok()));
    r.fileMatch = await how(() => c.match("file:///etc/x"));
    r.wsUrl = await how(() => c.put("ws://cache.test/x", ok()));
    r.wsMatch = await how(() => c.match("ws://cache.test/x"));
    r.dataUrl = await how(() => c.put("data:text/plain,hi", ok()));
    r.dataMatch = await how(() => c.match("data:text/plain,hi"));
    r.credentials = await how(() => c.put("https://user:pw@cache.test/x", ok()));
    r.credentialsMatch = await how(() => c.match("https://user:pw@cache.test/x"));
    r.noArguments = await how(() => c.put());
    r.noResponse = await how(() => c.put(`${B}pe-none`));
    r.stringResponse = await how(() => c.put(`${B}pe-string`, "body"));
    r.objectResponse = await how(() => c.put(`${B}pe-object`, { status: 200 }));
    r.nothingStored = await cap(async () =>
      Promise.all(["pe-post", "pe-head", "pe-put", "pe-206", "pe-vary", "pe-vary2", "pe-error", "pe-ws"].map((k) => status(c, `${B}${k}`))),
    );
    r.varyStarInNameStored = await status(c, `${B}pe-vary3`);
    // match() and delete() with bad URLs.
    r.matchRelative = await how(() => c.match("/relative"));
    r.deleteRelative = await how(() => c.delete("/relative"));
    r.matchNoArgument = await how(() => c.match());
    r.deleteNoArgument = await how(() => c.delete());
    return r;
  },

  // Which responses are stored: each on a key of its own, the put's result
  // and what match() then finds (its status, or "undefined").
  async "not-stored"() {
    const c = caches.default;
    const r = {};
    const past = httpDate(Date.now() - 3600 * 1000);
    const future = httpDate(Date.now() + 3600 * 1000);
    const tenDaysAgo = httpDate(Date.now() - 10 * 86400 * 1000);
    const cases = {
      "max-age=60": [{ "Cache-Control": "max-age=60" }],
      "s-maxage=60": [{ "Cache-Control": "s-maxage=60" }],
      "public": [{ "Cache-Control": "public" }],
      "no headers": [{}],
      "no headers 404": [{}, 404],
      "no headers 301": [{}, 301],
      "no headers 302": [{}, 302],
      "no headers 500": [{}, 500],
      "max-age=0": [{ "Cache-Control": "max-age=0" }],
      "s-maxage=0": [{ "Cache-Control": "s-maxage=0, max-age=60" }],
      "no-store": [{ "Cache-Control": "no-store" }],
      "no-store with max-age": [{ "Cache-Control": "max-age=60, no-store" }],
      "private": [{ "Cache-Control": "private" }],
      "private with max-age": [{ "Cache-Control": "private, max-age=60" }],
      "no-cache": [{ "Cache-Control": "no-cache" }],
      "no-cache with max-age": [{ "Cache-Control": "no-cache, max-age=60" }],
      "must-revalidate": [{ "Cache-Control": "must-revalidate" }],
      "proxy-revalidate": [{ "Cache-Control": "proxy-revalidate, max-age=60" }],
      "immutable": [{ "Cache-Control": "immutable" }],
      "stale-while-revalidate": [{ "Cache-Control": "max-age=0, stale-while-revalidate=60" }],
      "stale-if-error": [{ "Cache-Control": "stale-if-error=60" }],
      "max-age with Age over it": [{ "Cache-Control": "max-age=60", Age: "61" }],
      "max-age twice": [{ "Cache-Control": "max-age=0, max-age=60" }],
      "max-age spaces": [{ "Cache-Control": " max-age = 60 " }],
      "max-age quoted": [{ "Cache-Control": 'max-age="60"' }],
      "upper case": [{ "Cache-Control": "MAX-AGE=60" }],
      "max-age=abc": [{ "Cache-Control": "max-age=abc" }],
      "pragma no-cache": [{ Pragma: "no-cache" }],
      "pragma no-cache with max-age": [{ Pragma: "no-cache", "Cache-Control": "max-age=60" }],
      "expires future": [{ Expires: future }],
      "expires past": [{ Expires: past }],
      "expires invalid": [{ Expires: "soon" }],
      "expires 0": [{ Expires: "0" }],
      "last-modified 10 days ago": [{ "Last-Modified": tenDaysAgo }],
      "set-cookie": [{ "Set-Cookie": "a=1" }],
      "set-cookie with max-age": [{ "Set-Cookie": "a=1", "Cache-Control": "max-age=60" }],
      "set-cookie public": [{ "Set-Cookie": "a=1", "Cache-Control": "public, max-age=60" }],
      "set-cookie private=set-cookie": [{ "Set-Cookie": "a=1", "Cache-Control": "private=set-cookie, max-age=60" }],
      "set-cookie private=Set-Cookie quoted": [{ "Set-Cookie": "a=1", "Cache-Control": 'max-age=60, private="Set-Cookie"' }],
      "status 201 max-age": [{ "Cache-Control": "max-age=60" }, 201],
      "status 203 max-age": [{ "Cache-Control": "max-age=60" }, 203],
      "status 302 max-age": [{ "Cache-Control": "max-age=60" }, 302],
      "status 400 max-age": [{ "Cache-Control": "max-age=60" }, 400],
      "status 404 max-age": [{ "Cache-Control": "max-age=60" }, 404],
      "status 410 max-age": [{ "Cache-Control": "max-age=60" }, 410],
      "status 500 max-age": [{ "Cache-Control": "max-age=60" }, 500],
      "status 503 max-age": [{ "Cache-Control": "max-age=60" }, 503],
      "status 304 max-age": [{ "Cache-Control": "max-age=60" }, 304],
      "status 204 max-age": [{ "Cache-Control": "max-age=60" }, 204],
      "status 205 max-age": [{ "Cache-Control": "max-age=60" }, 205],
    };
    let i = 0;
    for (const [name, [headers, code]] of Object.entries(cases)) {
      const key = `${B}ns/${i++}`;
      const nullBody = code === 304 || code === 204 || code === 205;
      const put = await how(() => c.put(key, resp(nullBody ? null : "v", headers, code ?? 200)));
      r[name] = { put: put.ok !== undefined && put.ok.undefined === null ? "ok" : put, match: await status(c, key) };
    }
    // Request headers: Authorization keeps a response out unless it is
    // public, s-maxage or must-revalidate; the request's Cache-Control plays
    // no part.
    const withReq = async (name, reqHeaders, resHeaders) => {
      const key = `${B}ns/${i++}`;
      const put = await how(() => c.put(new Request(key, { headers: reqHeaders }), resp("v", resHeaders)));
      r[name] = { put: put.ok !== undefined && put.ok.undefined === null ? "ok" : put, match: await status(c, key) };
    };
    await withReq("authorization", { Authorization: "Bearer x" }, { "Cache-Control": "max-age=60" });
    await withReq("authorization public", { Authorization: "Bearer x" }, { "Cache-Control": "public, max-age=60" });
    await withReq("authorization s-maxage", { Authorization: "Bearer x" }, { "Cache-Control": "s-maxage=60" });
    await withReq("authorization must-revalidate", { Authorization: "Bearer x" }, { "Cache-Control": "must-revalidate, max-age=60" });
    await withReq("request no-store", { "Cache-Control": "no-store" }, { "Cache-Control": "max-age=60" });
    await withReq("request no-cache", { "Cache-Control": "no-cache", Pragma: "no-cache" }, { "Cache-Control": "max-age=60" });
    // What a stored Set-Cookie response looks like (private=set-cookie).
    await c.put(`${B}ns/cookie`, resp("v", { "Set-Cookie": "a=1", "Cache-Control": "Private=Set-Cookie, max-age=60", "X-Keep": "1" }));
    r.cookieStripped = await found(c, `${B}ns/cookie`);
    await c.put(`${B}ns/cookie2`, resp("v", { "Set-Cookie": "a=1", "Cache-Control": "max-age=60, private=set-cookie;" }));
    r.cookieStripped2 = await found(c, `${B}ns/cookie2`);
    // A request's Cache-Control at match time is ignored too.
    await c.put(`${B}ns/reqcc`, resp("v", { "Cache-Control": "max-age=60" }));
    r.matchNoCache = await status(c, new Request(`${B}ns/reqcc`, { headers: { "Cache-Control": "no-cache" } }));
    // A put that is not stored leaves an older entry as it was.
    await c.put(`${B}ns/keep`, resp("old", { "Cache-Control": "max-age=60" }));
    await c.put(`${B}ns/keep`, resp("new", { "Cache-Control": "no-store" }));
    r.refusedPutKeepsOld = await found(c, `${B}ns/keep`);
    // An entry replaced by one stored already expired is gone.
    await c.put(`${B}ns/replace0`, resp("old", { "Cache-Control": "max-age=60" }));
    await c.put(`${B}ns/replace0`, resp("new", { "Cache-Control": "max-age=0" }));
    r.expiredPutReplacesOld = await status(c, `${B}ns/replace0`);
    return r;
  },

  // Expiry: entries that expire within two or three seconds. `expiry-put`
  // puts them and reports what match() finds at once; `expiry-check`
  // reports what it finds now (the test polls it until the short-lived
  // entries are gone, with a deadline).
  async "expiry-put"() {
    const c = caches.default;
    const now = Date.now();
    await c.put(`${B}exp/max-age`, resp("m", { "Cache-Control": "max-age=2" }));
    // s-maxage wins over max-age.
    await c.put(`${B}exp/s-maxage`, resp("s", { "Cache-Control": "s-maxage=2, max-age=3600" }));
    // Expires (whole seconds: 2 to 3 s from now).
    await c.put(`${B}exp/expires`, resp("e", { Expires: httpDate(now + 3000) }));
    // Last-Modified and no expiry: 10% of (Date - Last-Modified) = 2 s.
    await c.put(`${B}exp/heuristic`, resp("h", { Date: httpDate(now), "Last-Modified": httpDate(now - 20 * 1000) }));
    // max-age minus the response's own Age: 2 s.
    await c.put(`${B}exp/aged`, resp("a", { "Cache-Control": "max-age=3602", Age: "3600" }));
    // Put to be deleted once expired.
    await c.put(`${B}exp/to-delete`, resp("d", { "Cache-Control": "max-age=1" }));
    // Long-lived: an hour.
    await c.put(`${B}exp/long`, resp("l", { "Cache-Control": "max-age=3600" }));
    // Expires counts from the response's Date: Date an hour ago and Expires
    // a second ago is an hour.
    await c.put(`${B}exp/old-date`, resp("d", { Date: httpDate(now - 3600 * 1000), Expires: httpDate(now - 1000) }));
    const r = await shortLived(c);
    const long = await c.match(`${B}exp/long`);
    await long.arrayBuffer();
    r.long = long.status;
    r.longDate = maskDate(long.headers.get("date"));
    r.longAge = long.headers.get("age");
    r.oldDate = await status(c, `${B}exp/old-date`);
    return r;
  },

  async "expiry-check"() {
    const c = caches.default;
    const r = await shortLived(c);
    const gone = Object.values(r).every((v) => v === "undefined");
    const long = await c.match(`${B}exp/long`);
    await long.arrayBuffer();
    r.long = long.status;
    // The stored Date (the put's time) and Age ("0") are served as they
    // were stored: neither moves on while the entry sits in the cache. (By
    // the time the short-lived entries are gone, the put is 2 s old.)
    r.longDateIsPutTime = gone ? Date.now() - Date.parse(long.headers.get("date")) >= 1500 : "pending";
    r.longAge = long.headers.get("age");
    r.oldDate = await status(c, `${B}exp/old-date`);
    // Deleting an expired entry (max-age=1) answers false.
    r.deleteExpired = gone ? await c.delete(`${B}exp/to-delete`) : "pending";
    return r;
  },

  // Vary: stored, but not matched against the request's headers.
  async vary() {
    const c = caches.default;
    const r = {};
    await c.put(new Request(`${B}vary/accept`, { headers: { Accept: "text/a" } }), resp("a", { "Cache-Control": "max-age=60", Vary: "Accept" }));
    r.sameAccept = await found(c, new Request(`${B}vary/accept`, { headers: { Accept: "text/a" } }));
    r.otherAccept = await status(c, new Request(`${B}vary/accept`, { headers: { Accept: "text/b" } }));
    r.noAccept = await status(c, `${B}vary/accept`);
    await c.put(`${B}vary/ae`, resp("ae", { "Cache-Control": "max-age=60", Vary: "Accept-Encoding, User-Agent" }));
    r.acceptEncoding = await status(c, new Request(`${B}vary/ae`, { headers: { "Accept-Encoding": "br", "User-Agent": "x" } }));
    return r;
  },

  // Range requests on a cached 200 of "0123456789".
  async ranges() {
    const c = caches.default;
    await c.put(`${B}range`, resp("0123456789", { "Cache-Control": "max-age=60", "Content-Type": "text/plain", ETag: '"r1"' }));
    const r = {};
    const ranged = (range) => found(c, new Request(`${B}range`, { headers: { Range: range } }));
    for (const range of [
      "bytes=2-4",
      "bytes=0-0",
      "bytes=5-",
      "bytes=-3",
      "bytes=8-20",
      "bytes=0-9",
      "bytes=0-",
      "bytes=-10",
      "bytes=-20",
      "bytes=-0",
      "bytes=10-",
      "bytes=10-12",
      "bytes=4-2",
      "bytes=",
      "bytes = 1 - 2",
      "BYTES=1-2",
      "items=1-2",
      "bytes=a-b",
      "bytes=1-2,",
    ]) {
      r[range] = await ranged(range);
    }
    r.multi = await cap(async () => {
      const m = await c.match(new Request(`${B}range`, { headers: { Range: "bytes=0-1,4-5" } }));
      const contentType = m.headers.get("content-type");
      const boundary = contentType.split("boundary=")[1];
      let body;
      try {
        body = (await m.text()).split(boundary).join("<boundary>");
      } catch (e) {
        body = { error: errj(e) };
      }
      return {
        status: m.status,
        contentType: contentType.split(boundary).join("<boundary>"),
        contentLength: m.headers.get("content-length"),
        contentRange: m.headers.get("content-range"),
        body,
      };
    });
    // A 206 cannot be put, but a stored 200 serves ranges to ignoreMethod too.
    r.headRange = await found(c, new Request(`${B}range`, { method: "HEAD", headers: { Range: "bytes=1-1" } }), { ignoreMethod: true });
    // Ranges apply whatever the stored status.
    await c.put(`${B}range-404`, resp("not found", { "Cache-Control": "max-age=60" }, 404));
    r.on404 = await found(c, new Request(`${B}range-404`, { headers: { Range: "bytes=0-2" } }));
    // A stored response without a body.
    await c.put(`${B}range-empty`, resp(null, { "Cache-Control": "max-age=60" }));
    r.emptyBody = await found(c, new Request(`${B}range-empty`, { headers: { Range: "bytes=0-1" } }));
    return r;
  },

  // Conditional requests: If-None-Match against the ETag, If-Modified-Since
  // against Last-Modified.
  async conditional() {
    const c = caches.default;
    const lm = "Wed, 21 Oct 2015 07:28:00 GMT";
    await c.put(`${B}cond`, resp("body", { "Cache-Control": "max-age=60", ETag: '"abc"', "Last-Modified": lm, "X-Extra": "1" }));
    await c.put(`${B}cond-weak`, resp("weak", { "Cache-Control": "max-age=60", ETag: 'W/"w1"' }));
    await c.put(`${B}cond-bare`, resp("bare", { "Cache-Control": "max-age=60", ETag: "bare" }));
    await c.put(`${B}cond-none`, resp("none", { "Cache-Control": "max-age=60" }));
    const r = {};
    const ask = (key, headers) => found(c, new Request(`${B}${key}`, { headers }));
    r.inmMatch = await ask("cond", { "If-None-Match": '"abc"' });
    r.inmWeak = await ask("cond", { "If-None-Match": 'W/"abc"' });
    r.inmList = await ask("cond", { "If-None-Match": '"x", "abc"' });
    r.inmStar = await ask("cond", { "If-None-Match": "*" });
    r.inmOther = await status(c, new Request(`${B}cond`, { headers: { "If-None-Match": '"other"' } }));
    r.inmUnquoted = await status(c, new Request(`${B}cond`, { headers: { "If-None-Match": "abc" } }));
    r.weakStored = await status(c, new Request(`${B}cond-weak`, { headers: { "If-None-Match": '"w1"' } }));
    r.bareStored = await status(c, new Request(`${B}cond-bare`, { headers: { "If-None-Match": "bare" } }));
    r.bareStoredStar = await status(c, new Request(`${B}cond-bare`, { headers: { "If-None-Match": "*" } }));
    r.noEtagStar = await status(c, new Request(`${B}cond-none`, { headers: { "If-None-Match": "*" } }));
    r.imsEqual = await ask("cond", { "If-Modified-Since": lm });
    r.imsLater = await status(c, new Request(`${B}cond`, { headers: { "If-Modified-Since": "Thu, 22 Oct 2015 07:28:00 GMT" } }));
    r.imsEarlier = await status(c, new Request(`${B}cond`, { headers: { "If-Modified-Since": "Tue, 20 Oct 2015 07:28:00 GMT" } }));
    r.imsNotImf = await status(c, new Request(`${B}cond`, { headers: { "If-Modified-Since": "2015-10-22T07:28:00Z" } }));
    r.imsNoLastModified = await status(c, new Request(`${B}cond-none`, { headers: { "If-Modified-Since": lm } }));
    // If-None-Match that does not match wins over a matching If-Modified-Since? (Miniflare: either gives 304.)
    r.inmOtherImsEqual = await status(c, new Request(`${B}cond`, { headers: { "If-None-Match": '"other"', "If-Modified-Since": lm } }));
    // If-Match / If-Unmodified-Since / If-Range are not looked at.
    r.ifMatchOther = await status(c, new Request(`${B}cond`, { headers: { "If-Match": '"other"' } }));
    r.ifUnmodifiedSinceEarlier = await status(c, new Request(`${B}cond`, { headers: { "If-Unmodified-Since": "Tue, 20 Oct 2015 07:28:00 GMT" } }));
    r.ifRangeOther = await ask("cond", { Range: "bytes=0-1", "If-Range": '"other"' });
    // A conditional with a range.
    r.inmAndRange = await status(c, new Request(`${B}cond`, { headers: { "If-None-Match": '"abc"', Range: "bytes=0-1" } }));
    return r;
  },

  // Methods: match() and delete() of a non-GET request find nothing unless
  // ignoreMethod; CacheQueryOptions' other members.
  async methods() {
    const c = caches.default;
    const key = `${B}method`;
    await c.put(key, resp("m", { "Cache-Control": "max-age=60" }));
    const req = (method) => new Request(key, { method });
    const r = {};
    r.post = await found(c, req("POST"));
    r.head = await found(c, req("HEAD"));
    r.postIgnoreMethod = await found(c, req("POST"), { ignoreMethod: true });
    r.headIgnoreMethod = await found(c, req("HEAD"), { ignoreMethod: true });
    r.putIgnoreMethod = await status(c, req("PUT"), { ignoreMethod: true });
    r.ignoreMethodFalse = await status(c, req("POST"), { ignoreMethod: false });
    r.ignoreMethodTruthy = await how(async () => status(c, req("POST"), { ignoreMethod: 1 }));
    r.optionsNull = await how(async () => status(c, key, null));
    r.optionsEmpty = await how(async () => status(c, key, {}));
    r.optionsString = await how(async () => status(c, key, "x"));
    r.ignoreSearch = await how(async () => status(c, key, { ignoreSearch: true }));
    r.ignoreSearchFalse = await how(async () => status(c, key, { ignoreSearch: false }));
    r.ignoreVary = await how(async () => status(c, key, { ignoreVary: true }));
    r.cacheName = await how(async () => status(c, key, { cacheName: "x" }));
    r.deleteIgnoreSearch = await how(() => c.delete(key, { ignoreSearch: true }));
    r.deletePost = await how(() => c.delete(req("POST")));
    r.stillThere = await status(c, key);
    r.deletePostIgnoreMethod = await how(() => c.delete(req("POST"), { ignoreMethod: true }));
    r.gone = await status(c, key);
    return r;
  },

  // delete().
  async delete() {
    const c = caches.default;
    const r = {};
    await c.put(`${B}del`, resp("d", { "Cache-Control": "max-age=60" }));
    r.existing = await how(() => c.delete(`${B}del`));
    r.afterMatch = await status(c, `${B}del`);
    r.again = await how(() => c.delete(`${B}del`));
    r.missing = await how(() => c.delete(`${B}del-never`));
    await c.put(`${B}del2`, resp("d", { "Cache-Control": "max-age=60" }));
    r.byRequest = await how(() => c.delete(new Request(`${B}del2`, { headers: { "X-Any": "1" } })));
    await c.put(`${B}del3`, resp("d", { "Cache-Control": "max-age=60" }));
    r.byURL = await how(() => c.delete(new URL(`${B}del3`)));
    await c.put(`${B}del4`, resp("d", { "Cache-Control": "max-age=60" }));
    r.otherQuery = await how(() => c.delete(`${B}del4?x=1`));
    r.otherQueryKept = await status(c, `${B}del4`);
    // An entry put already expired.
    await c.put(`${B}del5`, resp("d", { "Cache-Control": "max-age=0" }));
    r.expiredAtPut = await how(() => c.delete(`${B}del5`));
    return r;
  },

  // How keys are compared: the URL as the Request parser writes it.
  async keys() {
    const c = caches.default;
    const r = {};
    const put = async (k, body) => {
      const p = await cap(() => c.put(k, resp(body, { "Cache-Control": "max-age=60" })));
      if (p.error) r[`put ${body}`] = p;
    };
    const body = async (k) => {
      try {
        const m = await c.match(k);
        return m === undefined ? "undefined" : await m.text();
      } catch (e) {
        return { error: errj(e) };
      }
    };
    await put("https://keys.test/a?x=1", "query1");
    r.sameQuery = await body("https://keys.test/a?x=1");
    r.otherQuery = await body("https://keys.test/a?x=2");
    r.noQuery = await body("https://keys.test/a");
    r.emptyQuery = await body("https://keys.test/a?");
    r.reorderedQuery = await body("https://keys.test/a?x=1&");
    await put("https://keys.test/frag#one", "frag");
    r.fragmentOther = await body("https://keys.test/frag#two");
    r.fragmentNone = await body("https://keys.test/frag");
    await put("https://keys.test/plain", "plain");
    r.plainWithFragment = await body("https://keys.test/plain#x");
    await put("HTTPS://KEYS.test:443/Case", "case");
    r.hostCase = await body("https://keys.test/Case");
    r.pathCase = await body("https://keys.test/case");
    r.defaultPort = await body("https://keys.test:443/Case");
    r.otherPort = await body("https://keys.test:8443/Case");
    r.httpScheme = await body("http://keys.test/Case");
    await put("https://keys.test", "root");
    r.rootSlash = await body("https://keys.test/");
    await put("https://keys.test/sp ace/%7e/\u00e9", "enc");
    r.encoded = await body("https://keys.test/sp%20ace/%7e/%C3%A9");
    r.tildeDecoded = await body("https://keys.test/sp%20ace/~/%C3%A9");
    await put("https://keys.test/a/../b/./c", "dots");
    r.dotSegments = await body("https://keys.test/b/c");
    await put("https://user:pw@keys.test/cred", "cred");
    r.credentials = await body("https://keys.test/cred");
    r.credentialsSame = await body("https://user:pw@keys.test/cred");
    // Request.cf.cacheKey replaces the URL as the key.
    await c.put(new Request("https://keys.test/ck1", { cf: { cacheKey: "my-key" } }), resp("custom", { "Cache-Control": "max-age=60" }));
    r.cacheKeyByUrl = await body("https://keys.test/ck1");
    r.cacheKeyOtherUrl = await body(new Request("https://keys.test/ck2", { cf: { cacheKey: "my-key" } }));
    r.cacheKeyDelete = await c.delete(new Request("https://keys.test/anything", { cf: { cacheKey: "my-key" } }));
    r.cacheKeyGone = await body(new Request("https://keys.test/ck2", { cf: { cacheKey: "my-key" } }));
    return r;
  },

  // caches.open(name) is a cache of its own.
  async isolation() {
    const r = {};
    const key = `${B}iso`;
    const d = caches.default;
    const a = await caches.open("a");
    const a2 = await caches.open("a");
    const A = await caches.open("A");
    const named = await caches.open("default");
    const empty = await caches.open("");
    await d.put(key, resp("in default", { "Cache-Control": "max-age=60" }));
    await a.put(key, resp("in a", { "Cache-Control": "max-age=60" }));
    const body = async (c) => {
      const m = await c.match(key);
      return m === undefined ? "undefined" : m.text();
    };
    r.default = await body(d);
    r.a = await body(a);
    r.aAgain = await body(a2);
    r.upperA = await body(A);
    r.namedDefault = await body(named);
    r.emptyName = await body(empty);
    await named.put(key, resp("in named default", { "Cache-Control": "max-age=60" }));
    r.namedDefaultAfterPut = await body(named);
    r.defaultUnchanged = await body(d);
    r.deleteFromA = await a2.delete(key);
    r.aAfterDelete = await body(a);
    r.defaultAfterDelete = await body(d);
    r.deleteFromUpperA = await A.delete(key);
    return r;
  },

  // Request options that bear on caching.
  async "request-options"() {
    const r = {};
    r.cacheDefault = await cap(() => new Request(B).cache);
    r.cacheNoStore = await cap(() => new Request(B, { cache: "no-store" }).cache);
    r.cacheNoCache = await cap(() => new Request(B, { cache: "no-cache" }).cache);
    r.cacheReload = await cap(() => new Request(B, { cache: "reload" }).cache);
    r.cacheDefaultString = await cap(() => new Request(B, { cache: "default" }).cache);
    r.cacheBogus = await cap(() => new Request(B, { cache: "bogus" }).cache);
    // The key's cf.cacheTtl (which cache: "no-store" sets to -1) breaks
    // Miniflare's cache service: put() resolves and stores nothing, match()
    // and delete() reject. cf.cacheKey replaces the URL (see keys).
    const c = caches.default;
    await c.put(`${B}ro`, resp("ro", { "Cache-Control": "max-age=60" }));
    for (const [name, init] of [
      ["noStore", { cache: "no-store" }],
      ["noCache", { cache: "no-cache" }],
      ["cacheTtl", { cf: { cacheTtl: 5 } }],
      ["cacheControl", { cf: { cacheControl: "max-age=5" } }],
      ["cacheEverything", { cf: { cacheEverything: true } }],
    ]) {
      const key = `${B}ro/${name}`;
      r[`${name} put`] = await how(() => c.put(new Request(key, init), resp(name, { "Cache-Control": "max-age=60" })));
      r[`${name} stored`] = await status(c, key);
      r[`${name} match`] = await how(async () => status(c, new Request(`${B}ro`, init)));
      r[`${name} delete`] = await how(() => c.delete(new Request(`${B}ro/never`, init)));
    }
    return r;
  },

  // Written before a restart ...
  async "persist-write"() {
    const c = caches.default;
    const a = await caches.open("persisted");
    await c.put(`${B}p/text`, resp("survives", { "Cache-Control": "max-age=3600", "X-P": "1" }));
    await c.put(`${B}p/bytes`, resp(new Uint8Array([0, 1, 2, 255]), { "Cache-Control": "max-age=3600" }));
    await c.put(`${B}p/gone`, resp("deleted", { "Cache-Control": "max-age=3600" }));
    await c.delete(`${B}p/gone`);
    await a.put(`${B}p/named`, resp("named", { "Cache-Control": "max-age=3600" }));
    return {
      text: await status(c, `${B}p/text`),
      named: await status(a, `${B}p/named`),
    };
  },

  // ... and read after it.
  async "persist-read"() {
    const c = caches.default;
    const a = await caches.open("persisted");
    return {
      text: await found(c, `${B}p/text`),
      bytes: await cap(async () => new Uint8Array(await (await c.match(`${B}p/bytes`)).arrayBuffer())),
      gone: await status(c, `${B}p/gone`),
      named: await found(a, `${B}p/named`),
      namedNotInDefault: await status(c, `${B}p/named`),
    };
  },
};

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const match = url.pathname.match(/^\/scenario\/(.+)$/);
    const scenario = match && scenarios[decodeURIComponent(match[1])];
    if (!scenario) return new Response(`no such scenario: ${url.pathname}\n`, { status: 404 });
    try {
      return Response.json(await scenario(url));
    } catch (e) {
      return Response.json({ uncaught: errj(e), stack: String(e?.stack) }, { status: 500 });
    }
  },
};
